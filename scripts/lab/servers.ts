/**
 * The onboarding lab on loopback: signed zones for the provider, the helpdesk and the
 * customer (exactly the record model's records at a stage) under a parent with the DS, a
 * validating Unbound, the relay and secure nodes from the rendered Postfix configuration,
 * and mailboxes for the helpdesk, the portal, the internet and the customer. Everything
 * lives in one folder under /var/tmp, removed by `stop`, and every daemon is stopped by
 * the pid it wrote.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Customer, PlatformConfig, Stage } from "../../components/config/model";
import { CheckContext, CheckTargets, MailFlowProbe } from "../onboard/types";
import { DnsServers, startDnsServers } from "./dns";
import { PlatformServers, startPlatformServers } from "./platform";
import { LAB_ROOT, removeTree } from "./postfix";
import { stopByPidFile } from "./proc";
import { HeaderRule, labProbe, Submission } from "./probe";
import { Mailbox } from "./sinks";
import { CertFiles, createCa, LabCa, sha512Crypt } from "./tls";
import { customerZone, helpdeskZone, LabZone, parentOf, providerZone, ZoneEdit } from "./zones";

/** Host numbers inside the lab's /24. */
export const LAB_HOST = { relay: 1, lookup: 5, customer: 10, mailfilter: 11, node: 21, helpdeskTo: 30, helpdeskCc: 31, portal: 50, knot: 53, unbound: 54, internet: 60, customerMailbox: 70 };

/** Per customer domain: a deliberate deviation from the record model (the failing cases). */
export type ZoneEdits = Record<string, ZoneEdit>;

/** What the lab hands the customer's own mail server (components/onboarding/instructions/postfix.ts). */
export interface CustomerServerEnv {
  platform: PlatformConfig;
  /** With the lab's addresses, credential and current stage. */
  customer: Customer;
  password: string;
  caFile: string;
  /** Where the relay delivers the customer's inbound mail: the server listens here. */
  listen: { host: string; port: number };
  /** The mailbox the server delivers its own domains' mail to. */
  mailbox: { host: string; port: number };
  tls: CertFiles;
  /** A folder of its own, removed with the lab. */
  dir: string;
}

export interface CustomerServer {
  /** Where the probe submits outbound test mail, as a user's client would. */
  submit: Submission;
  /** Re-applies the instructions of a new stage. */
  setStage(customer: Customer): Promise<void>;
  pidFiles: string[];
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Folder and instance names derive from it; must start with `lab-` or `checks-`. */
  name: string;
  /** First three octets of the loopback /24 the lab takes, e.g. `127.0.12`. */
  net: string;
  /** The platform to run; the lab moves its relay and node addresses into `net`. */
  platform: PlatformConfig;
  /** The customer; its mail server moves to `net`, its credential gets the lab's password. */
  customer: Customer;
  /** Plain password of the customer's secure-node credential. Default: a fixed lab password. */
  password?: string;
  /** Start the mail servers. Default true; false: DNS only. */
  mail?: boolean;
  edits?: ZoneEdits;
  /** More zones: third parties an SPF record names, and the like. */
  extraZones?: LabZone[];
  /**
   * The customer's own mail server, configured by the toolkit's customer instructions. Absent:
   * the probe stands in for it (submits from its address and applies its header rule).
   */
  customerServer?: (env: CustomerServerEnv) => Promise<CustomerServer>;
}

