import * as packet from "dns-packet";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { query, ResolverUnreachable } from "../../scripts/checks/dns-client";

// A stand-in resolver on loopback: answers TXT for big.example.nl only over TCP (UDP says
// truncated), sets AD for signed.example.nl, and never answers for silent.example.nl.
const HOST = "127.0.0.1";
let port: number;
let udp: dgram.Socket;
let tcp: net.Server;
const longTxt = "v=DKIM1; k=rsa; p=" + "A".repeat(600);

function respond(q: packet.Packet, viaTcp: boolean): Buffer | undefined {
  const name = q.questions![0].name;
  if (name === "silent.example.nl") return undefined;
  const big = name === "big.example.nl";
  const data = big ? [longTxt.slice(0, 255), longTxt.slice(255, 510), longTxt.slice(510)] : ["v=NTA7516-1;provider=E-Zorg"];
  const flags = packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (name === "signed.example.nl" ? packet.AUTHENTIC_DATA : 0) | (big && !viaTcp ? packet.TRUNCATED_RESPONSE : 0);
  return packet.encode({
    type: "response",
    id: q.id,
    flags,
    questions: q.questions,
    answers: big && !viaTcp ? [] : [{ type: "TXT", name, ttl: 300, class: "IN", data }],
  });
}

before(async () => {
  udp = dgram.createSocket("udp4");
  await new Promise<void>((ok) => udp.bind(0, HOST, () => ok()));
  port = (udp.address() as net.AddressInfo).port;
  udp.on("message", (buf, rinfo) => {
    const reply = respond(packet.decode(buf), false);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  tcp = net.createServer((conn) =>
    conn.on("data", (buf) => {
      const reply = respond(packet.streamDecode(buf), true)!;
      conn.end(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]));
    }),
  );
  await new Promise<void>((ok) => tcp.listen(port, HOST, () => ok()));
});
after(() => {
  udp.close();
  tcp.close();
});

describe("dns-client query", () => {
  it("reports the AD bit of a validated answer and joins TXT strings", async () => {
    assert.deepEqual(await query({ host: HOST, port }, "signed.example.nl", "TXT"), { rcode: "NOERROR", ad: true, values: ["v=NTA7516-1;provider=E-Zorg"], ttl: 300 });
  });

  it("reports an answer without validation as such", async () => {
    assert.equal((await query({ host: HOST, port }, "plain.example.nl", "TXT")).ad, false);
  });

  it("retries over TCP when the UDP answer is truncated", async () => {
    assert.deepEqual((await query({ host: HOST, port }, "big.example.nl", "TXT")).values, [longTxt]);
  });

  it("raises ResolverUnreachable when the resolver stays silent", async () => {
    await assert.rejects(query({ host: HOST, port }, "silent.example.nl", "TXT", 200), (e: unknown) => e instanceof ResolverUnreachable && /did not answer within 200 ms/.test((e as Error).message));
  });
});
