import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer, PlatformConfig } from "../../components/config/model";
import * as rules from "../../components/config/rules";
import { formatViolation } from "../../components/config/violations";
import { sampleCustomers, samplePlatform } from "../fixtures";

const PFILE = "stacks/Pulumi.prod.yaml";
const at = (path: string) => ({ file: PFILE, path: path ? `ezorg:platform/${path}` : "ezorg:platform" });
const cat = (slug: string) => (path: string) => ({ file: `stacks/customers/${slug}.yaml`, path });

/** One platform rule: the sample complies; `breakIt` makes it fail with exactly `message`. */
const platformCases: { rule: rules.PlatformRule; title: string; breakIt: (p: PlatformConfig) => void; message: string }[] = [
  {
    rule: rules.atLeastTwoDatacenters,
    title: "at least two datacentres",
    breakIt: (p) => p.datacenters.splice(1),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/datacenters = ["ams1"]: the platform needs at least two datacentres (NTA 7516 6.1.2, redundancy). Fix: add a second Dutch datacentre in another city.',
  },
  {
    rule: rules.datacentersInNL,
    title: "datacentres in NL",
    breakIt: (p) => (p.datacenters[1].country = "DE"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/datacenters/1/country = "DE": every datacentre must be in the Netherlands (NTA 7516 6.1.13, data stays in the EEA; the provider hosts in NL). Fix: set country to NL and use a Dutch site.',
  },
  {
    rule: rules.datacentersInDifferentCities,
    title: "different cities",
    breakIt: (p) => (p.datacenters[1].city = "amsterdam"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/datacenters/1/city = "amsterdam": datacentres ams1 and gro1 are in the same city; they must be geographically separate. Fix: move gro1 to another city.',
  },
  {
    rule: rules.uniqueDatacenterNames,
    title: "unique datacentre names",
    breakIt: (p) => (p.datacenters[1].name = "ams1"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/datacenters/1/name = "ams1": datacentre names must be unique. Fix: give each datacentre its own name.',
  },
  {
    rule: rules.distinctSubnets,
    title: "distinct subnets",
    breakIt: (p) => (p.datacenters[1].network.subnet = p.datacenters[0].network.subnet),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/datacenters/1/network/subnet = "172.30.1.0/24": the subnet is already used by datacentre ams1. Fix: give each datacentre its own subnet.',
  },
  {
    rule: rules.secureNodesSpread,
    title: "secure nodes spread over datacentres",
    breakIt: (p) => (p.secureNodes.nodes[1].datacenter = "ams1"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/secureNodes/nodes = ["smtpnode1@ams1","smtpnode2@ams1"]: the secure mail nodes must be at least two, in at least two datacentres. Fix: place one node in each datacentre.',
  },
  {
    rule: rules.secureNodesSpread,
    title: "secure nodes name a known datacentre",
    breakIt: (p) => (p.secureNodes.nodes[1].datacenter = "rtm1"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/secureNodes/nodes/1/datacenter = "rtm1": must name a datacentre of this platform. Fix: use one of ams1, gro1.',
  },
  {
    rule: rules.availabilityObjective,
    title: "availability at least 99.8 %",
    breakIt: (p) => (p.availability.objectivePercent = 99.5),
    message: "stacks/Pulumi.prod.yaml ezorg:platform/availability/objectivePercent = 99.5: the availability objective must be at least 99.8 % a year (NTA 7516 6.1.2). Fix: set objectivePercent to 99.8 or higher.",
  },
  {
    rule: rules.maximumOutage,
    title: "outage at most 24 h",
    breakIt: (p) => (p.availability.maxOutageHours = 36),
    message: "stacks/Pulumi.prod.yaml ezorg:platform/availability/maxOutageHours = 36: a continuous outage may last at most 24 hours (NTA 7516 6.1.3). Fix: set maxOutageHours to 24 or less.",
  },
  {
    rule: rules.senderToldInTime,
    title: "sender told within 24 h",
    breakIt: (p) => (p.queue.notifyWithinHours = 48),
    message: "stacks/Pulumi.prod.yaml ezorg:platform/queue/notifyWithinHours = 48: the sender of undeliverable mail must be told within 24 hours (NTA 7516 6.1.4). Fix: set notifyWithinHours to 24 or less.",
  },
  {
    rule: rules.senderToldInTime,
    title: "delay notice before the notify limit",
    breakIt: (p) => (p.queue.delayWarningHours = 24),
    message: "stacks/Pulumi.prod.yaml ezorg:platform/queue/delayWarningHours = 24: the delay notice must go out before the 24 h notify limit. Fix: set delayWarningHours below 24, e.g. 4.",
  },
  {
    rule: rules.secureByDefault,
    title: "secure by default",
    breakIt: (p) => (p.secureHeader.default = "true"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/secureHeader/default = "true": an absent header must mean secure sending (NTA 7516 6.1.16, security by default). Fix: set default to "false".',
  },
  {
    rule: rules.maintenanceWindowOrdered,
    title: "maintenance window ordered",
    breakIt: (p) => (p.maintenance.end = "04:00"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/maintenance/end = "04:00": the maintenance window must end after it starts (05:00). Fix: use a window within one day, e.g. 05:00 to 07:00.',
  },
  {
    rule: rules.certificationOrdered,
    title: "certification period ordered",
    breakIt: (p) => (p.provider.certification.end = "2023-01"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/provider/certification/end = "2023-01": the certification must end after it starts (2024-05). Fix: copy the period from the certificate.',
  },
  {
    rule: rules.uniqueMxPreferences,
    title: "unique MX preferences",
    breakIt: (p) => (p.mailfilters[3].preference = 30),
    message: "stacks/Pulumi.prod.yaml ezorg:platform/mailfilters/3/preference = 30: MX preferences must be unique. Fix: give each mailfilter its own preference, e.g. 10, 20, 30, 40.",
  },
  {
    rule: rules.uniqueNodes,
    title: "secure nodes with their own names and addresses",
    breakIt: (p) => (p.secureNodes.nodes[1] = { ...p.secureNodes.nodes[1], name: "smtpnode1", address: "10.254.253.199" }),
    message: "",
  },
  {
    rule: rules.serviceNamesInProviderZone,
    title: "service names in the provider zone",
    breakIt: (p) => (p.relay.hostname = "relay.example.com"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/relay/hostname = "relay.example.com": is not in the provider zone ezorg.nl, where its records are published. Fix: use a name under ezorg.nl.',
  },
  {
    rule: rules.subnetsValid,
    title: "subnets are IPv4 networks",
    breakIt: (p) => (p.datacenters[1].network.subnet = "999.30.2.7/24"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/datacenters/1/network/subnet = "999.30.2.7/24": is not an IPv4 network. Fix: use a private range such as 172.30.1.0/24.',
  },
  {
    rule: rules.backupScheduleSound,
    title: "a valid backup schedule",
    breakIt: (p) => (p.backup.schedule = "99 2 * * *"),
    message: 'stacks/Pulumi.prod.yaml ezorg:platform/backup/schedule = "99 2 * * *": is not a valid cron schedule (Constraint error, got value 99 expected range 0-59). Fix: use five fields: minute hour day month weekday, e.g. 30 2 * * *.',
  },
  {
    rule: rules.backupScheduleSound,
    title: "a stale-backup limit longer than the schedule",
    breakIt: (p) => (p.backup.maxAgeHours = 2),
    message: "stacks/Pulumi.prod.yaml ezorg:platform/backup/maxAgeHours = 2: must exceed the 24 h between scheduled backups, or the stale-backup alert fires after every run. Fix: set maxAgeHours above 24, e.g. 26.",
  },
];

describe("platform rules", () => {
  for (const c of platformCases) {
    it(`${c.title}: the sample complies`, () => assert.deepEqual(c.rule(samplePlatform(), at), []));
    it(`${c.title}: a breaking change is reported with value, rule and fix`, () => {
      const p = samplePlatform();
      c.breakIt(p);
      const found = c.rule(p, at).map(formatViolation);
      if (c.message) assert.deepEqual(found, [c.message]);
      else assert.deepEqual(found, [
        'stacks/Pulumi.prod.yaml ezorg:platform/secureNodes/nodes/1/name = "smtpnode1": secure node names must be unique. Fix: give each node its own name, e.g. smtpnode1, smtpnode2.',
        'stacks/Pulumi.prod.yaml ezorg:platform/secureNodes/nodes/1/address = "10.254.253.199": is already the address of the relay; two services cannot bind one address and port. Fix: give each node its own address (Table 1: .86 and .87).',
      ]);
    });
  }

  it("every platform rule is in the list the loader runs", () => {
    for (const c of platformCases) assert.ok(rules.PLATFORM_RULES.includes(c.rule), c.title);
  });

  it("refuses a certification that has ended, and accepts the current one", () => {
    const now = new Date("2026-12-03T10:00:00Z");
    assert.deepEqual(rules.certificationCurrent(now)(samplePlatform(), at), []);
    const p = samplePlatform();
    p.provider.certification.end = "2026-11";
    assert.deepEqual(rules.certificationCurrent(now)(p, at).map(formatViolation), [
      'stacks/Pulumi.prod.yaml ezorg:platform/provider/certification/end = "2026-11": the certification ended before 2026-12; other providers would stop delivering directly. Fix: renew the certification and copy the new period.',
    ]);
  });

  it("warns about a private SPF egress address", () => {
    const p = samplePlatform();
    p.spf.egress = ["10.0.0.1", "145.100.10.1"];
    assert.deepEqual(rules.privateEgress(p, at).map((x) => [x.path, x.value]), [["ezorg:platform/spf/egress/0", "10.0.0.1"]]);
  });

  it("warns about documentation addresses but not about real ones", () => {
    const p = samplePlatform();
    assert.deepEqual(rules.placeholderAddresses(p, at).map((v) => v.path), ["ezorg:platform/spf/egress/0", "ezorg:platform/spf/egress/1"]);
    p.spf.egress = ["145.100.10.1"];
    assert.deepEqual(rules.placeholderAddresses(p, at), []);
  });
});

const customerCases: { rule: rules.CustomerRule; title: string; breakIt: (c: Customer) => void; message: string }[] = [
  {
    rule: rules.slugMatchesFile,
    title: "slug matches the file name",
    breakIt: (c) => (c.slug = "zorggroep-oost"),
    message: 'stacks/customers/zorggroep-noord.yaml slug = "zorggroep-oost": must match the file name (zorggroep-noord). Fix: rename the file to zorggroep-oost.yaml or set slug to zorggroep-noord.',
  },
  {
    rule: rules.cloudflareZonesKnown,
    title: "a Cloudflare-hosted domain has a zone id",
    breakIt: (c) => delete c.dns.zones!["kliniek-noord.example.nl"],
    message: "stacks/customers/zorggroep-noord.yaml dns/zones/kliniek-noord.example.nl = (missing): domain kliniek-noord.example.nl (domains/1) is hosted on Cloudflare but has no zone id. Fix: add dns.zones.kliniek-noord.example.nl with its 32-character zone id, or set dns.hosting to customer.",
  },
  {
    rule: rules.dnsMapsNameOwnDomains,
    title: "DNS maps name only the customer's domains",
    breakIt: (c) => (c.dns.existingSpf = { "other.example.nl": "v=spf1 -all" }),
    message: 'stacks/customers/zorggroep-noord.yaml dns/existingSpf/other.example.nl = "other.example.nl": names a domain that is not in domains. Fix: add other.example.nl to domains or remove it from dns.existingSpf.',
  },
  {
    rule: rules.credentialWhenSecure,
    title: "a credential once the secure nodes are used",
    breakIt: (c) => delete c.credential,
    message: "stacks/customers/zorggroep-noord.yaml credential = (missing): stage live sends through the secure nodes, which need the customer's credential. Fix: run `ezorg rotate credential zorggroep-noord`, or set stage to x-header-test.",
  },
  {
    rule: rules.dkimWhenPublished,
    title: "a DKIM key once DKIM is published",
    breakIt: (c) => delete c.dkim,
    message: "stacks/customers/zorggroep-noord.yaml dkim = (missing): stage live publishes DKIM (NTA 7516 5.7.2), which needs a selector and key. Fix: run `ezorg rotate dkim zorggroep-noord`, or set stage to cutover.",
  },
  {
    rule: rules.notProviderDomain,
    title: "no customer claims the provider's zone",
    breakIt: (c) => (c.domains[1] = "mail.ezorg.nl"),
    message: 'stacks/customers/zorggroep-noord.yaml domains/1 = "mail.ezorg.nl": is the provider\'s own zone ezorg.nl. Fix: list only the organisation\'s own domains; the test domain goes in testDomain.',
  },
  {
    rule: rules.spfSound,
    title: "an existing SPF record that lets anyone send",
    breakIt: (c) => (c.dns.existingSpf = { "kliniek-noord.example.nl": "v=spf1 mx +all" }),
    message: 'stacks/customers/zorggroep-noord.yaml dns/existingSpf/kliniek-noord.example.nl = "v=spf1 mx +all": ends in +all, which lets anyone send as kliniek-noord.example.nl (NTA 7516 6.1.5, domain abuse prevented). Fix: end it with -all or ~all.',
  },
  {
    rule: rules.spfSound,
    title: "an existing SPF record without all",
    breakIt: (c) => (c.dns.existingSpf = { "kliniek-noord.example.nl": "v=spf1 mx" }),
    message: 'stacks/customers/zorggroep-noord.yaml dns/existingSpf/kliniek-noord.example.nl = "v=spf1 mx": has no all mechanism, so anyone not listed gets a neutral result. Fix: end the record with -all (or ~all while testing).',
  },
  {
    rule: rules.spfSound,
    title: "an SPF record within ten lookups once the include is added",
    breakIt: (c) => (c.dns.existingSpf = { "kliniek-noord.example.nl": `v=spf1 a mx ${Array.from({ length: 8 }, (_, i) => `include:s${i}.example.nl`).join(" ")} -all` }),
    message: 'stacks/customers/zorggroep-noord.yaml dns/existingSpf/kliniek-noord.example.nl = "v=spf1 a mx include:s0.example.nl include:s1.example.nl include:s2.example.n...: needs 11 DNS lookups with the provider\'s include (a, mx, include:s0.example.nl, include:s1.example.nl, include:s2.example.nl, include:s3.example.nl, include:s4.example.nl, include:s5.example.nl, include:s6.example.nl, include:s7.example.nl, include:_spf.ezorg.nl), over the limit of 10: receivers answer PermError. Fix: drop senders the domain no longer uses, or flatten includes into ip4: ranges.',
  },
  {
    rule: rules.serverNotAPlatformAddress,
    title: "a customer server that is not the platform",
    breakIt: (c) => (c.mailServer.address = "10.254.253.86"),
    message: 'stacks/customers/zorggroep-noord.yaml mailServer/address = "10.254.253.86": is an address of the platform itself, not of the customer\'s mail server. Fix: give the internal address of the customer\'s own mail server.',
  },
];

describe("customer rules", () => {
  for (const c of customerCases) {
    it(`${c.title}: the sample complies`, () => assert.deepEqual(c.rule(sampleCustomers()[0], cat("zorggroep-noord"), samplePlatform()), []));
    it(`${c.title}: a breaking change is reported with value, rule and fix`, () => {
      const customer = sampleCustomers()[0];
      c.breakIt(customer);
      assert.deepEqual(c.rule(customer, cat("zorggroep-noord"), samplePlatform()).map(formatViolation), [c.message]);
    });
  }

  it("a customer before secure-switch needs no credential", () => {
    const customer = { ...sampleCustomers()[0], stage: "x-header-test" as const };
    delete customer.credential;
    assert.deepEqual(rules.credentialWhenSecure(customer, cat("zorggroep-noord")), []);
  });
});

describe("registryRules", () => {
  it("accepts customers with distinct domains and logins", () => {
    const entries = sampleCustomers().map((customer) => ({ customer, at: cat(customer.slug) }));
    assert.deepEqual(rules.registryRules(entries), []);
  });

  it("reports a domain claimed by two customers at the second claim", () => {
    const [a, b] = sampleCustomers();
    b.domains = ["huisarts-zuid.example.nl", "kliniek-noord.example.nl"];
    const found = rules.registryRules([a, b].map((customer) => ({ customer, at: cat(customer.slug) })));
    assert.deepEqual(found.map(formatViolation), [
      'stacks/customers/huisarts-zuid.yaml domains/1 = "kliniek-noord.example.nl": is already claimed by customer zorggroep-noord; a domain belongs to one organisation. Fix: remove kliniek-noord.example.nl from one of zorggroep-noord and huisarts-zuid.',
    ]);
  });

  it("reports a login used by two customers", () => {
    const [a, b] = sampleCustomers();
    b.credential = { ...a.credential! };
    const found = rules.registryRules([a, b].map((customer) => ({ customer, at: cat(customer.slug) })));
    assert.deepEqual(found.map((v) => [v.file, v.path, v.value]), [["stacks/customers/huisarts-zuid.yaml", "credential/username", "zorggroep-noord"]]);
  });
});
