/**
 * The typed configuration model. Everything the components, renderers, stages and
 * checks read comes from here, after `loadPlatform`/`loadCustomers` validated it.
 * Field names match the YAML keys of `stacks/Pulumi.<stack>.yaml` (under
 * `ezorg:platform`) and of `stacks/customers/<slug>.yaml`.
 */

/** A host name (no trailing dot), an IP address and a TCP port. */
export interface Endpoint {
  hostname: string;
  address: string;
  port: number;
}

/** One Dutch datacentre. */
export interface Datacenter {
  /** Short identifier used in resource names, e.g. `ams1`. */
  name: string;
  /** City the site is in; two sites must not share a city. */
  city: string;
  /** ISO 3166 country code; only `NL` is allowed (NTA 7516 6.1.13). */
  country: string;
  /** Docker endpoint of the site, e.g. `ssh://deploy@docker.ams1.ezorg.internal`. */
  dockerHost: string;
  /** The site's internal container network. */
  network: { name: string; subnet: string };
}

export interface SecureNode {
  /** Node identifier, e.g. `smtpnode1`. */
  name: string;
  /** The node's service address, e.g. `10.254.253.86`. */
  address: string;
  /** Name of the datacentre the node runs in. */
  datacenter: string;
}

export interface Mailfilter {
  preference: number;
  hostname: string;
  /** Public addresses of the host when this zone serves them; absent: the A record is not managed. */
  addresses?: string[];
}

export interface PlatformConfig {
  /** `test` or `prod`. */
  environment: string;
  provider: {
    /** Name used in the NTA 7516 interoperability record, e.g. `E-Zorg`. */
    name: string;
    /** The provider's own DNS zone, e.g. `ezorg.nl`. */
    zone: string;
    cloudflareZoneId: string;
    /** Certification period as `YYYY-MM`, published in every customer's NTA 7516 record. */
    certification: { start: string; end: string };
  };
  datacenters: Datacenter[];
  /** `inside-relay`: inbound (and, in the test phase, outbound) relay, one per datacentre. */
  relay: Endpoint;
  /** `secure-smtpnodes`: the outbound nodes, spread over the datacentres. */
  secureNodes: { hostname: string; port: number; nodes: SecureNode[] };
  /** Where the secure nodes hand over mail for recipients that are not NTA 7516 compliant. */
  portal: { hostname: string; port: number };
  /** The MX hosts customers publish (Table 1). */
  mailfilters: Mailfilter[];
  /** SPF: what customers include, and the provider's external sending addresses behind it. */
  spf: { include: string; egress: string[] };
  /** Header that chooses the route; `default` is what an absent header means. */
  secureHeader: { name: string; default: "false" | "true" };
  tls: {
    /** Minimum protocol on submission services (587). */
    minimumVersion: "TLSv1.2" | "TLSv1.3";
  };
  queue: {
    /** Hours after which a sender receives a delay notice. */
    delayWarningHours: number;
    /** Days a message stays queued before it bounces. */
    maximalLifetimeDays: number;
    /** NTA 7516 6.1.4: the sender must be told within this many hours. */
    notifyWithinHours: number;
  };
  /** Test recipients of the route tests (note the two different domains). */
  helpdesk: { to: string; cc: string };
  /** Preventive maintenance window, not counted against availability. */
  maintenance: { start: string; end: string; timezone: string };
  availability: {
    /** Yearly objective in percent, at least 99.8. */
    objectivePercent: number;
    /** Longest continuous outage allowed, at most 24. */
    maxOutageHours: number;
    /** Window the paging burn-rate alerts are computed over. */
    pageWindowDays: number;
  };
  backup: {
    /** Cron schedule of the job in each datacentre. */
    schedule: string;
    keepDaily: number;
    keepWeekly: number;
    keepMonthly: number;
    /** Share of the repository read by each check, e.g. `10%`. */
    checkReadSubset: string;
    /** Alert when the last successful backup is older than this. */
    maxAgeHours: number;
  };
  monitoring: {
    /** Seconds between probes. */
    probeIntervalSeconds: number;
  };
  /** Container images, pinned. */
  images: {
    postfix: string;
    restic: string;
    restServer: string;
    prometheus: string;
    blackbox: string;
    /** Serves the backup job's textfile metrics to Prometheus. */
    textfileExporter: string;
  };
}

export type MailSoftware = "exchange-2016" | "exchange-2019" | "exchange-se" | "exchange-online" | "postfix";

export interface Contact {
  name: string;
  email: string;
  phone: string;
}

/** Onboarding stages in order; the descriptor's `stage` is the one being worked on. */
export const STAGES = [
  "connection",
  "network",
  "receive-connector",
  "test-send-connector",
  "route-test",
  "domains-registered",
  "x-headers",
  "x-header-test",
  "secure-switch",
  "final-route-test",
  "cutover",
  "nta-dns",
  "live",
] as const;
export type Stage = (typeof STAGES)[number];

export interface Customer {
  /** Lower-case identifier; the customer stack is `customer-<slug>`. */
  slug: string;
  /** The platform stack the customer is onboarded on. Default `prod`. */
  platform?: "test" | "prod";
  organisation: string;
  /** Every domain both sends and receives. */
  domains: string[];
  /** Domain used during the test stages: `ezorg.nl` or the customer's own test domain. */
  testDomain: string;
  mailServer: { address: string; port: number; software: MailSoftware; version: string };
  contacts: { implementer: Contact; administrator: Contact };
  /** AD universal security groups that set the secure-mail header. */
  policy: { secureGroup: string; bypassGroup: string };
  dns: {
    /** `cloudflare`: the provider runs the zones; `customer`: the customer publishes what we list. */
    hosting: "cloudflare" | "customer";
    /** Cloudflare zone id per domain, required with `cloudflare` hosting. */
    zones?: Record<string, string>;
    /** SPF record each domain publishes today, merged with the provider's include. */
    existingSpf?: Record<string, string>;
    dmarc: { policy: "quarantine" | "reject"; rua?: string };
    /**
     * DNSSEC on the provider-hosted zones once MX moves. Default `true`; `false` only
     * while a registrar cannot publish the DS record: the NTA 7516 policy then fails.
     */
    dnssec?: boolean;
  };
  /**
   * DKIM selector and public key (base64 SubjectPublicKeyInfo). The private keys live in the
   * customer stack's secret config (`ezorg:dkimPrivateKey`, PEM): the first one signs, under
   * the selector whose public key matches it. `previous`: during a rotation the older
   * selector, still published until the ISO date `until` (`ezorg rotate dkim --finish` removes it).
   */
  dkim?: { selector: string; publicKey: string; previous?: { selector: string; publicKey: string; until: string } };
  /**
   * SMTP AUTH credential for the secure nodes: user name and a `{SHA512-CRYPT}` hash, never the
   * password. `previous`: during a rotation the older hash, accepted as well until the ISO date
   * `until` (`ezorg rotate credential --finish` revokes it; renderers do not read the clock).
   */
  credential?: { username: string; passwordHash: string; previous?: { passwordHash: string; until: string } };
  stage: Stage;
}

/** Where a value came from, for error messages. */
export interface Located<T> {
  file: string;
  value: T;
}
