/**
 * Mailboxes of the lab (helpdesk, portal, internet, the customer's server) and the
 * deliberately wrong servers of the failing cases, on nodemailer's smtp-server: the SMTP
 * dialogue, STARTTLS and AUTH come from a well-kept library, the lab only stores what
 * arrives, with the TLS protocol the sending hop negotiated.
 */
import { readFile } from "node:fs/promises";
import { SMTPServer } from "smtp-server";
import { DeliveredMessage } from "../onboard/types";
import { CertFiles } from "./tls";

export interface StoredMessage {
  from: string;
  to: string[];
  /** The DATA bytes as received (dot-unstuffed). */
  data: Buffer;
  /** `TLSv1.3`, `TLSv1.2`, or undefined for plaintext. */
  tls?: string;
}

export interface MailboxOptions {
  host: string;
  port: number;
  /** What DeliveredMessage.mailbox says: a fixed label (`portal`), or by default the envelope recipient. */
  label?: string;
  /** Offer STARTTLS with this certificate (and at most `maxVersion`); absent: plaintext only. */
  tls?: CertFiles & { maxVersion?: "TLSv1.2" | "TLSv1.3" };
  /** Accept AUTH with this credential. smtp-server announces AUTH before STARTTLS as well. */
  auth?: { username: string; password: string };
}

export class Mailbox {
  readonly messages: StoredMessage[] = [];
  private server?: SMTPServer;

  constructor(readonly o: MailboxOptions) {}

  async start(): Promise<this> {
    const { tls, auth } = this.o;
    const [key, cert] = tls ? await Promise.all([readFile(tls.key), readFile(tls.cert)]) : [];
    this.server = new SMTPServer({
      name: `lab-mailbox.${this.o.host}`,
      logger: false,
      disableReverseLookup: true,
      hideSTARTTLS: !tls,
      ...(tls ? { key, cert, maxVersion: tls.maxVersion } : {}),
      disabledCommands: auth ? [] : ["AUTH"],
      authOptional: true,
      onAuth: (a, _s, done) => (a.username === auth?.username && a.password === auth?.password ? done(null, { user: a.username }) : done(new Error("Invalid credentials"))),
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          const cipher = session.tlsOptions as { version?: string } | false | undefined;
          this.messages.push({ from, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks), tls: cipher ? cipher.version : undefined });
          done();
        });
      },
    });
    this.server.on("error", () => undefined);
    await new Promise<void>((ok, fail) => {
      this.server!.once("error", fail);
      this.server!.listen(this.o.port, this.o.host, () => ok());
    });
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }

  /** The copies of message `messageId` here, one per envelope recipient. */
  delivered(messageId: string): DeliveredMessage[] {
    return this.messages
      .map((m) => ({ m, headers: parseHeaders(m.data) }))
      .filter(({ headers }) => headers["message-id"] === messageId)
      .flatMap(({ m, headers }) => {
        // One copy per envelope recipient, so a probe can count what it still waits for.
        return m.to.map((rcpt): DeliveredMessage => ({ mailbox: this.o.label ?? rcpt, headers, route: route(m.data) }));
      });
  }
}

/** Header fields, names in lower case, unfolded; repeated fields joined with ", ". */
export function parseHeaders(data: Buffer): Record<string, string> {
  const text = data.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const [name, value] = [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/**
 * The hops a message took, in order, from its Received fields (each hop prepends one):
 * the first label of each `by` host, e.g. ["inside-relay", "secure-smtpnodes"].
 */
export function route(data: Buffer): string[] {
  const text = data.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  return head
    .split(/\r?\n/)
    .filter((l) => /^received:/i.test(l))
    .map((l) => /\bby\s+([^\s.;]+)/i.exec(l)?.[1]?.toLowerCase() ?? "unknown")
    .reverse();
}
