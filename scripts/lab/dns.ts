/**
 * The lab's DNS: Knot serves (and signs) every zone, the parents carry the children's DS
 * records read back from Knot, and Unbound validates with trust anchors for the top zones
 * only, so a child validates through the DS at its parent as on the internet. Both run as
 * root in a folder root owns, log to files there, and are stopped by the pid they wrote.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Resolver } from "../checks/dns-client";
import { daemon, mustRun, run, stopByPidFile, waitFor } from "./proc";
import { delegationLines, dsFromDnskey, LabZone, zoneFile } from "./zones";

export interface DnsServersOptions {
  /** Folder of both servers; removed by `stop`. */
  dir: string;
  knotAddress: string;
  unboundAddress: string;
  zones: LabZone[];
}

export interface DnsServers {
  /** Unbound, validating. */
  resolver: Resolver;
  /** Pid files of Knot and Unbound, for whoever must prove they are gone. */
  pidFiles: string[];
  /** Publishes a new set of zones: files, Knot reload, the parents' DS, Unbound's cache flushed. */
  publish(zones: LabZone[]): Promise<void>;
  stop(): Promise<void>;
}

interface Answer {
  name: string;
  type: string;
  rdata: string;
}

/** Many queries in one kdig run (one process for a thousand zones), answers with their owner. */
async function kdig(server: string, queries: Array<[name: string, type: string]>): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < queries.length; i += 500) {
    const args = [`@${server}`, "+noall", "+answer", ...queries.slice(i, i + 500).flatMap(([n, t]) => [n, t])];
    for (const line of (await mustRun("kdig", args)).split("\n")) {
      const m = /^(\S+)\s+\d+\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
      if (m) out.push({ name: m[1].toLowerCase().replace(/\.$/, ""), type: m[2], rdata: m[3] });
    }
  }
  return out;
}

export async function startDnsServers(o: DnsServersOptions): Promise<DnsServers> {
  const [knotDir, zoneDir, unboundDir] = ["knot", "zones", "unbound"].map((d) => join(o.dir, d));
  const knotConf = join(knotDir, "knot.conf");
  const unboundConf = join(unboundDir, "unbound.conf");
  const pidFiles = [join(knotDir, "knot.pid"), join(unboundDir, "unbound.pid")];
  // A run that crashed leaves its servers holding the addresses: stop exactly those.
  for (const p of pidFiles) await stopByPidFile(p, "a leftover lab DNS server");
  await rm(o.dir, { recursive: true, force: true });
  for (const d of [join(knotDir, "db"), zoneDir, unboundDir]) await mkdir(d, { recursive: true });

  let zones = o.zones;
  const written = new Map<string, string>();
  const serials = new Map<string, number>();
  const ds = new Map<string, string[]>();
  const knotc = (...args: string[]) => mustRun("knotc", ["-c", knotConf, "-b", ...args]);

  /** Writes every zone file whose text changed; returns those zones. */
  async function writeZones(): Promise<string[]> {
    const changed: string[] = [];
    for (const z of zones) {
      const children = zones.filter((c) => c.parent === z.name);
      const delegations = children.flatMap((c) => delegationLines(c.name, `ns.${z.name}`, c.signed && c.ds !== false ? ds.get(c.name) ?? [] : []));
      const body = zoneFile(z, 0, o.knotAddress, delegations);
      if (written.get(z.name) === body) continue;
      // Knot only reloads a file whose serial grew.
      const serial = Math.max((serials.get(z.name) ?? 0) + 1, Math.floor(Date.now() / 1000));
      serials.set(z.name, serial);
      written.set(z.name, body);
      await writeFile(join(zoneDir, `${z.name}.zone`), zoneFile(z, serial, o.knotAddress, delegations));
      changed.push(z.name);
    }
    return changed;
  }

  /** Reads the KSK of every signed child back from Knot and remembers its DS; true when any DS changed. */
  async function readDs(): Promise<boolean> {
    const signed = zones.filter((z) => z.parent && z.signed);
    const keys = await waitFor("Knot to sign the zones", async () => {
      const answers = (await kdig(o.knotAddress, signed.map((z) => [z.name, "DNSKEY"]))).filter((a) => a.type === "DNSKEY" && a.rdata.startsWith("257 "));
      return answers.length >= signed.length ? answers : undefined;
    }, 60_000);
    let changed = false;
    for (const z of signed) {
      const lines = keys.filter((k) => k.name === z.name).map((k) => dsFromDnskey(z.name, k.rdata)).sort();
      if (JSON.stringify(lines) !== JSON.stringify(ds.get(z.name))) changed = true;
      ds.set(z.name, lines);
    }
    return changed;
  }

  await writeFile(knotConf, knotConfig(o, knotDir, zoneDir, zones));
  await writeZones();
  try {
    await daemon("knotd", ["-c", knotConf, "-d"]);
    await waitFor("Knot's control socket", async () => ((await run("knotc", ["-c", knotConf, "status"])).code === 0 ? true : undefined));
    if (await readDs()) await knotc("zone-reload", ...(await writeZones()));

    const anchors = await trustAnchors(o.knotAddress, zones.filter((z) => !z.parent && z.signed));
    await writeFile(unboundConf, unboundConfig(o, unboundDir, zones, anchors));
    await daemon("unbound", ["-c", unboundConf]);
    const probe = zones.find((z) => !z.parent)!.name;
    await waitFor("Unbound to answer", async () => ((await run("kdig", [`@${o.unboundAddress}`, probe, "SOA", "+short"])).stdout.trim() ? true : undefined));
  } catch (err) {
    // A start that fails half-way must not leave a daemon holding the lab's addresses.
    for (const p of pidFiles) await stopByPidFile(p, "a DNS server of a failed start");
    throw err;
  }

  return {
    resolver: { host: o.unboundAddress, port: 53 },
    pidFiles,
    async publish(next) {
      const tops = (zs: LabZone[]) => zs.filter((z) => !z.parent).map((z) => `${z.name}:${z.signed}`).sort().join(",");
      if (tops(next) !== tops(zones)) throw new Error("lab: publish may change delegated zones only; top zones and their trust anchors are fixed at start");
      zones = next;
      await writeFile(knotConf, knotConfig(o, knotDir, zoneDir, zones));
      await knotc("reload");
      const changed = await writeZones();
      if (changed.length) await knotc("zone-reload", ...changed);
      if (await readDs()) await knotc("zone-reload", ...(await writeZones()));
      // Unbound kept the old answers and keys for their TTL: drop everything under each top zone.
      const ctl = (...args: string[]) => mustRun("unbound-control", ["-c", unboundConf, ...args]);
      for (const z of zones.filter((x) => !x.parent)) await ctl("flush_zone", z.name);
      await ctl("flush_bogus");
      await ctl("flush_negative");
    },
    async stop() {
      await stopByPidFile(pidFiles[1], "unbound");
      await stopByPidFile(pidFiles[0], "knotd");
      await rm(o.dir, { recursive: true, force: true });
    },
  };
}

