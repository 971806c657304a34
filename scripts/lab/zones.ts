/**
 * The lab's zones as data: the customer's zone is exactly what the record model publishes at
 * a stage (rendered with zoneFileLine), the provider's zone is providerRecords, and a parent
 * zone carries the delegations and DS records. Pure, so the zone files are unit-tested.
 */
import { createHash } from "node:crypto";
import { Customer, PlatformConfig, Stage } from "../../components/config/model";
import { customerDomainRecords, DnsRecord, providerRecords, wantsDnssec, zoneFileLine } from "../../components/dns/records";

export interface LabZone {
  name: string;
  /** Zone-file lines with absolute names; the lab writes SOA, NS and the server's address itself. */
  lines: string[];
  signed: boolean;
  /**
   * The zone this one is delegated from (the lab must serve it too): the NS records and,
   * with `ds`, the DS records go there. Absent: a top zone, trusted through its own anchor.
   */
  parent?: string;
  /** The parent publishes the DS of this zone's KSK (ignored for an unsigned zone). Default true. */
  ds?: boolean;
}

/** One label up: the zone a customer domain is delegated from. */
export function parentOf(domain: string): string {
  const dot = domain.indexOf(".");
  if (dot < 0 || !domain.slice(dot + 1).includes(".")) {
    throw new Error(`lab: domain ${JSON.stringify(domain)} needs a parent of at least two labels (e.g. x.example.nl), so the lab can serve the parent with its DS`);
  }
  return domain.slice(dot + 1);
}

/** A deliberate deviation from the record model, for the failing cases. */
export interface ZoneEdit {
  /** Changes the records before they are published (e.g. DMARC p=none). */
  records?: (records: DnsRecord[]) => DnsRecord[];
  /** Overrides the model's signing decision. */
  signed?: boolean;
  /** false: the parent does not publish the DS. */
  ds?: boolean;
}

/** One customer domain at `stage`: the record model's records, signed as the model says. */
export function customerZone(platform: PlatformConfig, customer: Customer, domain: string, stage: Stage, edit: ZoneEdit = {}): LabZone {
  const at = { ...customer, stage };
  const records = customerDomainRecords(platform, at, domain);
  const lines = (edit.records ? edit.records(records) : records).map(zoneFileLine);
  return { name: domain, lines, signed: edit.signed ?? wantsDnssec(at), ds: edit.ds, parent: parentOf(domain) };
}

/**
 * The provider's zone, plus what the lab's helpdesk needs in it: an NTA 7516 record naming
 * the helpdesk mailbox server, so the secure nodes' compliance lookup delivers there directly.
 */
export function providerZone(platform: PlatformConfig, helpdeskMx: Record<string, string>): LabZone {
  const zone = platform.provider.zone;
  return { name: zone, lines: [...providerRecords(platform).map(zoneFileLine), ...helpdeskLines(platform, zone, helpdeskMx[zone])], signed: true };
}

/** A helpdesk domain that is not the provider's zone (e.g. `e-zorg.nl`). */
export function helpdeskZone(platform: PlatformConfig, domain: string, address: string): LabZone {
  return { name: domain, lines: helpdeskLines(platform, domain, address), signed: true };
}

function helpdeskLines(platform: PlatformConfig, domain: string, address: string | undefined): string[] {
  if (!address) return [];
  const { start, end } = platform.provider.certification;
  const host = `lab-helpdesk.${domain}`;
  const nta = `v=NTA7516-1;startdate=${start};enddate=${end};provider=${platform.provider.name};ntamx=10 ${host}`;
  return [`${host}. 60 IN A ${address}`, `${domain}. 60 IN TXT "${nta}"`];
}

/** The zone file: SOA, NS, the name server's address, then `zone.lines` and the delegations. */
export function zoneFile(zone: LabZone, serial: number, nsAddress: string, delegations: string[] = []): string {
  const head = [
    `$ORIGIN ${zone.name}.`,
    "$TTL 60",
    `@ SOA ns hostmaster ${serial} 60 60 600 60`,
    "@ NS ns",
    `ns A ${nsAddress}`,
  ];
  return [...head, ...zone.lines, ...delegations, ""].join("\n");
}

/** NS (and DS) lines a parent carries for one child. */
export function delegationLines(child: string, parentNs: string, ds: string[]): string[] {
  return [`${child}. 60 IN NS ${parentNs}.`, ...ds.map((d) => `${child}. 60 IN DS ${d}`)];
}

/**
 * The DS rdata (`keytag algorithm 2 digest`, SHA-256) of a DNSKEY in presentation form,
 * `257 3 13 <base64>`, owned by `zone` (RFC 4034 5.1.4 and appendix B).
 */
export function dsFromDnskey(zone: string, dnskey: string): string {
  const [flags, protocol, algorithm, ...key] = dnskey.trim().split(/\s+/);
  const rdata = Buffer.concat([
    Buffer.from([Number(flags) >> 8, Number(flags) & 255, Number(protocol), Number(algorithm)]),
    Buffer.from(key.join(""), "base64"),
  ]);
  const owner = Buffer.concat([...zone.toLowerCase().split(".").filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const digest = createHash("sha256").update(owner).update(rdata).digest("hex").toUpperCase();
  return `${keyTag(rdata)} ${algorithm} 2 ${digest}`;
}

function keyTag(rdata: Buffer): number {
  let acc = 0;
  for (let i = 0; i < rdata.length; i++) acc += i & 1 ? rdata[i] : rdata[i] << 8;
  acc += (acc >> 16) & 0xffff;
  return acc & 0xffff;
}
