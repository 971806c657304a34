/**
 * The NTA 7516 compliance lookup for the secure nodes, as a Postfix socketmap service:
 * transport_maps asks `nta7516 <recipient domain>`; a domain with a DNSSEC-validated,
 * current NTA 7516 record gets `secure:[<its NTA MX address>]:25` (direct delivery,
 * TLS required), every other domain NOTFOUND, so Postfix falls back to the portal.
 *
 * Run: npx tsx scripts/nta7516-socketmap.ts --listen 127.0.0.1:10516 --resolver 127.0.0.1:53
 * The resolver must validate DNSSEC (unbound with a trust anchor); its AD flag is trusted.
 */
import dgram from "node:dgram";
import net from "node:net";
import { randomInt } from "node:crypto";
import {
  DNS_TYPE, dnsQuery, lookupDomain, NTA_SOCKETMAP_NAME, netstring, ntaVerdict, parseDnsResponse, readNetstrings,
} from "../components/postfix/nta7516";

export interface HostPort {
  host: string;
  port: number;
}

export interface NtaSocketmapOptions {
  listen: HostPort;
  /** A DNSSEC-validating resolver. */
  resolver: HostPort;
  /** Per DNS query. Default 3000 ms, well inside Postfix's 10 s socketmap timeout. */
  timeoutMs?: number;
  /** Default: the clock. */
  now?: () => Date;
  /** One line per decision. Default: standard output. */
  log?: (line: string) => void;
}

export interface NtaSocketmap {
  close(): Promise<void>;
}

class ResolverUnreachable extends Error {}

/** Answers one socketmap request with the reply Postfix expects. */
export async function answer(request: string, o: NtaSocketmapOptions): Promise<string> {
  const space = request.indexOf(" ");
  const [name, key] = [request.slice(0, space), request.slice(space + 1)];
  if (name !== NTA_SOCKETMAP_NAME) return `PERM unknown map ${name}`;
  const domain = lookupDomain(key);
  if (!domain) return "NOTFOUND ";
  try {
    const txt = await query(o, domain, DNS_TYPE.TXT);
    const verdict = ntaVerdict(txt.values, txt.ad && txt.rcode === 0, (o.now ?? (() => new Date()))());
    if (!verdict.compliant || !verdict.record) return decide(o, domain, "NOTFOUND ", verdict.reason);
    const mx = verdict.record.mx[0].host;
    const a = await query(o, mx, DNS_TYPE.A);
    if (!a.ad || a.values.length === 0) return decide(o, domain, "NOTFOUND ", `NTA MX ${mx} has no validated address`);
    return decide(o, domain, `OK secure:[${a.values[0]}]:25`, verdict.reason);
  } catch (e) {
    // Our own resolver failing is a fault to retry, not a verdict: Postfix defers the mail.
    if (e instanceof ResolverUnreachable) return decide(o, domain, `TEMP ${e.message}`, e.message);
    throw e;
  }
}

function decide(o: NtaSocketmapOptions, domain: string, reply: string, reason: string): string {
  (o.log ?? ((l) => console.log(l)))(`nta7516 ${domain}: ${reply.trim()} (${reason})`);
  return reply;
}

function query(o: NtaSocketmapOptions, name: string, type: number): Promise<ReturnType<typeof parseDnsResponse>> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 0xffff);
    const sock = dgram.createSocket("udp4");
    const fail = (why: string) => (sock.close(), reject(new ResolverUnreachable(why)));
    const timer = setTimeout(() => fail(`resolver ${o.resolver.host}:${o.resolver.port} did not answer`), o.timeoutMs ?? 3000);
    sock.on("error", (e) => (clearTimeout(timer), fail(`resolver error: ${e.message}`)));
    sock.on("message", (msg) => {
      const r = parseDnsResponse(msg, type);
      if (r.id !== id) return;
      clearTimeout(timer);
      sock.close();
      // Known shortcoming: no TCP retry; a truncated answer counts as "no record" (portal).
      resolve(r.truncated ? { ...r, values: [] } : r);
    });
    sock.send(dnsQuery(id, name, type), o.resolver.port, o.resolver.host);
  });
}

export function startNtaSocketmap(o: NtaSocketmapOptions): Promise<NtaSocketmap> {
  const server = net.createServer((conn) => {
    let buf: Buffer = Buffer.alloc(0);
    let chain = Promise.resolve();
    conn.on("error", () => undefined);
    conn.on("data", (chunk) => {
      try {
        const { messages, rest } = readNetstrings(Buffer.concat([buf, chunk]));
        buf = rest;
        // Replies go back in request order, as Postfix reads them.
        for (const m of messages) {
          chain = chain.then(async () => void conn.write(netstring(await answer(m, o).catch((e) => `TEMP ${e}`))));
        }
      } catch {
        conn.destroy();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.listen.port, o.listen.host, () =>
      resolve({ close: () => new Promise<void>((ok) => server.close(() => ok())) }),
    );
  });
}

function hostPort(flag: string, value: string | undefined): HostPort {
  const m = value ? /^(.+):(\d+)$/.exec(value) : null;
  if (!m) throw new Error(`${flag}: got ${JSON.stringify(value)}; give it as address:port, e.g. 127.0.0.1:10516`);
  return { host: m[1], port: Number(m[2]) };
}

if (require.main === module) {
  const arg = (flag: string) => process.argv[process.argv.indexOf(flag) + 1];
  try {
    const listen = hostPort("--listen", arg("--listen"));
    const resolver = hostPort("--resolver", arg("--resolver"));
    startNtaSocketmap({ listen, resolver }).then(
      () => console.log(`✓ nta7516 socketmap on ${listen.host}:${listen.port}, resolver ${resolver.host}:${resolver.port}`),
      (e) => {
        console.error(`✗ cannot listen on ${listen.host}:${listen.port}: ${e.message}`);
        process.exit(1);
      },
    );
  } catch (e) {
    console.error(`✗ ${(e as Error).message}`);
    process.exit(2);
  }
}
