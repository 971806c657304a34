import { Rule, T } from "./rule";

export const dnssecOnForHostedMailDomains: Rule = {
  name: "dnssec-on-for-hosted-mail-domains",
  description: "Every zone in which the provider publishes a customer's MX records has DNSSEC active.",
  why: "NTA 7516 (guide 5.7) requires DNSSEC on every mail domain; without it other providers cannot trust the NTA 7516 record and MX, and deliver through the portal or not securely.",
  enforcementLevel: "mandatory",
  stack: (rs) => {
    const signed = new Set(rs.filter((r) => r.type === T.dnssec && r.props.status === "active").map((r) => r.props.zoneId));
    const mxZones = new Map<string, { name: string; record: (typeof rs)[number] }>();
    for (const r of rs) {
      if (r.type === T.dnsRecord && r.props.type === "MX" && !mxZones.has(r.props.zoneId)) mxZones.set(r.props.zoneId, { name: r.props.name, record: r });
    }
    return [...mxZones.entries()]
      .filter(([zone]) => !signed.has(zone))
      .map(([zone, { name, record }]) => ({
        resource: record,
        message: `mail domain ${name} (zone ${zone}) publishes MX records but has no active DNSSEC; add a ZoneDnssec with status "active" (MailDns does so unless dnssec: false)`,
      }));
  },
};
