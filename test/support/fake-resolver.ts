import * as packet from "dns-packet";
import dgram from "node:dgram";
import net from "node:net";

/** One canned answer set: TXT strings or A addresses, with a TTL and the AD bit. */
export interface CannedAnswer {
  type: "TXT" | "A";
  values: string[];
  ttl: number;
  ad: boolean;
}

/**
 * A stand-in resolver on loopback UDP for unit tests: answers from a table keyed by
 * `<name> <type>` and counts the questions it received.
 */
export class FakeResolver {
  readonly questions: string[] = [];
  private constructor(private readonly sock: dgram.Socket, readonly host: string, readonly port: number) {}

  static async start(table: Record<string, CannedAnswer>, host = "127.0.0.1"): Promise<FakeResolver> {
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((ok) => sock.bind(0, host, () => ok()));
    const fake = new FakeResolver(sock, host, (sock.address() as net.AddressInfo).port);
    sock.on("message", (buf, rinfo) => {
      const q = packet.decode(buf);
      const { name, type } = q.questions![0];
      fake.questions.push(`${name} ${type}`);
      const canned = table[`${name} ${type}`];
      const reply = packet.encode({
        type: "response",
        id: q.id,
        flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (canned?.ad ? packet.AUTHENTIC_DATA : 0),
        questions: q.questions,
        answers: (canned?.values ?? []).map((v) => ({ type: canned!.type, name, ttl: canned!.ttl, class: "IN" as const, data: canned!.type === "TXT" ? [v] : v })) as packet.Answer[],
      });
      sock.send(reply, rinfo.port, rinfo.address);
    });
    return fake;
  }

  close(): void {
    this.sock.close();
  }
}
