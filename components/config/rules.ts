import { CronExpressionParser } from "cron-parser";
import { isIP } from "node:net";
import { mergeSpf, SPF_LOOKUP_LIMIT, spfTerms } from "../dns/spf";
import { Customer, PlatformConfig } from "./model";
import { reached } from "./stages";
import { Violation } from "./violations";

/*
 * The rules a JSON Schema cannot say. Each rule is a plain function of the typed model
 * returning its violations, so a test can give it one compliant and one failing case.
 */

/** The yearly availability NTA 7516 6.1.2 asks of a provider. */
export const MIN_AVAILABILITY_PERCENT = 99.8;
/** NTA 7516 6.1.3: the longest continuous outage allowed. */
export const MAX_OUTAGE_HOURS = 24;
/** NTA 7516 6.1.4: the sender of undeliverable mail is told within this many hours. */
export const MAX_NOTIFY_HOURS = 24;

type Where = (path: string) => { file: string; path: string };
export type PlatformRule = (p: PlatformConfig, at: Where) => Violation[];
export type CustomerRule = (c: Customer, at: Where, platform?: PlatformConfig) => Violation[];

const v = (
  at: { file: string; path: string },
  value: unknown,
  rule: string,
  fix: string,
): Violation => ({ ...at, value, rule, fix });

export const atLeastTwoDatacenters: PlatformRule = (p, at) =>
  p.datacenters.length >= 2
    ? []
    : [
        v(at("datacenters"), p.datacenters.map((d) => d.name), "the platform needs at least two datacentres (NTA 7516 6.1.2, redundancy)", "add a second Dutch datacentre in another city"),
      ];

export const datacentersInNL: PlatformRule = (p, at) =>
  p.datacenters.flatMap((d, i) =>
    d.country === "NL"
      ? []
      : [v(at(`datacenters/${i}/country`), d.country, "every datacentre must be in the Netherlands (NTA 7516 6.1.13, data stays in the EEA; the provider hosts in NL)", "set country to NL and use a Dutch site")],
  );

export const datacentersInDifferentCities: PlatformRule = (p, at) => {
  const seen = new Map<string, string>();
  return p.datacenters.flatMap((d, i) => {
    const key = d.city.trim().toLowerCase();
    const other = seen.get(key);
    seen.set(key, d.name);
    return other
      ? [v(at(`datacenters/${i}/city`), d.city, `datacentres ${other} and ${d.name} are in the same city; they must be geographically separate`, `move ${d.name} to another city`)]
      : [];
  });
};

export const uniqueDatacenterNames: PlatformRule = (p, at) => {
  const seen = new Set<string>();
  return p.datacenters.flatMap((d, i) => {
    const dup = seen.has(d.name);
    seen.add(d.name);
    return dup ? [v(at(`datacenters/${i}/name`), d.name, "datacentre names must be unique", "give each datacentre its own name")] : [];
  });
};

export const distinctSubnets: PlatformRule = (p, at) => {
  const seen = new Map<string, string>();
  return p.datacenters.flatMap((d, i) => {
    const other = seen.get(d.network.subnet);
    seen.set(d.network.subnet, d.name);
    return other
      ? [v(at(`datacenters/${i}/network/subnet`), d.network.subnet, `the subnet is already used by datacentre ${other}`, "give each datacentre its own subnet")]
      : [];
  });
};

export const secureNodesSpread: PlatformRule = (p, at) => {
  const names = new Set(p.datacenters.map((d) => d.name));
  const out: Violation[] = p.secureNodes.nodes.flatMap((n, i) =>
    names.has(n.datacenter)
      ? []
      : [v(at(`secureNodes/nodes/${i}/datacenter`), n.datacenter, "must name a datacentre of this platform", `use one of ${[...names].join(", ")}`)],
  );
  const used = new Set(p.secureNodes.nodes.map((n) => n.datacenter));
  if (p.secureNodes.nodes.length < 2 || used.size < 2) {
    out.push(
      v(at("secureNodes/nodes"), p.secureNodes.nodes.map((n) => `${n.name}@${n.datacenter}`), "the secure mail nodes must be at least two, in at least two datacentres", "place one node in each datacentre"),
    );
  }
  return out;
};

export const availabilityObjective: PlatformRule = (p, at) =>
  p.availability.objectivePercent >= MIN_AVAILABILITY_PERCENT
    ? []
    : [v(at("availability/objectivePercent"), p.availability.objectivePercent, `the availability objective must be at least ${MIN_AVAILABILITY_PERCENT} % a year (NTA 7516 6.1.2)`, `set objectivePercent to ${MIN_AVAILABILITY_PERCENT} or higher`)];

