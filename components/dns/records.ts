import { Customer, PlatformConfig } from "../config/model";
import { domainsOnRelay, publishesNtaDns, publishesSpf } from "../config/stages";
import { mergeSpf } from "./spf";

/**
 * The provider-independent record model. Names are full names without a trailing dot;
 * TXT content is the whole value, unsplit. Renderers for Cloudflare or a zone file
 * take it from here.
 */
export interface DnsRecord {
  /** Stable identifier within its zone, used in resource names (e.g. `mx-10`, `dmarc`). */
  key: string;
  name: string;
  type: "A" | "MX" | "TXT";
  content: string;
  ttl: number;
  /** MX only. */
  priority?: number;
  /** Why the record exists, shown in plans and in customer instructions. */
  purpose: string;
}

/** TTL of every record unless a builder says otherwise. */
export const DEFAULT_TTL = 3600;

export function mxRecords(platform: PlatformConfig, domain: string): DnsRecord[] {
  return [...platform.mailfilters]
    .sort((a, b) => a.preference - b.preference)
    .map((m) => ({ key: `mx-${m.preference}`, name: domain, type: "MX", content: m.hostname, priority: m.preference, ttl: DEFAULT_TTL, purpose: "inbound mail through the provider's mailfilters" }));
}

export function spfRecord(platform: PlatformConfig, customer: Customer, domain: string): DnsRecord {
  const merged = mergeSpf(customer.dns.existingSpf?.[domain], platform.spf.include);
  return { key: "spf", name: domain, type: "TXT", content: merged.record, ttl: DEFAULT_TTL, purpose: "SPF: the provider sends for this domain" };
}

export function dkimRecord(domain: string, selector: string, publicKey: string): DnsRecord {
  return {
    key: `dkim-${selector}`,
    name: `${selector}._domainkey.${domain}`,
    type: "TXT",
    content: `v=DKIM1; k=rsa; p=${publicKey}`,
    ttl: DEFAULT_TTL,
    purpose: "DKIM public key of the provider's signature",
  };
}

/**
 * The customer's DKIM key, and during a rotation also the previous selector's: mail signed
 * with either verifies while the switch and the mail in queues run their course.
 */
export function dkimRecords(customer: Customer, domain: string): DnsRecord[] {
  const { selector, publicKey, previous } = customer.dkim!;
  const current = dkimRecord(domain, selector, publicKey);
  if (!previous) return [current];
  if (previous.selector === selector) {
    throw new Error(`customer ${customer.slug}: dkim.previous.selector ${JSON.stringify(selector)} equals dkim.selector; a rotation needs a new selector, so give the new key another one`);
  }
  const old = dkimRecord(domain, previous.selector, previous.publicKey);
  return [current, { ...old, purpose: `DKIM public key of the previous selector, published until ${previous.until}` }];
}

export function dmarcRecord(customer: Customer, domain: string): DnsRecord {
  const { policy, rua } = customer.dns.dmarc;
  const tags = [`v=DMARC1`, `p=${policy}`, `sp=${policy}`, `adkim=s`, `aspf=r`, ...(rua ? [`rua=${rua}`] : [])];
  return { key: "dmarc", name: `_dmarc.${domain}`, type: "TXT", content: tags.join("; "), ttl: DEFAULT_TTL, purpose: "DMARC with an enforcing policy" };
}

/**
 * The apex record other NTA 7516 providers look for before delivering directly:
 * `v=NTA7516-1;startdate=YYYY-MM;enddate=YYYY-MM;provider=<name>;ntamx=<pref> <host>`,
 * one `ntamx` per mailfilter.
 */
export function ntaRecord(platform: PlatformConfig, domain: string): DnsRecord {
  const { start, end } = platform.provider.certification;
  const mx = [...platform.mailfilters].sort((a, b) => a.preference - b.preference).map((m) => `ntamx=${m.preference} ${m.hostname}`);
  return {
    key: "nta7516",
    name: domain,
    type: "TXT",
    content: [`v=NTA7516-1`, `startdate=${start}`, `enddate=${end}`, `provider=${platform.provider.name}`, ...mx].join(";"),
    ttl: DEFAULT_TTL,
    purpose: "NTA 7516 interoperability record",
  };
}

