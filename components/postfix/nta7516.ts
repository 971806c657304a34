/**
 * The NTA 7516 compliance check the secure nodes make before delivering directly: the
 * recipient domain publishes `v=NTA7516-1;...` as TXT and the answer is DNSSEC-validated.
 * Pure parts only: record parsing, the verdict, the socketmap and DNS wire formats. The
 * service that does the network work is scripts/nta7516-socketmap.ts.
 */

/** Socketmap name the secure node's transport_maps asks for. */
export const NTA_SOCKETMAP_NAME = "nta7516";

export interface NtaRecord {
  provider: string;
  /** `YYYY-MM`, first month of the provider's certification. */
  start: string;
  /** `YYYY-MM`, last month of the certification. */
  end: string;
  /** The hosts NTA 7516 mail goes to, lowest preference first. */
  mx: Array<{ preference: number; host: string }>;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses one TXT string; anything that is not a complete, well-formed v=NTA7516-1 record is undefined. */
export function parseNtaRecord(txt: string): NtaRecord | undefined {
  const tags = txt.split(";").map((t) => t.trim()).filter(Boolean);
  if (tags[0] !== "v=NTA7516-1") return undefined;
  const rec: NtaRecord = { provider: "", start: "", end: "", mx: [] };
  for (const tag of tags.slice(1)) {
    const eq = tag.indexOf("=");
    const [k, v] = [tag.slice(0, eq).trim().toLowerCase(), tag.slice(eq + 1).trim()];
    if (k === "startdate") rec.start = v;
    else if (k === "enddate") rec.end = v;
    else if (k === "provider") rec.provider = v;
    else if (k === "ntamx") {
      const m = /^(\d+)\s+(\S+?)\.?$/.exec(v);
      if (!m || !HOST.test(m[2].toLowerCase())) return undefined;
      rec.mx.push({ preference: Number(m[1]), host: m[2].toLowerCase() });
    }
  }
  if (!MONTH.test(rec.start) || !MONTH.test(rec.end) || !rec.provider || rec.mx.length === 0) return undefined;
  rec.mx.sort((a, b) => a.preference - b.preference);
  return rec;
}

export interface Verdict {
  compliant: boolean;
  reason: string;
  record?: NtaRecord;
}

/**
 * Compliant only when the answer was DNSSEC-validated (an unsigned record could be forged
 * on the way), exactly one NTA record is published, and `now` lies in its certification.
 */
export function ntaVerdict(txts: string[], authenticated: boolean, now: Date): Verdict {
  const records = txts.filter((t) => /^v=NTA7516-1(;|$)/.test(t.trim()));
  if (records.length === 0) return { compliant: false, reason: "no NTA 7516 record" };
  if (!authenticated) return { compliant: false, reason: "answer not DNSSEC-validated" };
  if (records.length > 1) return { compliant: false, reason: "more than one NTA 7516 record" };
  const record = parseNtaRecord(records[0]);
  if (!record) return { compliant: false, reason: "malformed NTA 7516 record" };
  const month = now.toISOString().slice(0, 7);
  if (month < record.start || month > record.end) {
    return { compliant: false, reason: `certification ${record.start}..${record.end} does not cover ${month}`, record };
  }
  return { compliant: true, reason: `certified ${record.start}..${record.end} (${record.provider})`, record };
}

/**
 * The recipient domain of a lookup key. Postfix treats a socketmap as a pattern table and
 * asks transport_maps with the full recipient address, so `user@domain` counts as domain.
 */
export function lookupDomain(key: string): string | undefined {
  const k = key.slice(key.lastIndexOf("@") + 1).toLowerCase().replace(/\.$/, "");
  return HOST.test(k) ? k : undefined;
}

/** Netstring (the socketmap framing): `<length>:<bytes>,`. */
export function netstring(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(",")]);
}

/** Splits complete netstrings off the front of `buf`; throws on a malformed frame. */
export function readNetstrings(buf: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  for (;;) {
    const colon = buf.indexOf(":");
    if (colon < 0) {
      if (buf.length > 10) throw new Error("netstring: no length prefix");
      return { messages, rest: buf };
    }
    const len = Number(buf.subarray(0, colon).toString());
    if (!Number.isInteger(len) || len < 0 || len > 100_000) throw new Error("netstring: bad length");
    if (buf.length < colon + 1 + len + 1) return { messages, rest: buf };
    if (buf[colon + 1 + len] !== 0x2c) throw new Error("netstring: missing ','");
    messages.push(buf.subarray(colon + 1, colon + 1 + len).toString());
    buf = buf.subarray(colon + 2 + len);
  }
}
