/**
 * SMTP checks of the platform's submission services, as the customer's server meets them:
 * STARTTLS offered, the TLS version negotiated, the certificate's name and chain, AUTH
 * only inside TLS (secure nodes), and optionally that a credential logs in. The dialogue
 * is nodemailer's SMTPConnection (well kept, no dependencies, already the ops probes'
 * client); two sessions per endpoint, because the plaintext EHLO is only visible to a
 * client that does not upgrade.
 */
import { readFile } from "node:fs/promises";
import tls, { TLSSocket } from "node:tls";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { Customer } from "../../components/config/model";
import { hasSecureCredential, relayAcceptsServer } from "../../components/config/stages";
import { CheckContext, CheckResult } from "../onboard/types";
import type { StagedCheck } from "./index";

export interface SmtpCheckOptions {
  /** A credential to try on every secure node; no login line without it. */
  credential?: { username: string; password: string };
  /** Per session. Default 10 s. */
  timeoutMs?: number;
}

interface Endpoint {
  host: string;
  port: number;
  /** Name the certificate must be valid for (also sent as SNI). */
  hostname: string;
}

interface TlsSeen {
  protocol: string;
  /** Chain verified against the CA file (or the system's CAs). */
  trusted: boolean;
  chainError?: string;
  nameError?: string;
  names: string;
  issuer: string;
  validTo: string;
  extensions: string[];
  login?: { ok: boolean; message: string };
}

/** EHLO keywords, upper case, from a multi-line 250 reply. */
export function ehloKeywords(reply: string): string[] {
  return reply
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.replace(/^\d{3}[ -]/, "").trim())
    .filter(Boolean);
}

function connection(e: Endpoint, o: { tls: boolean; ca?: Buffer; timeoutMs: number }): SMTPConnection {
  return new SMTPConnection({
    host: e.host,
    port: e.port,
    name: "ezorg-check",
    ignoreTLS: !o.tls,
    requireTLS: o.tls,
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    // Verified below rather than refused, so a bad certificate still shows its version and names.
    tls: { servername: e.hostname, ca: o.ca, rejectUnauthorized: false },
  });
}

function connect(conn: SMTPConnection): Promise<void> {
  return new Promise((ok, fail) => {
    conn.once("error", fail);
    conn.connect(() => ok());
  });
}

/** The EHLO keywords a client that never upgrades sees. */
async function plaintextEhlo(e: Endpoint, timeoutMs: number): Promise<string[]> {
  const conn = connection(e, { tls: false, timeoutMs });
  try {
    await connect(conn);
    return ehloKeywords(String(conn.lastServerResponse || ""));
  } finally {
    conn.close();
  }
}

async function tlsSession(e: Endpoint, ca: Buffer | undefined, timeoutMs: number, login?: SmtpCheckOptions["credential"]): Promise<TlsSeen> {
  const conn = connection(e, { tls: true, ca, timeoutMs });
  try {
    await connect(conn);
    const socket = conn._socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    const nameError = tls.checkServerIdentity(e.hostname, cert)?.message;
    // Node types it as an Error; at run time it is the OpenSSL or Node error code.
    const authError = String(socket.authorizationError);
    const chainError = socket.authorized || authError === "ERR_TLS_CERT_ALTNAME_INVALID" ? undefined : authError;
    const seen: TlsSeen = {
      protocol: socket.getProtocol() ?? "unknown",
      trusted: !chainError,
      chainError,
      nameError,
      names: cert.subjectaltname?.replace(/DNS:/g, "") ?? String(cert.subject?.CN ?? "no name"),
      issuer: String(cert.issuer?.CN ?? "unknown issuer"),
      validTo: cert.valid_to,
      extensions: ehloKeywords(String(conn.lastServerResponse || "")),
    };
    if (login) {
      seen.login = await new Promise((resolve) =>
        conn.login({ user: login.username, pass: login.password }, (err) =>
          resolve(err ? { ok: false, message: String((err as { response?: string }).response ?? err.message) } : { ok: true, message: "authenticated" }),
        ),
      );
    }
    return seen;
  } finally {
    conn.close();
  }
}

const RANK: Record<string, number> = { TLSv1: 1, "TLSv1.1": 2, "TLSv1.2": 3, "TLSv1.3": 4 };

