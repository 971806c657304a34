/**
 * The NTA 7516 compliance lookup for the secure nodes, as a Postfix socketmap service:
 * transport_maps asks `nta7516 <recipient domain>`; a domain with a DNSSEC-validated,
 * current NTA 7516 record gets `secure:[<its NTA MX address>]:25` (direct delivery,
 * TLS required), every other domain NOTFOUND, so Postfix falls back to the portal. A
 * verdict is kept for the TTL of its DNS answers; when DNS is unclear (no answer from the
 * resolver) the reply is NOTFOUND too: the portal route is always a secure one.
 *
 * Run: npx tsx scripts/nta7516-socketmap.ts --listen 127.0.0.1:10516 --resolver 127.0.0.1:53
 * The resolver must validate DNSSEC (unbound with a trust anchor); its AD flag is trusted.
 */
import { Command } from "commander";
import net from "node:net";
import { lookupDomain, NTA_SOCKETMAP_NAME, netstring, ntaVerdict, readNetstrings } from "../components/postfix/nta7516";
import { query, Resolver, ResolverUnreachable } from "./checks/dns-client";

export type HostPort = Resolver;

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
  /**
   * Verdicts by domain, each kept for the TTL of the DNS answers it rests on. Default:
   * a cache per started service; `answer` called alone caches nothing.
   */
  cache?: Map<string, { reply: string; expires: number }>;
}

export interface NtaSocketmap {
  close(): Promise<void>;
}

/** Answers one socketmap request with the reply Postfix expects. */
export async function answer(request: string, o: NtaSocketmapOptions): Promise<string> {
  const space = request.indexOf(" ");
  const [name, key] = [request.slice(0, space), request.slice(space + 1)];
  if (name !== NTA_SOCKETMAP_NAME) return `PERM unknown map ${name}`;
  const domain = lookupDomain(key);
  if (!domain) return "NOTFOUND ";
  const now = (o.now ?? (() => new Date()))();
  const cached = o.cache?.get(domain);
  if (cached && cached.expires > now.getTime()) return cached.reply;

  const remember = (reply: string, reason: string, ttlSeconds: number): string => {
    if (ttlSeconds > 0) o.cache?.set(domain, { reply, expires: now.getTime() + ttlSeconds * 1000 });
    return decide(o, domain, reply, reason);
  };
  try {
    const txt = await query(o.resolver, domain, "TXT", o.timeoutMs);
    const verdict = ntaVerdict(txt.values, txt.ad && txt.rcode === "NOERROR", now);
    if (!verdict.compliant || !verdict.record) return remember("NOTFOUND ", verdict.reason, txt.ttl);
    const mx = verdict.record.mx[0].host;
    const a = await query(o.resolver, mx, "A", o.timeoutMs);
    if (!a.ad || a.values.length === 0) return remember("NOTFOUND ", `NTA MX ${mx} has no validated address`, a.ttl);
    return remember(`OK secure:[${a.values[0]}]:25`, verdict.reason, Math.min(txt.ttl, a.ttl));
  } catch (e) {
    // DNS unclear: fail safe to the portal (the default transport), and ask again next time.
    if (e instanceof ResolverUnreachable) return decide(o, domain, "NOTFOUND ", `${e.message}; portal route`);
    throw e;
  }
}

function decide(o: NtaSocketmapOptions, domain: string, reply: string, reason: string): string {
  (o.log ?? ((l) => console.log(l)))(`nta7516 ${domain}: ${reply.trim()} (${reason})`);
  return reply;
}

export function startNtaSocketmap(options: NtaSocketmapOptions): Promise<NtaSocketmap> {
  const o = { ...options, cache: options.cache ?? new Map() };
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
  new Command("nta7516-socketmap")
    .description("NTA 7516 compliance lookup for Postfix (socketmap)")
    .requiredOption("--listen <address:port>", "where Postfix connects, e.g. 127.0.0.1:10516", (v) => hostPort("--listen", v))
    .requiredOption("--resolver <address:port>", "a DNSSEC-validating resolver, e.g. 127.0.0.1:53", (v) => hostPort("--resolver", v))
    .action(({ listen, resolver }: { listen: HostPort; resolver: HostPort }) =>
      startNtaSocketmap({ listen, resolver }).then(
        () => console.log(`✓ nta7516 socketmap on ${listen.host}:${listen.port}, resolver ${resolver.host}:${resolver.port}`),
        (e: Error) => {
          console.error(`✗ cannot listen on ${listen.host}:${listen.port}: ${e.message}`);
          process.exitCode = 1;
        },
      ),
    )
    .parse();
}
