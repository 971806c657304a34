/**
 * The lab's MailFlowProbe: sends a test message as the customer's side would and collects
 * the copies that reach the lab's mailboxes. Without a customer mail server wired in, the
 * probe stands in for it: it applies the customer's transport rule for the secure-mail
 * header (stage 7) and submits from the server's address, to the relay before the secure
 * switch and to a secure node with the credential after it.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { Customer, PlatformConfig } from "../../components/config/model";
import { hasSecureCredential } from "../../components/config/stages";
import { DeliveredMessage, MailFlowProbe } from "../onboard/types";
import { Mailbox } from "./sinks";

export interface Submission {
  host: string;
  port: number;
  /** Name the certificate is for (SNI); absent: no STARTTLS required. */
  tlsName?: string;
  auth?: { user: string; pass: string };
  /** Source address, for a server the relay knows by address. */
  localAddress?: string;
}

/**
 * What the customer's transport rule does with the secure-mail header: set `value` when the
 * message has none; with `overwrite`, also replace one that is there (the misconfiguration
 * the header test must catch).
 */
export interface HeaderRule {
  value: "false" | "true";
  overwrite: boolean;
}

export interface ProbeEnv {
  platform: PlatformConfig;
  /** The customer as the lab runs it now (its stage changes with the lab's). */
  customer: () => Customer;
  password: string;
  caFile: string;
  /** Every mailbox a copy can land in. */
  mailboxes: Mailbox[];
  /** Where outbound test mail enters: the customer's own server when one is wired in. */
  customerServer?: () => Submission | undefined;
  /** The stand-in's header rule; undefined: the stand-in sets no header. */
  headerRule: () => HeaderRule | undefined;
  /** Source address of the reply, standing in for the mailfilters. */
  mailfilterAddress: string;
  relayInbound: { host: string; port: number };
  /** How long to wait for every copy. Default 20 s. */
  timeoutMs?: number;
}

function message(o: { from: string; to: string; cc?: string; subject: string; id: string; headers: Record<string, string> }): string {
  const lines = [
    `From: <${o.from}>`,
    `To: <${o.to}>`,
    ...(o.cc ? [`Cc: <${o.cc}>`] : []),
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${o.id}`,
    ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Test message of the ezorg onboarding checks.",
    "",
  ];
  return lines.join("\r\n");
}

async function submit(s: Submission, ca: Buffer, envelope: { from: string; to: string[] }, data: string): Promise<void> {
  const conn = new SMTPConnection({
    host: s.host,
    port: s.port,
    name: "lab-customer.test",
    localAddress: s.localAddress,
    requireTLS: Boolean(s.tlsName),
    tls: { servername: s.tlsName, ca, rejectUnauthorized: Boolean(s.tlsName) },
    connectionTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await new Promise<void>((ok, fail) => {
      conn.once("error", fail);
      conn.connect(() => ok());
    });
    if (s.auth) await new Promise<void>((ok, fail) => conn.login(s.auth!, (e) => (e ? fail(e) : ok())));
    await new Promise<void>((ok, fail) => conn.send(envelope, data, (e) => (e ? fail(e) : ok())));
  } finally {
    conn.close();
  }
}

export function labProbe(env: ProbeEnv): MailFlowProbe {
  let turn = 0;
  const ca = readFile(env.caFile);
  const { platform } = env;

  /** Copies of `id` in every mailbox, once all `expected` arrived or the time is up. */
  async function collect(id: string, expected: number): Promise<DeliveredMessage[]> {
    const end = Date.now() + (env.timeoutMs ?? 20_000);
    for (;;) {
      const copies = env.mailboxes.flatMap((m) => m.delivered(id));
      if (copies.length >= expected || Date.now() > end) return copies;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The stand-in: relay until the secure switch, then the secure nodes in turn with the credential. */
  function standIn(): Submission {
    const c = env.customer();
    if (!hasSecureCredential(c)) {
      return { host: platform.relay.address, port: platform.relay.port, tlsName: platform.relay.hostname, localAddress: c.mailServer.address };
    }
    const node = platform.secureNodes.nodes[turn++ % platform.secureNodes.nodes.length];
    return { host: node.address, port: platform.secureNodes.port, tlsName: platform.secureNodes.hostname, auth: { user: c.credential!.username, pass: env.password } };
  }

  return {
    async send(o) {
      const id = `<lab-${randomBytes(8).toString("hex")}@${o.from.split("@")[1]}>`;
      const headers = { ...(o.headers ?? {}) };
      const server = env.customerServer?.();
      const rule = server ? undefined : env.headerRule();
      const name = platform.secureHeader.name.toLowerCase();
      const present = Object.keys(headers).find((k) => k.toLowerCase() === name);
      if (rule && (!present || rule.overwrite)) {
        if (present) delete headers[present];
        headers[name] = rule.value;
      }
      const to = [o.to, ...(o.cc ? [o.cc] : [])];
      await submit(server ?? standIn(), await ca, { from: o.from, to }, message({ ...o, id, headers }));
      return collect(id, to.length);
    },
    async reply(o) {
      const from = platform.helpdesk.to;
      const id = `<lab-${randomBytes(8).toString("hex")}@${from.split("@")[1]}>`;
      const hop = { ...env.relayInbound, localAddress: env.mailfilterAddress };
      await submit(hop, await ca, { from, to: [o.to] }, message({ from, to: o.to, subject: o.subject, id, headers: {} }));
      return collect(id, 1);
    },
  };
}