/** Every line for one endpoint; `qualifier` tells the secure nodes apart. */
async function endpointResults(prefix: string, qualifier: string, e: Endpoint, ctx: CheckContext, o: SmtpCheckOptions & { secureNode: boolean }): Promise<CheckResult[]> {
  const id = (name: string) => `${prefix}.${name}${qualifier}`;
  const where = `${e.host}:${e.port}`;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const ca = ctx.targets.caFile ? await readFile(ctx.targets.caFile) : undefined;
  const min = ctx.platform.tls.minimumVersion;

  let plain: string[];
  try {
    plain = await plaintextEhlo(e, timeoutMs);
  } catch (err) {
    const detail = `${where}: no SMTP session (${(err as Error).message})`;
    return [{ id: id("starttls"), ok: false, detail, fix: `start the service on ${where} or correct the address in CheckTargets` }];
  }
  const offers = (ext: string[], kw: string) => ext.find((x) => x.toUpperCase().split(" ")[0] === kw);
  const out: CheckResult[] = [];
  const starttls = Boolean(offers(plain, "STARTTLS"));
  out.push(starttls
    ? { id: id("starttls"), ok: true, detail: `${where} offers STARTTLS` }
    : { id: id("starttls"), ok: false, detail: `${where} does not offer STARTTLS`, fix: "offer STARTTLS on the submission port (Postfix: smtpd_tls_security_level = encrypt)" });
  if (o.secureNode) {
    const early = offers(plain, "AUTH");
    out.push(early
      ? { id: id("auth-before-tls"), ok: false, detail: `${where} offers ${early} before STARTTLS`, fix: "offer AUTH only inside TLS, so no password crosses the network in clear (Postfix: smtpd_tls_auth_only = yes)" }
      : { id: id("auth-before-tls"), ok: true, detail: `${where} offers no AUTH before STARTTLS` });
  }
  if (!starttls) return out;

  let seen: TlsSeen;
  try {
    seen = await tlsSession(e, ca, timeoutMs, o.secureNode ? o.credential : undefined);
  } catch (err) {
    return [...out, { id: id("tls-version"), ok: false, detail: `${where}: TLS handshake failed (${(err as Error).message})`, fix: `accept ${min} or later` }];
  }
  out.push((RANK[seen.protocol] ?? 0) >= RANK[min]
    ? { id: id("tls-version"), ok: true, detail: `${where} negotiated ${seen.protocol}` }
    : { id: id("tls-version"), ok: false, detail: `${where} negotiated ${seen.protocol}; the platform requires ${min} or later`, fix: `allow ${min} (Postfix: smtpd_tls_protocols = >=${min}); guide 5.5 asks for TLS 1.3` });
  const certOk = seen.trusted && !seen.nameError;
  const problem = seen.nameError ? `not valid for ${e.hostname}` : `not trusted (${seen.chainError})`;
  out.push(certOk
    ? { id: id("certificate"), ok: true, detail: `${where} certificate for ${seen.names}, issued by ${seen.issuer}, valid until ${seen.validTo}` }
    : { id: id("certificate"), ok: false, detail: `${where} certificate for ${seen.names}, issued by ${seen.issuer}: ${problem}`, fix: `serve a certificate for ${e.hostname} from a CA the customers trust` });
  if (!o.secureNode) return out;

  const auth = offers(seen.extensions, "AUTH");
  out.push(auth
    ? { id: id("auth-after-tls"), ok: true, detail: `${where} offers ${auth} after STARTTLS` }
    : { id: id("auth-after-tls"), ok: false, detail: `${where} offers no AUTH after STARTTLS`, fix: "enable SMTP AUTH on the secure nodes (smtpd_sasl_auth_enable = yes with the Dovecot service)" });
  if (seen.login && o.credential) {
    const user = o.credential.username;
    out.push(seen.login.ok
      ? { id: id("login"), ok: true, detail: `${where}: ${user} authenticated` }
      : { id: id("login"), ok: false, detail: `${where}: ${user} refused: ${seen.login.message}`, fix: `check the password handed out for ${user}, or that the descriptor's credential hash is deployed (stage secure-switch)` });
  }
  return out;
}

/** STARTTLS, TLS version and certificate of inside-relay; from stage `network`, when the customer's server first connects. */
export function relayCheck(o: SmtpCheckOptions = {}): StagedCheck {
  return {
    id: "smtp.relay",
    title: "inside-relay: STARTTLS, TLS version, certificate",
    applies: (c: Customer) => relayAcceptsServer(c),
    run: (ctx) => endpointResults("smtp.relay", "", { ...ctx.targets.relay, hostname: ctx.platform.relay.hostname }, ctx, { ...o, secureNode: false }),
  };
}

/** The same per secure node, plus AUTH only inside TLS and the credential; from stage `secure-switch`. */
export function secureNodesCheck(o: SmtpCheckOptions = {}): StagedCheck {
  return {
    id: "smtp.secure-nodes",
    title: "secure-smtpnodes: STARTTLS, TLS version, certificate, AUTH only after STARTTLS, login",
    applies: (c: Customer) => hasSecureCredential(c),
    run: async (ctx) => {
      const hostname = ctx.platform.secureNodes.hostname;
      const each = ctx.targets.secureNodes.map((n) => endpointResults("smtp.secure-node", `:${n.host}`, { ...n, hostname }, ctx, { ...o, secureNode: true }));
      return (await Promise.all(each)).flat();
    },
  };
}