export interface Lab {
  /** The platform as the lab runs it (lab addresses). */
  platform: PlatformConfig;
  /** The customer as the lab runs it; `stage` follows setStage. */
  customer: Customer;
  password: string;
  ca: LabCa;
  targets: CheckTargets;
  mailFlow?: MailFlowProbe;
  mailboxes?: Record<"helpdeskTo" | "helpdeskCc" | "portal" | "internet" | "customer", Mailbox>;
  /** The stand-in customer server's transport rule for the secure-mail header. */
  headerRule: HeaderRule | undefined;
  /** An address of the lab's /24. */
  address(host: number): string;
  /** A check context for the customer as the lab runs it. */
  context(now?: () => Date): CheckContext;
  /** Rebuilds the customer's zones for `stage`, reloads Knot, flushes Unbound. */
  publishZones(stage: Stage, edits?: ZoneEdits): Promise<void>;
  /** publishZones, plus relay, nodes (and the customer's server) re-rendered for `stage`. */
  setStage(stage: Stage, edits?: ZoneEdits): Promise<void>;
  pidFiles: string[];
  dir: string;
  stop(): Promise<void>;
}

export async function startLab(o: LabOptions): Promise<Lab> {
  if (!/^(lab|checks)-[a-z0-9-]+$/.test(o.name)) throw new Error(`lab name: got ${JSON.stringify(o.name)}; use lab-<x> or checks-<x> (lower case), so instances never collide with other tests'`);
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(o.net)) throw new Error(`lab net: got ${JSON.stringify(o.net)}; give three octets of a loopback /24, e.g. 127.0.12`);
  const at = (h: number) => `${o.net}.${h}`;
  const dir = join(LAB_ROOT, o.name);
  await stopLeftovers(dir);
  await removeTree(dir);
  const password = o.password ?? "Lab-Secret-1";

  const platform: PlatformConfig = structuredClone(o.platform);
  platform.relay.address = at(LAB_HOST.relay);
  platform.secureNodes.nodes.forEach((n, i) => (n.address = at(LAB_HOST.node + i)));
  const customer: Customer = structuredClone(o.customer);
  customer.mailServer = { ...customer.mailServer, address: at(LAB_HOST.customer), port: 25 };
  customer.credential = { username: customer.credential?.username ?? customer.slug, passwordHash: await sha512Crypt(password) };

  const domainOf = (a: string) => a.slice(a.indexOf("@") + 1).toLowerCase();
  const helpdesk = { [domainOf(platform.helpdesk.to)]: at(LAB_HOST.helpdeskTo), [domainOf(platform.helpdesk.cc)]: at(LAB_HOST.helpdeskCc) };
  let edits = o.edits ?? {};
  const zones = (stage: Stage): LabZone[] => {
    const own = customer.domains.map((d) => customerZone(platform, customer, d, stage, edits[d]));
    const tops: LabZone[] = [providerZone(platform, helpdesk), ...Object.entries(helpdesk).filter(([d]) => d !== platform.provider.zone).map(([d, a]) => helpdeskZone(platform, d, a))];
    // The outside recipient's domain: served, so lookups for it answer at once (not compliant).
    tops.push({ name: "outside.example", lines: [], signed: false }, ...(o.extraZones ?? []));
    const names = new Set([...tops.map((z) => z.name), ...own.map((z) => z.name)]);
    const parents = [...new Set(own.map((z) => parentOf(z.name)))].filter((p) => !names.has(p)).map((p) => ({ name: p, lines: [], signed: true }));
    return [...tops, ...parents, ...own];
  };

  const stops: Array<() => Promise<void>> = [];
  // Side by side: each server stops by its own pid, and none needs another to shut down.
  const stopAll = async () => {
    await Promise.all(stops.splice(0).map((s) => s()));
  };
  try {
    const ca = await createCa(join(dir, "tls", "ca"));
    const dns: DnsServers = await startDnsServers({ dir: join(dir, "dns"), knotAddress: at(LAB_HOST.knot), unboundAddress: at(LAB_HOST.unbound), zones: zones(customer.stage) });
    stops.push(() => dns.stop());
    const targets: CheckTargets = {
      resolver: dns.resolver,
      relay: { host: platform.relay.address, port: platform.relay.port },
      secureNodes: platform.secureNodes.nodes.map((n) => ({ host: n.address, port: platform.secureNodes.port })),
      caFile: ca.caFile,
    };
    const pidFiles = [...dns.pidFiles];
    let servers: PlatformServers | undefined;
    let customerServer: CustomerServer | undefined;
    let mailboxes: Lab["mailboxes"];
    let mailFlow: MailFlowProbe | undefined;
    const lab: Lab = {
      platform, customer, password, ca, targets, pidFiles, dir,
      headerRule: { value: "false", overwrite: false },
      address: at,
      context: (now = () => new Date()) => ({ platform, customer, targets, mailFlow, now }),
      async publishZones(stage, next) {
        if (next) edits = next;
        await dns.publish(zones(stage));
      },
      async setStage(stage, next) {
        customer.stage = stage;
        await lab.publishZones(stage, next);
        await servers?.apply(customer);
        await customerServer?.setStage(customer);
      },
      async stop() {
        await stopAll();
        await removeTree(dir);
      },
    };
    if (o.mail === false) return lab;

    const sinkTls = await ca.issue(join(dir, "tls", "mailbox"), ["lab-mailbox.test"]);
    const box = (host: number, label?: string) => new Mailbox({ host: at(host), port: 25, label, tls: sinkTls });
    const inbox = o.customerServer ? LAB_HOST.customerMailbox : LAB_HOST.customer;
    mailboxes = {
      helpdeskTo: box(LAB_HOST.helpdeskTo), helpdeskCc: box(LAB_HOST.helpdeskCc),
      portal: box(LAB_HOST.portal, "portal"), internet: box(LAB_HOST.internet, "internet"), customer: box(inbox),
    };
    for (const m of Object.values(mailboxes)) {
      await m.start();
      stops.push(() => m.stop());
    }
    servers = await startPlatformServers({
      dir, platform, helpdesk, resolver: dns.resolver,
      relayTls: await ca.issue(join(dir, "tls", "relay"), [platform.relay.hostname]),
      nodeTls: await ca.issue(join(dir, "tls", "nodes"), [platform.secureNodes.hostname]),
      portal: at(LAB_HOST.portal), internet: at(LAB_HOST.internet), lookup: { host: at(LAB_HOST.lookup), port: 10516 },
    }, customer);
    stops.push(() => servers!.stop());
    pidFiles.push(...servers.pidFiles);

    if (o.customerServer) {
      const host = `mail.${customer.domains[0]}`;
      customerServer = await o.customerServer({
        platform, customer, password, caFile: ca.caFile, dir: join(dir, "customer"),
        listen: { host: customer.mailServer.address, port: 25 }, mailbox: { host: at(inbox), port: 25 },
        tls: await ca.issue(join(dir, "tls", "customer"), [host]),
      });
      stops.push(() => customerServer!.stop());
      pidFiles.push(...customerServer.pidFiles);
    }
    mailFlow = labProbe({
      platform, password, caFile: ca.caFile,
      customer: () => customer,
      mailboxes: Object.values(mailboxes),
      customerServer: () => customerServer?.submit,
      headerRule: () => lab.headerRule,
      mailfilterAddress: at(LAB_HOST.mailfilter),
      relayInbound: { host: platform.relay.address, port: 25 },
    });
    return Object.assign(lab, { mailboxes, mailFlow });
  } catch (e) {
    await stopAll();
    await removeTree(dir);
    throw e;
  }
}

/** A run that crashed leaves its daemons holding the lab's addresses: stop exactly those, by their pid files. */
async function stopLeftovers(dir: string): Promise<void> {
  const instances = await readdir(dir).catch(() => [] as string[]);
  const pidFiles = [
    join(dir, "dns", "knot", "knot.pid"),
    join(dir, "dns", "unbound", "unbound.pid"),
    ...instances.flatMap((i) => [join(dir, i, "spool", "pid", "master.pid"), join(dir, i, "dovecot", "run", "master.pid")]),
  ];
  await Promise.all(pidFiles.map((f) => stopByPidFile(f, `a leftover lab daemon (${f})`)));
}
