import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { toCloudflare } from "./cloudflare";
import { DnsRecord } from "./records";

export interface MailDnsArgs {
  /** Cloudflare zone id of the zone the records live in. Required. */
  zoneId: string;
  /** Records from the record model (`customerDomainRecords`, `providerRecords`). Required; may be empty. */
  records: DnsRecord[];
  /** Turn DNSSEC on for the zone. Default: `true` (NTA 7516 5.7 asks it of every mail domain). */
  dnssec?: boolean;
  /** The Cloudflare provider to create records with. Required: never the ambient default. */
  provider: cloudflare.Provider;
}

/**
 * The mail records of one Cloudflare zone: one `cloudflare.DnsRecord` per record of the
 * model, named `<name>-<record key>`, and the zone's DNSSEC setting.
 */
export class MailDns extends pulumi.ComponentResource {
  readonly recordNames: string[];

  constructor(name: string, args: MailDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ezorg:dns:MailDns", name, {}, opts);
    const keys = new Set<string>();
    for (const r of args.records) {
      if (keys.has(r.key)) throw new Error(`MailDns ${name}: two records share the key ${r.key}; record keys name resources and must be unique per zone`);
      keys.add(r.key);
    }

    const childOpts = { parent: this, provider: args.provider };
    for (const record of args.records) {
      new cloudflare.DnsRecord(`${name}-${record.key}`, toCloudflare(record, args.zoneId), childOpts);
    }
    if (args.dnssec ?? true) {
      new cloudflare.ZoneDnssec(`${name}-dnssec`, { zoneId: args.zoneId, status: "active" }, childOpts);
    }
    this.recordNames = args.records.map((r) => r.name);

    this.registerOutputs({ recordCount: args.records.length, dnssec: args.dnssec ?? true });
  }
}