export const maximumOutage: PlatformRule = (p, at) =>
  p.availability.maxOutageHours <= MAX_OUTAGE_HOURS
    ? []
    : [v(at("availability/maxOutageHours"), p.availability.maxOutageHours, `a continuous outage may last at most ${MAX_OUTAGE_HOURS} hours (NTA 7516 6.1.3)`, `set maxOutageHours to ${MAX_OUTAGE_HOURS} or less`)];

export const senderToldInTime: PlatformRule = (p, at) => {
  const q = p.queue;
  const out: Violation[] = [];
  if (q.notifyWithinHours > MAX_NOTIFY_HOURS) {
    out.push(v(at("queue/notifyWithinHours"), q.notifyWithinHours, `the sender of undeliverable mail must be told within ${MAX_NOTIFY_HOURS} hours (NTA 7516 6.1.4)`, `set notifyWithinHours to ${MAX_NOTIFY_HOURS} or less`));
  }
  if (q.delayWarningHours >= q.notifyWithinHours) {
    out.push(v(at("queue/delayWarningHours"), q.delayWarningHours, `the delay notice must go out before the ${q.notifyWithinHours} h notify limit`, `set delayWarningHours below ${q.notifyWithinHours}, e.g. 4`));
  }
  return out;
};

export const secureByDefault: PlatformRule = (p, at) =>
  p.secureHeader.default === "false"
    ? []
    : [v(at("secureHeader/default"), p.secureHeader.default, "an absent header must mean secure sending (NTA 7516 6.1.16, security by default)", 'set default to "false"')];

export const maintenanceWindowOrdered: PlatformRule = (p, at) =>
  p.maintenance.start < p.maintenance.end
    ? []
    : [v(at("maintenance/end"), p.maintenance.end, `the maintenance window must end after it starts (${p.maintenance.start})`, "use a window within one day, e.g. 05:00 to 07:00")];

export const certificationOrdered: PlatformRule = (p, at) =>
  p.provider.certification.start < p.provider.certification.end
    ? []
    : [v(at("provider/certification/end"), p.provider.certification.end, `the certification must end after it starts (${p.provider.certification.start})`, "copy the period from the certificate")];

export const uniqueMxPreferences: PlatformRule = (p, at) => {
  const seen = new Set<number>();
  return p.mailfilters.flatMap((m, i) => {
    const dup = seen.has(m.preference);
    seen.add(m.preference);
    return dup ? [v(at(`mailfilters/${i}/preference`), m.preference, "MX preferences must be unique", "give each mailfilter its own preference, e.g. 10, 20, 30, 40")] : [];
  });
};

export const uniqueNodes: PlatformRule = (p, at) => {
  const out: Violation[] = [];
  const names = new Set<string>();
  const addresses = new Map<string, string>([[p.relay.address, "the relay"]]);
  p.secureNodes.nodes.forEach((n, i) => {
    if (names.has(n.name)) out.push(v(at(`secureNodes/nodes/${i}/name`), n.name, "secure node names must be unique", "give each node its own name, e.g. smtpnode1, smtpnode2"));
    names.add(n.name);
    const other = addresses.get(n.address);
    if (other) out.push(v(at(`secureNodes/nodes/${i}/address`), n.address, `is already the address of ${other}; two services cannot bind one address and port`, "give each node its own address (Table 1: .86 and .87)"));
    addresses.set(n.address, `node ${n.name}`);
  });
  return out;
};

export const serviceNamesInProviderZone: PlatformRule = (p, at) => {
  const zone = p.provider.zone;
  const names: [string, string][] = [["relay/hostname", p.relay.hostname], ["secureNodes/hostname", p.secureNodes.hostname], ["spf/include", p.spf.include]];
  return names
    .filter(([, name]) => !name.endsWith(`.${zone}`))
    .map(([path, name]) => v(at(path), name, `is not in the provider zone ${zone}, where its records are published`, `use a name under ${zone}`));
};

export const subnetsValid: PlatformRule = (p, at) =>
  p.datacenters.flatMap((d, i) => {
    const [network, bits] = d.network.subnet.split("/");
    return isIP(network) === 4 && Number(bits) <= 32
      ? []
      : [v(at(`datacenters/${i}/network/subnet`), d.network.subnet, "is not an IPv4 network", "use a private range such as 172.30.1.0/24")];
  });

