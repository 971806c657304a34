/**
 * swaks (Debian's package) as the SMTP client of the service tests. Its exit status says
 * where a session stopped: 0 delivered, 23 MAIL refused, 24 RCPT refused, 25 DATA
 * refused, 28 AUTH failed, 29 TLS failed.
 */
import { run } from "./run";

export interface SwaksOptions {
  server: string;
  port: number;
  from?: string;
  to?: string;
  /** Send from this local address (the customer server's address in the maps). */
  localInterface?: string;
  /** STARTTLS; a protocol name such as `tlsv1_2` pins the version the client offers. */
  tls?: boolean | string;
  auth?: { user: string; password: string; mechanism?: string };
  /** The whole message, CRLF line ends, ending in CRLF: exactly the bytes DATA carries. */
  data?: string;
  /** Extra headers when `data` is not given. */
  headers?: string[];
  quitAfter?: "CONNECT" | "EHLO" | "TLS" | "AUTH" | "MAIL" | "RCPT";
}

export interface SwaksResult {
  code: number;
  output: string;
}

export async function swaks(o: SwaksOptions): Promise<SwaksResult> {
  const args = ["--server", o.server, "--port", String(o.port), "--ehlo", "client.test", "--timeout", "10"];
  if (o.from !== undefined) args.push("--from", o.from);
  if (o.to !== undefined) args.push("--to", o.to);
  if (o.localInterface) args.push("--local-interface", o.localInterface);
  if (o.tls) args.push("--tls");
  if (typeof o.tls === "string") args.push("--tls-protocol", o.tls);
  if (o.auth) {
    args.push("--auth", o.auth.mechanism ?? "PLAIN", "--auth-user", o.auth.user, "--auth-password", o.auth.password);
  }
  if (o.data !== undefined) args.push("--data", "-");
  for (const h of o.headers ?? []) args.push("--add-header", h);
  if (o.quitAfter) args.push("--quit-after", o.quitAfter);
  // swaks ends DATA with CRLF "." CRLF itself, so the message's own last CRLF is left off.
  const r = await run("swaks", args, o.data?.replace(/\r\n$/, ""));
  return { code: r.code, output: r.stdout + r.stderr };
}
