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

export const DNS_TYPE = { A: 1, TXT: 16 } as const;

/** A recursive query with the AD bit set (RFC 6840: report whether the answer validated) and EDNS0. */
export function dnsQuery(id: number, name: string, type: number): Buffer {
  const labels = name.split(".").filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0120, 2); // RD + AD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 10);
  const question = Buffer.concat([...labels, Buffer.from([0, type >> 8, type & 255, 0, 1])]);
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]); // OPT, 1232-byte UDP payload
  return Buffer.concat([header, question, opt]);
}

export interface DnsAnswer {
  id: number;
  rcode: number;
  /** Authentic Data: the validating resolver checked the DNSSEC chain. */
  ad: boolean;
  truncated: boolean;
  /** Each answer of the asked type: TXT as the joined strings, A as dotted quad. */
  values: string[];
}

export function parseDnsResponse(msg: Buffer, type: number): DnsAnswer {
  const flags = msg.readUInt16BE(2);
  const [qd, an] = [msg.readUInt16BE(4), msg.readUInt16BE(6)];
  let pos = 12;
  const skipName = () => {
    for (;;) {
      const len = msg[pos];
      if (len >= 0xc0) return void (pos += 2);
      pos += 1 + len;
      if (len === 0) return;
    }
  };
  for (let i = 0; i < qd; i++) (skipName(), (pos += 4));
  const values: string[] = [];
  for (let i = 0; i < an; i++) {
    skipName();
    const rtype = msg.readUInt16BE(pos);
    const rdlen = msg.readUInt16BE(pos + 8);
    const rdata = msg.subarray(pos + 10, pos + 10 + rdlen);
    pos += 10 + rdlen;
    if (rtype !== type) continue;
    if (type === DNS_TYPE.A) values.push([...rdata].join("."));
    else values.push(txtStrings(rdata));
  }
  return { id: msg.readUInt16BE(0), rcode: flags & 0xf, ad: (flags & 0x20) !== 0, truncated: (flags & 0x200) !== 0, values };
}

function txtStrings(rdata: Buffer): string {
  const parts: string[] = [];
  for (let p = 0; p < rdata.length; p += 1 + rdata[p]) parts.push(rdata.subarray(p + 1, p + 1 + rdata[p]).toString());
  return parts.join("");
}