async function trustAnchors(knot: string, tops: LabZone[]): Promise<string[]> {
  const keys = await waitFor("Knot to sign the top zones", async () => {
    const a = (await kdig(knot, tops.map((z) => [z.name, "DNSKEY"]))).filter((x) => x.type === "DNSKEY" && x.rdata.startsWith("257 "));
    return a.length >= tops.length ? a : undefined;
  });
  return keys.map((k) => `  trust-anchor: "${k.name}. DNSKEY ${k.rdata}"`);
}

function knotConfig(o: DnsServersOptions, knotDir: string, zoneDir: string, zones: LabZone[]): string {
  return [
    "server:",
    `  listen: ${o.knotAddress}@53`,
    `  rundir: ${knotDir}`,
    "  user: root:root",
    "log:",
    `  - target: ${join(knotDir, "knot.log")}`,
    "    any: notice",
    "database:",
    `  storage: ${join(knotDir, "db")}`,
    "control:",
    `  listen: ${join(knotDir, "knot.sock")}`,
    "policy:",
    "  - id: ecdsa",
    "    algorithm: ecdsap256sha256",
    "template:",
    "  - id: default",
    `    storage: ${zoneDir}`,
    '    file: "%s.zone"',
    // The zone files are the truth; no journal to replay an older version after a change.
    "    zonefile-sync: -1",
    "    zonefile-load: whole",
    "    journal-content: none",
    "zone:",
    ...zones.flatMap((z) => [`  - domain: ${z.name}`, ...(z.signed ? ["    dnssec-signing: on", "    dnssec-policy: ecdsa"] : [])]),
    "",
  ].join("\n");
}

function unboundConfig(o: DnsServersOptions, dir: string, zones: LabZone[], anchors: string[]): string {
  return [
    "server:",
    `  interface: ${o.unboundAddress}`,
    "  port: 53",
    '  username: ""',
    '  chroot: ""',
    `  directory: "${dir}"`,
    `  pidfile: "${join(dir, "unbound.pid")}"`,
    `  logfile: "${join(dir, "unbound.log")}"`,
    "  use-syslog: no",
    "  do-not-query-localhost: no",
    "  do-ip6: no",
    // .test is a reserved name Unbound answers NXDOMAIN for unless told otherwise; tests use it.
    '  local-zone: "test." nodefault',
    "  num-threads: 2",
    "  qname-minimisation: no",
    "  val-log-level: 2",
    '  module-config: "validator iterator"',
    ...anchors,
    // Only the top zones: children are found through their parent's delegation, as on the internet.
    ...zones.filter((z) => !z.parent).flatMap((z) => ["stub-zone:", `  name: "${z.name}"`, `  stub-addr: ${o.knotAddress}`]),
    "remote-control:",
    "  control-enable: yes",
    `  control-interface: ${join(dir, "unbound.ctl")}`,
    "  control-use-cert: no",
    "",
  ].join("\n");
}
