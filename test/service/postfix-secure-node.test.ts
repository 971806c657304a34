/**
 * secure-smtpnodes, for real: Postfix and Dovecot started from renderSecureNode's output
 * (paths, listen addresses and the two route next hops moved to loopback), the portal,
 * the internet and the relay played by SMTP sinks, swaks as the customer's Exchange.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { TABLE_2 } from "../../components/postfix/secure-header";
import { renderSecureNode } from "../../components/postfix/secure-node";
import { sampleCustomers, samplePlatform } from "../fixtures";
import { Dovecot } from "../support/dovecot";
import { message } from "../support/messages";
import { PostfixInstance } from "../support/postfix";
import { waitFor } from "../support/run";
import { sha256, SmtpSink, splitTrace } from "../support/smtp-sink";
import { swaks, SwaksOptions } from "../support/swaks";
import { makeCertificate, sha512Crypt } from "../support/tls";

const NODE = "127.0.2.1";
const SASL_PORT = 12345;
// Failed logins get Dovecot's per-address penalty; they come from addresses of their own so
// no other login is slowed down.
const BAD_CLIENTS = ["127.0.2.98", "127.0.2.99"];
const PORTAL = "127.0.2.50";
const INTERNET = "127.0.2.60";

const platform = samplePlatform();
platform.relay = { ...platform.relay, address: "127.0.2.70" };
const node = platform.secureNodes.nodes[0];
const [noord, zuid] = sampleCustomers();
const vroeg: Customer = { ...zuid, slug: "vroeg", domains: ["vroeg.example.nl"], stage: "x-header-test" };
const secrets = { noord: "noord-Secret-1", zuid: "zuid-Secret-2", vroeg: "vroeg-Secret-3" };

describe("secure-smtpnodes (real Postfix + Dovecot on 127.0.2.1)", () => {
  let pf: PostfixInstance;
  let dovecot: Dovecot;
  let portal: SmtpSink;
  let internet: SmtpSink;
  let relay: SmtpSink;

  before(async () => {
    noord.credential = { username: "zorggroep-noord", passwordHash: await sha512Crypt(secrets.noord) };
    zuid.stage = "secure-switch";
    zuid.credential = { username: "huisarts-zuid", passwordHash: await sha512Crypt(secrets.zuid) };
    vroeg.credential = { username: "vroeg", passwordHash: await sha512Crypt(secrets.vroeg) };

    pf = await PostfixInstance.create("secure-node", NODE, platform.secureNodes.hostname);
    const dovecotDir = `${pf.base}/dovecot`;
    const files = renderSecureNode(platform, [noord, zuid, vroeg], node, {
      ...pf.options,
      dovecotDirectory: dovecotDir,
      dovecotBaseDir: `${dovecotDir}/run`,
      dovecotLogFile: `${pf.base}/log/dovecot.log`,
      saslAddress: NODE,
      saslPort: SASL_PORT,
      portalNextHop: `[${PORTAL}]:25`,
      internetNextHop: `[${INTERNET}]:25`,
    });
    await pf.writeFiles(files);
    dovecot = new Dovecot(`${dovecotDir}/dovecot.conf`, `${dovecotDir}/run`, NODE, SASL_PORT);
    await dovecot.start();

    const certs = await makeCertificate(`${pf.base}/sink-tls`, "sink.test");
    portal = await new SmtpSink(PORTAL, 25, certs).start();
    internet = await new SmtpSink(INTERNET, 25, certs).start();
    relay = await new SmtpSink(platform.relay.address, 25, certs).start();
    await pf.start();
  });

  after(async () => {
    await Promise.all([pf?.stop(), dovecot?.stop(), portal?.stop(), internet?.stop(), relay?.stop()]);
  });

  const submit = { server: NODE, port: platform.secureNodes.port };
  const asNoord = { ...submit, tls: true, auth: { user: "zorggroep-noord", password: secrets.noord } } satisfies SwaksOptions;

  it("offers AUTH only after STARTTLS and refuses MAIL before it", async () => {
    const plain = await swaks({ ...submit, quitAfter: "EHLO" });
    assert.match(plain.output, /^<- {2}250-STARTTLS$/m);
    assert.doesNotMatch(plain.output, /AUTH/);
    const secured = await swaks({ ...submit, tls: true, quitAfter: "EHLO" });
    assert.match(secured.output, /^<~ {2}250-AUTH PLAIN LOGIN$/m);
    const mail = await swaks({ ...submit, from: "arts@zorggroep-noord.example.nl", to: "x@example.org" });
    assert.equal(mail.code, 23, mail.output);
    assert.match(mail.output, /530 5\.7\.0 Must issue a STARTTLS command first/);
  });

  it("refuses TLS 1.2 while platform.tls.minimumVersion is TLSv1.3", async () => {
    assert.equal((await swaks({ ...submit, tls: "tlsv1_3", quitAfter: "TLS" })).code, 0);
    assert.equal((await swaks({ ...submit, tls: "tlsv1_2", quitAfter: "TLS" })).code, 29);
  });

  it("refuses a wrong password, and the credential of a customer before secure-switch", async () => {
    // Dovecot answers a failure only after auth_failure_delay (2 s): both run at once.
    const [wrong, early] = await Promise.all([
      swaks({ ...asNoord, localInterface: BAD_CLIENTS[0], auth: { user: "zorggroep-noord", password: "not-it" }, quitAfter: "AUTH" }),
      swaks({ ...submit, tls: true, localInterface: BAD_CLIENTS[1], auth: { user: "vroeg", password: secrets.vroeg }, quitAfter: "AUTH" }),
    ]);
    assert.equal(wrong.code, 28, wrong.output);
    assert.match(wrong.output, /535 5\.7\.8/);
    assert.equal(early.code, 28, early.output);
  });

  it("lets a login send from each of its own domains, with PLAIN and with LOGIN (Exchange)", async () => {
    for (const from of ["arts@zorggroep-noord.example.nl", "arts@kliniek-noord.example.nl"]) {
      const r = await swaks({ ...asNoord, from, to: "x@example.org", quitAfter: "RCPT" });
      assert.equal(r.code, 0, r.output);
    }
    const auth = { ...asNoord.auth, mechanism: "LOGIN" };
    const from = "arts@zorggroep-noord.example.nl";
    const login = await swaks({ ...asNoord, auth, from, to: "x@example.org", quitAfter: "RCPT" });
    assert.equal(login.code, 0, login.output);
  });

  it("refuses customer A's login with customer B's domain, or any unregistered one", async () => {
    for (const from of ["arts@huisarts-zuid.example.nl", "arts@example.org", "arts@sub.zorggroep-noord.example.nl"]) {
      const r = await swaks({ ...asNoord, from, to: "x@example.org", quitAfter: "RCPT" });
      assert.equal(r.code, 24, `${from}: ${r.output}`);
      assert.match(r.output, /553 5\.7\.1 .*Sender address rejected: not owned by user zorggroep-noord/);
    }
    const asZuid = { ...submit, tls: true, auth: { user: "huisarts-zuid", password: secrets.zuid } };
    const zuidOwn = await swaks({ ...asZuid, from: "arts@huisarts-zuid.example.nl", to: "x@example.org", quitAfter: "RCPT" });
    assert.equal(zuidOwn.code, 0, zuidOwn.output);
  });

  /** Sends one message with `headers`, returns which sink got it. */
  async function route(to: string, headers: string[], forwarded?: string): Promise<"portal" | "internet"> {
    const from = "arts@zorggroep-noord.example.nl";
    const data = message({ from, to, subject: to, headers, forwarded });
    const r = await swaks({ ...asNoord, from, to, data });
    assert.equal(r.code, 0, r.output);
    const sink = await waitFor(`${to} at the portal or internet sink`, () => {
      if (portal.messages.some((m) => m.to.includes(to))) return "portal" as const;
      if (internet.messages.some((m) => m.to.includes(to))) return "internet" as const;
    });
    const m = (sink === "portal" ? portal : internet).messages.find((x) => x.to.includes(to))!;
    assert.equal(sha256(splitTrace(m.data).rest), sha256(Buffer.from(data)), `${to}: body changed on the way`);
    if (sink === "portal") assert.equal(m.tls, "TLSv1.3", "the secure route requires TLS");
    return sink;
  }

  for (const [i, row] of TABLE_2.entries()) {
    it(`Table 2, ${row.row}: header ${row.header ?? "absent"} -> ${row.secure ? "secure route (portal)" : "internet route"}`, async () => {
      const headers = row.header === undefined ? [] : [`${platform.secureHeader.name}: ${row.header}`];
      assert.equal(await route(`row${i}@example.org`, headers), row.secure ? "portal" : "internet");
    });
  }

  it("reads the header case-insensitively but bypasses only on an explicit true", async () => {
    assert.equal(await route("upper@example.org", ["X-Ezorg-Secbypass:  TRUE "]), "internet");
    assert.equal(await route("yes@example.org", ["x-ezorg-secbypass: yes"]), "portal");
    assert.equal(await route("empty@example.org", ["x-ezorg-secbypass:"]), "portal");
  });

  it("ignores the header inside a forwarded message: only the outer message picks the route", async () => {
    const inner = message({ from: "a@example.com", to: "b@example.com", subject: "inner", headers: ["x-ezorg-secbypass: true"] });
    assert.equal(await route("forward@example.org", [], inner), "portal");
  });

  it("sends secure mail for a customer domain straight to the relay over TLS 1.3", async () => {
    const to = "collega@huisarts-zuid.example.nl";
    const from = "arts@zorggroep-noord.example.nl";
    const r = await swaks({ ...asNoord, from, to, data: message({ from, to, subject: "on-net" }) });
    assert.equal(r.code, 0, r.output);
    const got = await relay.waitFor((m) => m.to.includes(to));
    assert.equal(got.tls, "TLSv1.3");
  });
});
