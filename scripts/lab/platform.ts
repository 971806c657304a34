/**
 * The platform's mail servers in the lab, from the rendered configuration: inside-relay and
 * every secure node (Postfix + its Dovecot SASL service), with the NTA 7516 compliance
 * lookup the nodes ask. Only paths, listen addresses and next hops move, plus one lab
 * deviation named where it is. The nodes run with the compliance lookup on (its production
 * default is off), so the helpdesk, compliant, is reached directly as the guide describes.
 */
import { join } from "node:path";
import { Customer, PlatformConfig } from "../../components/config/model";
import { renderRelay } from "../../components/postfix/relay";
import { renderSecureNode } from "../../components/postfix/secure-node";
import { Resolver } from "../checks/dns-client";
import { NtaSocketmap, startNtaSocketmap } from "../nta7516-socketmap";
import { LabDovecot } from "./dovecot";
import { LabPostfix } from "./postfix";
import { CertFiles } from "./tls";

export interface PlatformServersOptions {
  dir: string;
  /** The platform with lab addresses (relay, nodes). */
  platform: PlatformConfig;
  relayTls: CertFiles;
  nodeTls: CertFiles;
  /** Helpdesk domain → address of its mailbox, for the relay's lab transport. */
  helpdesk: Record<string, string>;
  portal: string;
  internet: string;
  lookup: { host: string; port: number };
  resolver: Resolver;
}

export interface PlatformServers {
  relay: LabPostfix;
  nodes: LabPostfix[];
  pidFiles: string[];
  /** Decisions of the compliance lookup, one line each. */
  lookupLog: string[];
  /** Renders and reloads relay and nodes for the customer as it is now. */
  apply(customer: Customer): Promise<void>;
  stop(): Promise<void>;
}

const SASL_PORT = 12345;

export async function startPlatformServers(o: PlatformServersOptions, customer: Customer): Promise<PlatformServers> {
  const { platform } = o;
  const relay = new LabPostfix(join(o.dir, "relay"), platform.relay.address, o.relayTls);
  const nodes = platform.secureNodes.nodes.map((n) => new LabPostfix(join(o.dir, `node-${n.name}`), n.address, o.nodeTls));
  const dovecots = platform.secureNodes.nodes.map((n, i) => new LabDovecot(join(nodes[i].base, "dovecot", "dovecot.conf"), join(nodes[i].base, "dovecot", "run"), n.address, SASL_PORT));
  const lookupLog: string[] = [];
  const started: Array<() => Promise<void>> = [];

  const relayFiles = (c: Customer) => renderRelay(platform, [c], relay.options);
  const nodeFiles = (c: Customer, i: number) => {
    const base = nodes[i].base;
    return renderSecureNode(platform, [c], platform.secureNodes.nodes[i], {
      ...nodes[i].options,
      dovecotDirectory: join(base, "dovecot"),
      dovecotBaseDir: join(base, "dovecot", "run"),
      dovecotLogFile: join(base, "log", "dovecot.log"),
      saslAddress: platform.secureNodes.nodes[i].address,
      saslPort: SASL_PORT,
      portalNextHop: `[${o.portal}]:25`,
      internetNextHop: `[${o.internet}]:25`,
      complianceLookup: `inet:${o.lookup.host}:${o.lookup.port}`,
    });
  };
  /*
   * Lab deviation: in production the relay reaches the helpdesk domains through their MX on
   * the provider's network; Postfix asks the system resolver, which cannot be pointed at the
   * lab's Unbound per instance, so the relay gets a transport entry per helpdesk domain.
   */
  const labTransport = async () => {
    const file = join(relay.options.configDirectory, "lab_transport");
    await relay.write({ [file]: Object.entries(o.helpdesk).map(([d, a]) => `${d} smtp:[${a}]:25`).join("\n") + "\n" });
    await relay.postconf({ transport_maps: `texthash:${join(relay.options.configDirectory, "transport")}, texthash:${file}` });
  };

  try {
    const lookup: NtaSocketmap = await startNtaSocketmap({ listen: o.lookup, resolver: o.resolver, log: (l) => lookupLog.push(l) });
    started.push(() => lookup.close());
    await relay.prepare(relayFiles(customer));
    await labTransport();
    await relay.start();
    started.push(() => relay.stop());
    for (const [i, node] of nodes.entries()) {
      await node.prepare(nodeFiles(customer, i));
      await dovecots[i].start();
      started.push(() => dovecots[i].stop());
      await node.start();
      started.push(() => node.stop());
    }
  } catch (e) {
    for (const stop of started.reverse()) await stop();
    throw e;
  }

  return {
    relay,
    nodes,
    lookupLog,
    pidFiles: [relay.pidFile, ...nodes.map((n) => n.pidFile), ...dovecots.map((d) => d.pidFile)],
    async apply(c) {
      await relay.write(relayFiles(c));
      await labTransport();
      await relay.reload();
      for (const [i, node] of nodes.entries()) {
        // Dovecot re-reads its passwd-file when it changes; Postfix re-reads maps on reload.
        await node.write(nodeFiles(c, i));
        await node.reload();
      }
    },
    async stop() {
      // The lookup closes last: Postfix holds connections to it until it stops.
      const [lookupClose, ...rest] = started;
      await Promise.all(rest.map((s) => s()));
      await lookupClose();
    },
  };
}
