/**
 * A tiny SMTP server standing in for a customer's mail server, the portal or the
 * internet: it stores each message exactly as received (dot-unstuffed DATA bytes), the
 * envelope, and the TLS protocol the client negotiated, so tests can compare hashes.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { CertFiles } from "./tls";
import { waitFor } from "./run";

export interface SunkMessage {
  from: string;
  to: string[];
  data: Buffer;
  /** `TLSv1.3`, `TLSv1.2`, or undefined for plaintext. */
  tls?: string;
}

export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

export class SmtpSink {
  readonly messages: SunkMessage[] = [];
  private server?: net.Server;
  private sockets = new Set<net.Socket>();

  /** `certs` given: STARTTLS is offered. */
  constructor(readonly host: string, readonly port: number, private certs?: CertFiles) {}

  async start(): Promise<this> {
    const c = this.certs;
    const ctx = c && tls.createSecureContext({ cert: readFileSync(c.cert), key: readFileSync(c.key) });
    this.server = net.createServer((s) => this.session(s, ctx));
    await new Promise<void>((ok, fail) => {
      this.server!.once("error", fail);
      this.server!.listen(this.port, this.host, () => ok());
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
    this.server = undefined;
  }

  /** Waits for a message to an address (or the n-th message at all). */
  async waitFor(match: (m: SunkMessage) => boolean, timeoutMs = 15_000): Promise<SunkMessage> {
    return waitFor(`a message at sink ${this.host}:${this.port}`, () => this.messages.find(match), timeoutMs);
  }

  private session(raw: net.Socket, ctx?: tls.SecureContext): void {
    let sock: net.Socket = raw;
    let secured: string | undefined;
    let buf = Buffer.alloc(0);
    let inData = false;
    let from = "";
    let to: string[] = [];
    this.sockets.add(raw);
    raw.on("close", () => this.sockets.delete(raw));
    const reply = (line: string) => sock.write(line + "\r\n");

    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          const atStart = buf.subarray(0, 3).toString() === ".\r\n";
          if (end < 0 && !atStart) return;
          const body = atStart ? Buffer.alloc(0) : buf.subarray(0, end + 2);
          buf = buf.subarray(atStart ? 3 : end + 5);
          inData = false;
          this.messages.push({ from, to, data: unstuff(body), tls: secured });
          reply("250 2.0.0 Ok: stored");
          continue;
        }
        const eol = buf.indexOf("\r\n");
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString("latin1");
        buf = buf.subarray(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") {
          // No 8BITMIME on purpose: a hop that re-encodes 8-bit bodies for such a server (and so
          // breaks the sender's DKIM signature) then shows up in the hash comparison.
          const ext = ["ENHANCEDSTATUSCODES", ...(ctx && !secured ? ["STARTTLS"] : [])];
          const lines = [`sink.${this.host}`, ...ext];
          reply(lines.map((l, i) => (i === lines.length - 1 ? "250 " : "250-") + l).join("\r\n"));
        } else if (verb === "HELO") reply("250 sink");
        else if (verb === "STAR" && ctx && !secured) {
          reply("220 2.0.0 go ahead");
          raw.removeListener("data", onData);
          const t = new tls.TLSSocket(raw, { isServer: true, secureContext: ctx });
          t.on("secure", () => (secured = t.getProtocol() ?? "unknown"));
          t.on("data", onData);
          t.on("error", () => raw.destroy());
          sock = t;
          buf = Buffer.alloc(0);
        } else if (verb === "MAIL") {
          from = /<([^>]*)>/.exec(line)?.[1] ?? "";
          to = [];
          reply("250 2.1.0 Ok");
        } else if (verb === "RCPT") {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
          reply("250 2.1.5 Ok");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>");
        } else if (verb === "QUIT") {
          reply("221 2.0.0 Bye");
          sock.end();
        } else if (verb === "RSET" || verb === "NOOP") reply("250 2.0.0 Ok");
        else reply("502 5.5.2 Command not implemented");
      }
    };
    raw.on("data", onData);
    raw.on("error", () => undefined);
    reply(`220 sink.${this.host} ESMTP`);
  }
}

/** RFC 5321 4.5.2: a leading dot the client doubled is removed again. */
function unstuff(body: Buffer): Buffer {
  const text = body.toString("latin1").replace(/(^|\r\n)\.\./g, "$1.");
  return Buffer.from(text, "latin1");
}

/**
 * Splits off the trace headers a hop prepends (Received, Return-Path) at the top of a
 * stored message: the only bytes a relay may add. Everything after them must be what
 * the sender sent.
 */
export function splitTrace(data: Buffer): { trace: string[]; rest: Buffer } {
  const text = data.toString("latin1");
  const trace: string[] = [];
  let pos = 0;
  const head = /^(Received|Return-Path):[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*/i;
  for (let m = head.exec(text); m; m = head.exec(text.slice(pos))) {
    trace.push(m[0]);
    pos += m[0].length;
  }
  return { trace, rest: Buffer.from(text.slice(pos), "latin1") };
}