/** Hours between two runs of a cron schedule, or an error text. */
export function cronIntervalHours(schedule: string): number | string {
  try {
    const runs = CronExpressionParser.parse(schedule, { currentDate: new Date("2026-01-05T00:00:00Z"), tz: "UTC" });
    const first = runs.next().getTime();
    return (runs.next().getTime() - first) / 3_600_000;
  } catch (err) {
    return (err as Error).message;
  }
}

export const backupScheduleSound: PlatformRule = (p, at) => {
  const interval = cronIntervalHours(p.backup.schedule);
  if (typeof interval === "string") {
    return [v(at("backup/schedule"), p.backup.schedule, `is not a valid cron schedule (${interval})`, "use five fields: minute hour day month weekday, e.g. 30 2 * * *")];
  }
  return p.backup.maxAgeHours > interval
    ? []
    : [v(at("backup/maxAgeHours"), p.backup.maxAgeHours, `must exceed the ${interval} h between scheduled backups, or the stale-backup alert fires after every run`, `set maxAgeHours above ${interval}, e.g. ${interval + 2}`)];
};

/** The certification published in every customer's NTA 7516 record must not have ended. */
export const certificationCurrent = (now: Date): PlatformRule => (p, at) => {
  const month = now.toISOString().slice(0, 7);
  return p.provider.certification.end >= month
    ? []
    : [v(at("provider/certification/end"), p.provider.certification.end, `the certification ended before ${month}; other providers would stop delivering directly`, "renew the certification and copy the new period")];
};

export const PLATFORM_RULES: PlatformRule[] = [
  uniqueNodes,
  serviceNamesInProviderZone,
  subnetsValid,
  backupScheduleSound,
  atLeastTwoDatacenters,
  datacentersInNL,
  datacentersInDifferentCities,
  uniqueDatacenterNames,
  distinctSubnets,
  secureNodesSpread,
  availabilityObjective,
  maximumOutage,
  senderToldInTime,
  secureByDefault,
  maintenanceWindowOrdered,
  certificationOrdered,
  uniqueMxPreferences,
];

const DOCUMENTATION_RANGES = ["192.0.2.", "198.51.100.", "203.0.113."];

const PRIVATE_RANGES = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./];

/** Warning: receivers on the internet never see a private address, so SPF cannot match it. */
export const privateEgress: PlatformRule = (p, at) =>
  p.spf.egress
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => PRIVATE_RANGES.some((r) => r.test(a)))
    .map(({ a, i }) => v(at(`spf/egress/${i}`), a, "is a private address; receivers check SPF against the public address mail leaves from", "list the public (NAT) address of the secure nodes"));

/** Warnings, not errors: values that are valid but still stand in for real ones. */
export const placeholderAddresses: PlatformRule = (p, at) =>
  [
    ...p.spf.egress.map((a, i) => ({ a, path: `spf/egress/${i}` })),
    ...p.mailfilters.flatMap((m, i) => (m.addresses ?? []).map((a, j) => ({ a, path: `mailfilters/${i}/addresses/${j}` }))),
  ]
    .filter(({ a }) => isIP(a) === 4 && DOCUMENTATION_RANGES.some((r) => a.startsWith(r)))
    .map(({ a, path }) => v(at(path), a, "is a documentation address (RFC 5737), not a real one", "replace it with the provider's real external address"));

export const slugMatchesFile: CustomerRule = (c, at) => {
  const file = at("").file;
  const expected = file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  return c.slug === expected
    ? []
    : [v(at("slug"), c.slug, `must match the file name (${expected})`, `rename the file to ${c.slug}.yaml or set slug to ${expected}`)];
};

export const cloudflareZonesKnown: CustomerRule = (c, at) => {
  if (c.dns.hosting !== "cloudflare") return [];
  const zones = c.dns.zones ?? {};
  return c.domains.flatMap((d, i) =>
    zones[d] ? [] : [v(at(`dns/zones/${d}`), undefined, `domain ${d} (domains/${i}) is hosted on Cloudflare but has no zone id`, `add dns.zones.${d} with its 32-character zone id, or set dns.hosting to customer`)],
  );
};

export const dnsMapsNameOwnDomains: CustomerRule = (c, at) => {
  const own = new Set(c.domains);
  const keys = [
    ...Object.keys(c.dns.zones ?? {}).map((k) => ["zones", k]),
    ...Object.keys(c.dns.existingSpf ?? {}).map((k) => ["existingSpf", k]),
  ];
  return keys
    .filter(([, k]) => !own.has(k))
    .map(([map, k]) => v(at(`dns/${map}/${k}`), k, "names a domain that is not in domains", `add ${k} to domains or remove it from dns.${map}`));
};

