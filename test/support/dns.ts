/**
 * A DNSSEC lab on loopback: Knot serves (and signs) test zones, Unbound validates them
 * with the KSKs read back from Knot as trust anchors. Both run as root in folders root
 * owns, log to files, and are stopped by the pid they wrote.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mustRun, run, waitFor } from "./run";

export interface Zone {
  name: string;
  /** Zone-file lines after SOA and NS, relative to the zone origin. */
  records: string[];
  signed: boolean;
}

export interface DnsLab {
  resolver: { host: string; port: number };
  stop(): Promise<void>;
}

/** Starts a daemonising program with no inherited pipes (its children would hold them open). */
function daemon(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { stdio: "ignore" });
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

async function kill(pidFile: string): Promise<void> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  if (!pid) return;
  await run("kill", [String(pid)]);
  await waitFor(`pid ${pid} to exit`, async () => ((await run("kill", ["-0", String(pid)])).code === 0 ? undefined : true));
}

export async function startDnsLab(base: string, knotAddress: string, unboundAddress: string, zones: Zone[]): Promise<DnsLab> {
  const [knotDir, zoneDir, unboundDir] = ["knot", "zones", "unbound"].map((d) => join(base, d));
  await kill(join(knotDir, "knot.pid"));
  await kill(join(unboundDir, "unbound.pid"));
  await rm(base, { recursive: true, force: true });
  for (const d of [join(knotDir, "db"), zoneDir, unboundDir]) await mkdir(d, { recursive: true });

  for (const z of zones) {
    const head = [`$ORIGIN ${z.name}.`, "$TTL 60", `@ SOA ns hostmaster 1 60 60 600 60`, "@ NS ns", `ns A ${knotAddress}`];
    await writeFile(join(zoneDir, `${z.name}.zone`), [...head, ...z.records, ""].join("\n"));
  }
  await writeFile(join(knotDir, "knot.conf"), [
    "server:",
    `  listen: ${knotAddress}@53`,
    `  rundir: ${knotDir}`,
    "  user: root:root",
    "log:",
    `  - target: ${join(knotDir, "knot.log")}`,
    "    any: info",
    "database:",
    `  storage: ${join(knotDir, "db")}`,
    "policy:",
    "  - id: ecdsa",
    "    algorithm: ecdsap256sha256",
    "template:",
    "  - id: default",
    `    storage: ${zoneDir}`,
    '    file: "%s.zone"',
    "    zonefile-sync: -1",
    "zone:",
    ...zones.flatMap((z) => [`  - domain: ${z.name}`, ...(z.signed ? ["    dnssec-signing: on", "    dnssec-policy: ecdsa"] : [])]),
    "",
  ].join("\n"));
  await daemon("knotd", ["-c", join(knotDir, "knot.conf"), "-d"]);

  const anchors: string[] = [];
  for (const z of zones.filter((x) => x.signed)) {
    const ksk = await waitFor(`Knot to sign ${z.name}`, async () => {
      const keys = await mustRun("kdig", [`@${knotAddress}`, z.name, "DNSKEY", "+short"]);
      return keys.split("\n").find((l) => l.startsWith("257 "));
    });
    anchors.push(`  trust-anchor: "${z.name}. DNSKEY ${ksk.trim()}"`);
  }
  await writeFile(join(unboundDir, "unbound.conf"), [
    "server:",
    `  interface: ${unboundAddress}`,
    "  port: 53",
    '  username: ""',
    '  chroot: ""',
    `  directory: "${unboundDir}"`,
    `  pidfile: "${join(unboundDir, "unbound.pid")}"`,
    `  logfile: "${join(unboundDir, "unbound.log")}"`,
    "  use-syslog: no",
    "  do-not-query-localhost: no",
    "  do-ip6: no",
    // .test is a reserved name Unbound answers NXDOMAIN for unless told otherwise.
    '  local-zone: "test." nodefault',
    '  module-config: "validator iterator"',
    ...anchors,
    ...zones.flatMap((z) => ["stub-zone:", `  name: "${z.name}"`, `  stub-addr: ${knotAddress}`]),
    "remote-control:",
    "  control-enable: no",
    "",
  ].join("\n"));
  await daemon("unbound", ["-c", join(unboundDir, "unbound.conf")]);
  await waitFor("Unbound to answer", async () => ((await run("kdig", [`@${unboundAddress}`, zones[0].name, "SOA", "+short"])).stdout.trim() ? true : undefined));

  return {
    resolver: { host: unboundAddress, port: 53 },
    stop: async () => {
      await kill(join(unboundDir, "unbound.pid"));
      await kill(join(knotDir, "knot.pid"));
    },
  };
}
