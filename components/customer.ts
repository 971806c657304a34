import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { Customer, PlatformConfig } from "./config/model";
import { hasSecureCredential } from "./config/stages";
import { MailDns } from "./dns/mail-dns";
import { customerDomainRecords, wantsDnssec, zoneFileLine } from "./dns/records";

export interface CustomerStackInputs {
  platform: PlatformConfig;
  customer: Customer;
  /** Cloudflare API token; only read when the provider hosts the customer's zones. */
  cloudflareApiToken: () => pulumi.Output<string>;
  /** The SMTP password handed to the customer, when set in the stack's secret config. */
  smtpPassword?: pulumi.Output<string>;
}

/**
 * A customer stack: the DNS records of each of the customer's domains at its current
 * stage, on Cloudflare when the provider hosts the zone, otherwise as the list of
 * records the customer must publish.
 */
export function customerStack(inputs: CustomerStackInputs): Record<string, unknown> {
  const { platform, customer } = inputs;
  const perDomain = customer.domains.map((domain) => ({ domain, records: customerDomainRecords(platform, customer, domain) }));

  if (customer.dns.hosting === "cloudflare") {
    const provider = new cloudflare.Provider("cloudflare", { apiToken: inputs.cloudflareApiToken() });
    for (const { domain, records } of perDomain) {
      new MailDns(domain.replace(/\./g, "-"), { zoneId: customer.dns.zones![domain], records, dnssec: wantsDnssec(customer), provider });
    }
  }

  return {
    organisation: customer.organisation,
    stage: customer.stage,
    hosting: customer.dns.hosting,
    recordsToPublish: customer.dns.hosting === "customer" ? perDomain.flatMap((d) => d.records.map(zoneFileLine)) : [],
    dnssecRequired: wantsDnssec(customer),
    smtpUsername: hasSecureCredential(customer) ? customer.credential?.username : undefined,
    smtpPassword: hasSecureCredential(customer) ? inputs.smtpPassword : undefined,
  };
}
