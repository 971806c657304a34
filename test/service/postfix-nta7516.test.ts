/**
 * The NTA 7516 compliance lookup, for real on 127.0.4.x: Knot serves signed and unsigned
 * test zones, Unbound validates them, the socketmap service answers Postfix, and the
 * secure node (rendered with complianceLookup set) delivers accordingly.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { renderSecureNode } from "../../components/postfix/secure-node";
import { answer, NtaSocketmap, startNtaSocketmap } from "../../scripts/nta7516-socketmap";
import { sampleCustomers, samplePlatform } from "../fixtures";
import { DnsLab, startDnsLab } from "../support/dns";
import { Dovecot } from "../support/dovecot";
import { message } from "../support/messages";
import { PostfixInstance } from "../support/postfix";
import { run } from "../support/run";
import { SmtpSink } from "../support/smtp-sink";
import { swaks } from "../support/swaks";
import { makeCertificate, sha512Crypt } from "../support/tls";

const NODE = "127.0.4.1";
const LOOKUP = { host: NODE, port: 10516 };
const [KNOT, UNBOUND, PORTAL, NTA_MX] = ["127.0.4.53", "127.0.4.54", "127.0.4.50", "127.0.4.80"];
const record = (zone: string, end: string) =>
  `@ TXT "v=NTA7516-1;startdate=2024-05;enddate=${end};provider=Ander;ntamx=10 mx.${zone}"`;
const zones = [
  { name: "compliant.test", signed: true, records: [record("compliant.test", "2099-12"), `mx A ${NTA_MX}`] },
  { name: "expired.test", signed: true, records: [record("expired.test", "2020-12"), `mx A ${NTA_MX}`] },
  { name: "unsigned.test", signed: false, records: [record("unsigned.test", "2099-12"), `mx A ${NTA_MX}`] },
  { name: "plain.test", signed: true, records: [`mx A ${NTA_MX}`] },
];

const platform = samplePlatform();
platform.relay = { ...platform.relay, address: "127.0.4.70" };
const [noord] = sampleCustomers();
const password = "noord-Secret-1";

describe("NTA 7516 compliance lookup (Knot + Unbound + socketmap + Postfix on 127.0.4.x)", () => {
  let dns: DnsLab;
  let lookup: NtaSocketmap;
  let pf: PostfixInstance;
  let dovecot: Dovecot;
  let portal: SmtpSink;
  let ntaMx: SmtpSink;
  const decisions: string[] = [];

  before(async () => {
    pf = await PostfixInstance.create("nta7516", NODE, platform.secureNodes.hostname);
    dns = await startDnsLab(`${pf.base}/dns`, KNOT, UNBOUND, zones);
    lookup = await startNtaSocketmap({ listen: LOOKUP, resolver: dns.resolver, log: (l) => decisions.push(l) });

    noord.credential = { username: "zorggroep-noord", passwordHash: await sha512Crypt(password) };
    const dovecotDir = `${pf.base}/dovecot`;
    await pf.writeFiles(renderSecureNode(platform, [noord], platform.secureNodes.nodes[0], {
      ...pf.options,
      dovecotDirectory: dovecotDir,
      dovecotBaseDir: `${dovecotDir}/run`,
      dovecotLogFile: `${pf.base}/log/dovecot.log`,
      saslAddress: NODE,
      portalNextHop: `[${PORTAL}]:25`,
      complianceLookup: `inet:${LOOKUP.host}:${LOOKUP.port}`,
    }));
    dovecot = new Dovecot(`${dovecotDir}/dovecot.conf`, `${dovecotDir}/run`, NODE, 12345);
    await dovecot.start();
    const certs = await makeCertificate(`${pf.base}/sink-tls`, "sink.test");
    portal = await new SmtpSink(PORTAL, 25, certs).start();
    ntaMx = await new SmtpSink(NTA_MX, 25, certs).start();
    await pf.start();
  });

  after(async () => {
    // The lookup closes once Postfix has hung up its connections; the rest stop side by side.
    await Promise.all([pf?.stop().then(() => lookup?.close()), dovecot?.stop(), dns?.stop(), portal?.stop(), ntaMx?.stop()]);
  });

  const postmap = (key: string) => run("postmap", ["-q", key, `socketmap:inet:${LOOKUP.host}:${LOOKUP.port}:nta7516`]);

  it("answers Postfix's own socketmap client: the NTA MX for a compliant domain, nothing otherwise", async () => {
    const ok = await postmap("compliant.test");
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), `secure:[${NTA_MX}]:25`);
    // Postfix asks transport_maps with the full recipient address (a socketmap is a pattern table).
    assert.equal((await postmap("arts@compliant.test")).stdout.trim(), `secure:[${NTA_MX}]:25`);
    for (const key of ["expired.test", "unsigned.test", "plain.test", "nowhere.test", "arts@plain.test", ".compliant.test"]) {
      const r = await postmap(key);
      assert.deepEqual([r.code, r.stdout], [1, ""], `${key}: ${r.stderr}`);
    }
    assert.ok(decisions.includes("nta7516 unsigned.test: NOTFOUND (answer not DNSSEC-validated)"), decisions.join("\n"));
    assert.ok(decisions.some((d) => /^nta7516 expired\.test: NOTFOUND \(certification 2024-05\.\.2020-12 does not cover/.test(d)));
  });

  it("delivers secure mail for a compliant domain straight to its NTA MX over TLS, the rest to the portal", async () => {
    const from = "arts@zorggroep-noord.example.nl";
    const expected: Array<[string, SmtpSink]> = [
      ["a@compliant.test", ntaMx],
      ["a@expired.test", portal],
      ["a@unsigned.test", portal],
      ["a@plain.test", portal],
    ];
    for (const [to] of expected) {
      const r = await swaks({ server: NODE, port: 587, tls: true, auth: { user: "zorggroep-noord", password }, from, to, data: message({ from, to, subject: to }) });
      assert.equal(r.code, 0, r.output);
    }
    for (const [to, sink] of expected) {
      const got = await sink.waitFor((m) => m.to.includes(to));
      assert.equal(got.tls, "TLSv1.3", to);
      const other = sink === portal ? ntaMx : portal;
      assert.equal(other.messages.filter((m) => m.to.includes(to)).length, 0, `${to} also reached the other sink`);
    }
  });

  it("fails safe to the portal route when its own resolver does not answer", async () => {
    const reply = await answer("nta7516 compliant.test", { listen: LOOKUP, resolver: { host: "127.0.4.55", port: 53 }, timeoutMs: 300, log: () => undefined });
    assert.equal(reply, "NOTFOUND ");
    assert.equal(await answer("other x", { listen: LOOKUP, resolver: dns.resolver }), "PERM unknown map other");
  });
});
