/**
 * A DNS client for the checks: asks one given resolver (node:dns can neither choose
 * the resolver per query nor show the AD bit), over UDP with a TCP retry when the
 * answer is truncated. Wire format by dns-packet.
 */
import * as packet from "dns-packet";
import { randomInt } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";

export interface Resolver {
  host: string;
  port: number;
}

export interface DnsAnswer {
  /** Response code as a name: NOERROR, NXDOMAIN, SERVFAIL, ... */
  rcode: string;
  /** Authentic Data: the validating resolver checked the DNSSEC chain. */
  ad: boolean;
  /** Answers of the asked type: TXT strings joined, other types as dns-packet gives them. */
  values: string[];
  /** TTL of the answer set (the lowest), 0 without answers. */
  ttl: number;
}

/** Raised when the resolver itself fails to answer: a fault to retry, not a verdict. */
export class ResolverUnreachable extends Error {}

type RecordType = "A" | "AAAA" | "MX" | "TXT" | "DNSKEY" | "DS" | "NS";

function encodeQuery(id: number, name: string, type: RecordType): Buffer {
  return packet.encode({
    type: "query",
    id,
    // RD: recurse; AD in a query asks the resolver to report validation (RFC 6840 5.7).
    flags: packet.RECURSION_DESIRED | packet.AUTHENTIC_DATA,
    questions: [{ type, name, class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, flags: 0 } as packet.Answer],
  });
}

function toAnswer(msg: packet.Packet, type: RecordType): DnsAnswer {
  const answers = (msg.answers ?? []).filter((a) => a.type === type);
  const values = answers.map((a) => {
    const data = (a as { data: unknown }).data;
    if (type === "TXT") return (data as Buffer[]).map((b) => b.toString("utf8")).join("");
    if (type === "MX") return `${(data as { preference: number }).preference} ${(data as { exchange: string }).exchange}`;
    return typeof data === "string" ? data : JSON.stringify(data);
  });
  const ttl = answers.length ? Math.min(...answers.map((a) => (a as { ttl?: number }).ttl ?? 0)) : 0;
  // dns-packet decodes the response code as a name; its typings leave it out.
  const rcode = (msg as packet.Packet & { rcode?: string }).rcode ?? "NOERROR";
  return { rcode, ad: ((msg.flags ?? 0) & packet.AUTHENTIC_DATA) !== 0, values, ttl };
}

function overUdp(resolver: Resolver, query: Buffer, id: number, timeoutMs: number): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(resolver.host) ? "udp6" : "udp4");
    const done = (err?: Error, msg?: packet.Packet) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => done(new ResolverUnreachable(`resolver ${resolver.host}:${resolver.port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e) => done(new ResolverUnreachable(`resolver ${resolver.host}:${resolver.port}: ${e.message}`)));
    sock.on("message", (buf) => {
      const msg = packet.decode(buf);
      if (msg.id === id) done(undefined, msg);
    });
    sock.send(query, resolver.port, resolver.host);
  });
}

function overTcp(resolver: Resolver, query: Buffer, timeoutMs: number): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(resolver.port, resolver.host);
    let buf = Buffer.alloc(0);
    const fail = (why: string) => (sock.destroy(), reject(new ResolverUnreachable(`resolver ${resolver.host}:${resolver.port} over TCP: ${why}`)));
    sock.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    sock.on("error", (e) => fail(e.message));
    sock.on("connect", () => sock.write(Buffer.concat([Buffer.from([query.length >> 8, query.length & 255]), query])));
    sock.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(packet.streamDecode(buf));
      }
    });
  });
}

/** Asks `resolver` for `name`/`type`; retries over TCP when the UDP answer is truncated. */
export async function query(resolver: Resolver, name: string, type: RecordType, timeoutMs = 3000): Promise<DnsAnswer> {
  const id = randomInt(1, 0xffff);
  const q = encodeQuery(id, name, type);
  let msg = await overUdp(resolver, q, id, timeoutMs);
  if ((msg.flags ?? 0) & packet.TRUNCATED_RESPONSE) msg = await overTcp(resolver, q, timeoutMs);
  return toAnswer(msg, type);
}
