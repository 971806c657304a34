/**
 * DNS for the service tests: the lab's Knot (DNSSEC-signed zones) and validating Unbound,
 * with zones written relative to their origin as the tests find easiest.
 */
import { startDnsServers } from "../../scripts/lab/dns";
import { LabZone } from "../../scripts/lab/zones";

export interface Zone {
  name: string;
  /** Zone-file lines after SOA and NS, relative to the zone origin (`@ TXT "..."`, `mx A 127.0.0.1`). */
  records: string[];
  signed: boolean;
}

export interface DnsLab {
  resolver: { host: string; port: number };
  stop(): Promise<void>;
}

/** `owner TYPE rdata` relative to the zone, as the absolute line the lab publishes. */
function absolute(zone: string, line: string): string {
  const [owner, ...rest] = line.trim().split(/\s+/);
  const name = owner === "@" ? `${zone}.` : `${owner}.${zone}.`;
  return `${name} 300 IN ${rest.join(" ")}`;
}

export async function startDnsLab(base: string, knotAddress: string, unboundAddress: string, zones: Zone[]): Promise<DnsLab> {
  const lab: LabZone[] = zones.map((z) => ({ name: z.name, signed: z.signed, lines: z.records.map((r) => absolute(z.name, r)) }));
  const servers = await startDnsServers({ dir: base, knotAddress, unboundAddress, zones: lab });
  return { resolver: servers.resolver, stop: () => servers.stop() };
}