/** Every record one customer domain publishes at the customer's current stage. */
export function customerDomainRecords(platform: PlatformConfig, customer: Customer, domain: string): DnsRecord[] {
  const out: DnsRecord[] = [];
  if (publishesSpf(customer)) out.push(spfRecord(platform, customer, domain));
  if (publishesNtaDns(customer)) {
    out.push(...mxRecords(platform, domain));
    if (customer.dkim) out.push(...dkimRecords(customer, domain));
    out.push(dmarcRecord(customer, domain), ntaRecord(platform, domain), ...dmarcReportAuthorizations(customer, domain));
  }
  return out;
}

/**
 * RFC 7489 7.1: a domain whose DMARC reports go to another domain needs that domain's
 * consent, `<domain>._report._dmarc.<report domain> TXT "v=DMARC1"`, or receivers drop
 * the reports. Published here when the report domain is one of the customer's own.
 */
export function dmarcReportAuthorizations(customer: Customer, zone: string): DnsRecord[] {
  const reportDomain = customer.dns.dmarc.rua?.replace(/^mailto:[^@]*@/, "").toLowerCase();
  if (reportDomain !== zone) return [];
  return customer.domains
    .filter((d) => d !== zone)
    .map((d) => ({ key: `dmarc-report-${d.replace(/\./g, "-")}`, name: `${d}._report._dmarc.${zone}`, type: "TXT" as const, content: "v=DMARC1", ttl: DEFAULT_TTL, purpose: `consent to receive DMARC reports of ${d}` }));
}

/** True when the customer's zones are DNSSEC-signed at its current stage (unless opted out). */
export function wantsDnssec(customer: Customer): boolean {
  return publishesNtaDns(customer) && customer.dns.dnssec !== false;
}

/** Records of the provider's own zone: service addresses, mailfilter hosts and `_spf`. */
export function providerRecords(platform: PlatformConfig): DnsRecord[] {
  const a = (key: string, name: string, address: string, purpose: string): DnsRecord => ({ key, name, type: "A", content: address, ttl: DEFAULT_TTL, purpose });
  const label = (host: string) => host.split(".")[0];
  return [
    a("a-relay", platform.relay.hostname, platform.relay.address, "mail relay"),
    ...platform.secureNodes.nodes.map((n) => a(`a-secure-${n.name}`, platform.secureNodes.hostname, n.address, `secure mail node ${n.name}`)),
    ...platform.mailfilters.flatMap((m) => (m.addresses ?? []).map((ip, i) => a(`a-${label(m.hostname)}-${i + 1}`, m.hostname, ip, "mailfilter"))),
    {
      key: "spf-include",
      name: platform.spf.include,
      type: "TXT",
      content: ["v=spf1", ...platform.spf.egress.map((ip) => `ip4:${ip}`), "-all"].join(" "),
      ttl: DEFAULT_TTL,
      purpose: "SPF include for customer domains",
    },
  ];
}

/** Domains the relay knows at the customer's current stage (used by plans and checks). */
export function relayDomains(customer: Customer): string[] {
  return domainsOnRelay(customer) ? customer.domains : [];
}

/**
 * Splits TXT content into strings of at most 255 bytes (RFC 1035 3.3.14). The records
 * built here are ASCII, so a byte boundary is always a character boundary.
 */
export function splitTxt(content: string): string[] {
  const bytes = Buffer.from(content, "utf8");
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 255) parts.push(bytes.subarray(i, i + 255).toString("utf8"));
  return parts.length ? parts : [""];
}

/** A zone-file line, for customers who run their own zone. */
export function zoneFileLine(r: DnsRecord): string {
  const rdata = r.type === "TXT" ? splitTxt(r.content).map((s) => `"${s.replace(/(["\\])/g, "\\$1")}"`).join(" ") : r.type === "MX" ? `${r.priority} ${r.content}.` : r.content;
  return `${r.name}. ${r.ttl} IN ${r.type} ${rdata}`;
}