export const credentialWhenSecure: CustomerRule = (c, at) =>
  reached(c, "secure-switch") && !c.credential
    ? [v(at("credential"), undefined, `stage ${c.stage} sends through the secure nodes, which need the customer's credential`, `run \`ezorg rotate credential ${c.slug}\`, or set stage to x-header-test`)]
    : [];

export const dkimWhenPublished: CustomerRule = (c, at) =>
  reached(c, "nta-dns") && !c.dkim
    ? [v(at("dkim"), undefined, `stage ${c.stage} publishes DKIM (NTA 7516 5.7.2), which needs a selector and key`, `run \`ezorg rotate dkim ${c.slug}\`, or set stage to cutover`)]
    : [];

export const notProviderDomain: CustomerRule = (c, at, platform) => {
  if (!platform) return [];
  const zone = platform.provider.zone;
  return c.domains.flatMap((d, i) =>
    d === zone || d.endsWith(`.${zone}`)
      ? [v(at(`domains/${i}`), d, `is the provider's own zone ${zone}`, "list only the organisation's own domains; the test domain goes in testDomain")]
      : [],
  );
};

/** The published SPF record (existing terms plus the include) must stay within the limit and end in a fail. */
export const spfSound: CustomerRule = (c, at, platform) => {
  const out: Violation[] = [];
  for (const [domain, record] of Object.entries(c.dns.existingSpf ?? {})) {
    const where = at(`dns/existingSpf/${domain}`);
    let terms: string[];
    try {
      terms = spfTerms(record);
    } catch {
      continue;
    }
    const end = terms.find((t) => /^[-+~?]?all$/i.test(t) || /^redirect=/i.test(t));
    if (!end) out.push(v(where, record, "has no all mechanism, so anyone not listed gets a neutral result", "end the record with -all (or ~all while testing)"));
    else if (/^[+?]?all$/i.test(end) && !/^[-~]/.test(end)) out.push(v(where, record, `ends in ${end}, which lets anyone send as ${domain} (NTA 7516 6.1.5, domain abuse prevented)`, "end it with -all or ~all"));
    if (platform) {
      const merged = mergeSpf(record, platform.spf.include);
      if (merged.total > SPF_LOOKUP_LIMIT) {
        out.push(v(where, record, `needs ${merged.total} DNS lookups with the provider's include (${merged.lookups.map((l) => l.term).join(", ")}), over the limit of ${SPF_LOOKUP_LIMIT}: receivers answer PermError`, "drop senders the domain no longer uses, or flatten includes into ip4: ranges"));
      }
    }
  }
  return out;
};

export const serverNotAPlatformAddress: CustomerRule = (c, at, platform) => {
  if (!platform) return [];
  const own = [platform.relay.address, ...platform.secureNodes.nodes.map((n) => n.address)];
  return own.includes(c.mailServer.address)
    ? [v(at("mailServer/address"), c.mailServer.address, "is an address of the platform itself, not of the customer's mail server", "give the internal address of the customer's own mail server")]
    : [];
};

export const CUSTOMER_RULES: CustomerRule[] = [
  spfSound,
  serverNotAPlatformAddress,
  slugMatchesFile,
  cloudflareZonesKnown,
  dnsMapsNameOwnDomains,
  credentialWhenSecure,
  dkimWhenPublished,
  notProviderDomain,
];

/** Rules across the registry: no domain or login claimed twice. */
export function registryRules(
  entries: { customer: Customer; at: Where }[],
): Violation[] {
  const out: Violation[] = [];
  const domainOwner = new Map<string, string>();
  const loginOwner = new Map<string, string>();
  for (const { customer: c, at } of entries) {
    c.domains.forEach((d, i) => {
      const owner = domainOwner.get(d);
      if (owner && owner !== c.slug) {
        out.push(v(at(`domains/${i}`), d, `is already claimed by customer ${owner}; a domain belongs to one organisation`, `remove ${d} from one of ${owner} and ${c.slug}`));
      } else {
        domainOwner.set(d, c.slug);
      }
    });
    const login = c.credential?.username;
    if (login) {
      const owner = loginOwner.get(login);
      if (owner) {
        out.push(v(at("credential/username"), login, `is already the login of customer ${owner}`, "give each customer its own login, e.g. its slug"));
      } else {
        loginOwner.set(login, c.slug);
      }
    }
  }
  return out;
}
