/**
 * inside-relay, for real: Postfix started from renderRelay's output (only paths and the
 * listen address moved to 127.0.1.1), customer servers played by SMTP sinks, swaks as
 * the client. Customer data is test data: their servers live on loopback addresses.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { renderRelay } from "../../components/postfix/relay";
import { sampleCustomers, samplePlatform } from "../fixtures";
import { message } from "../support/messages";
import { PostfixInstance } from "../support/postfix";
import { sha256, SmtpSink, splitTrace } from "../support/smtp-sink";
import { swaks } from "../support/swaks";
import { makeCertificate } from "../support/tls";

const RELAY = "127.0.1.1";
const MAILFILTER = "127.0.1.99";
const platform = samplePlatform();
const [noord, zuid] = sampleCustomers();
noord.mailServer = { ...noord.mailServer, address: "127.0.1.10", port: 25 };
zuid.mailServer = { ...zuid.mailServer, address: "127.0.1.20", port: 25 };
/** Another customer like zuid, with its own domain and server address. */
const like = (slug: string, address: string, stage: Customer["stage"]): Customer =>
  ({ ...zuid, slug, domains: [`${slug}.example.nl`], mailServer: { ...zuid.mailServer, address }, stage });
const oost = like("oost", "127.0.1.30", "connection");
const west = like("west", "127.0.1.40", "domains-registered");
const customers = [noord, zuid, oost, west];

describe("inside-relay (real Postfix on 127.0.1.1)", () => {
  let relay: PostfixInstance;
  let noordServer: SmtpSink;
  let westServer: SmtpSink;

  before(async () => {
    relay = await PostfixInstance.create("relay", RELAY, platform.relay.hostname);
    await relay.writeFiles(renderRelay(platform, customers, relay.options));
    const certs = await makeCertificate(`${relay.base}/sink-tls`, "mail.zorggroep-noord.example.nl");
    noordServer = await new SmtpSink(noord.mailServer.address, 25, certs).start();
    // west's server speaks no STARTTLS: the relay must keep its mail rather than send it in clear.
    westServer = await new SmtpSink(west.mailServer.address, 25).start();
    await relay.start();
  });

  after(async () => {
    await relay?.stop();
    await noordServer?.stop();
    await westServer?.stop();
  });

  const submit = { server: RELAY, port: platform.relay.port };
  /** A submission from `address` that stops once RCPT is answered. */
  const rcptFrom = (address: string, from: string, to = "x@example.org") =>
    swaks({ ...submit, tls: true, localInterface: address, from, to, quitAfter: "RCPT" });

  it("offers STARTTLS on the submission port and refuses MAIL before it", async () => {
    const ehlo = await swaks({ ...submit, quitAfter: "EHLO" });
    assert.match(ehlo.output, /^<- {2}250-STARTTLS$/m);
    const plain = await swaks({ ...submit, localInterface: noord.mailServer.address, from: "arts@zorggroep-noord.example.nl", to: "x@example.org" });
    assert.equal(plain.code, 23, plain.output);
    assert.match(plain.output, /530 5\.7\.0 Must issue a STARTTLS command first/);
  });

  it("accepts TLS 1.3 and refuses TLS 1.2 while platform.tls.minimumVersion is TLSv1.3", async () => {
    assert.equal(platform.tls.minimumVersion, "TLSv1.3");
    const v13 = await swaks({ ...submit, tls: "tlsv1_3", quitAfter: "TLS" });
    assert.equal(v13.code, 0, v13.output);
    assert.match(v13.output, /TLS started with cipher TLSv1\.3/);
    const v12 = await swaks({ ...submit, tls: "tlsv1_2", quitAfter: "TLS" });
    assert.equal(v12.code, 29, v12.output);
    assert.match(v12.output, /protocol version/);
  });

  it("takes submissions only from customer servers whose stage reached network", async () => {
    const from = "arts@zorggroep-noord.example.nl";
    const early = await rcptFrom(oost.mailServer.address, from);
    assert.equal(early.code, 24, early.output);
    assert.match(early.output, /Client host rejected: Access denied/);
    const stranger = await rcptFrom("127.0.1.77", from);
    assert.equal(stranger.code, 24, stranger.output);
  });

  it("relays submissions only from registered sender domains, and to the helpdesk before that", async () => {
    const ok = await rcptFrom(noord.mailServer.address, "arts@kliniek-noord.example.nl");
    assert.equal(ok.code, 0, ok.output);
    const unregistered = await rcptFrom(zuid.mailServer.address, "arts@huisarts-zuid.example.nl");
    assert.equal(unregistered.code, 24, unregistered.output);
    assert.match(unregistered.output, /554 5\.7\.1 .*Access denied/);
    const subdomain = await rcptFrom(noord.mailServer.address, "arts@sub.zorggroep-noord.example.nl");
    assert.equal(subdomain.code, 24, subdomain.output);
    const routeTest = await rcptFrom(zuid.mailServer.address, "arts@huisarts-zuid.example.nl", platform.helpdesk.to);
    assert.equal(routeTest.code, 0, routeTest.output);
  });

  it("accepts on port 25 only recipients in registered customer domains", async () => {
    const inbound = { server: RELAY, port: 25, localInterface: MAILFILTER, from: "someone@example.org", quitAfter: "RCPT" as const };
    assert.equal((await swaks({ ...inbound, to: "arts@zorggroep-noord.example.nl" })).code, 0);
    for (const to of ["arts@huisarts-zuid.example.nl", "arts@oost.example.nl", "arts@sub.zorggroep-noord.example.nl", "x@example.org"]) {
      const r = await swaks({ ...inbound, to });
      assert.equal(r.code, 24, `${to}: ${r.output}`);
      assert.match(r.output, /Relay access denied/);
    }
  });

  it("calibration: swaks straight into a sink arrives byte-identical, so the harness adds nothing", async () => {
    const data = message({ from: "someone@example.org", to: "cal@kliniek-noord.example.nl", subject: "calibration" });
    const r = await swaks({ server: noord.mailServer.address, port: 25, from: "someone@example.org", to: "cal@kliniek-noord.example.nl", data });
    assert.equal(r.code, 0, r.output);
    const got = await noordServer.waitFor((m) => m.to.includes("cal@kliniek-noord.example.nl"));
    assert.equal(sha256(got.data), sha256(Buffer.from(data)));
  });

  it("delivers plaintext port-25 mail for a customer domain to that customer's server, over TLS 1.3, byte-identical", async () => {
    const to = "inbound@kliniek-noord.example.nl";
    const data = message({ from: "someone@example.org", to, subject: "inbound" });
    const r = await swaks({ server: RELAY, port: 25, localInterface: MAILFILTER, from: "someone@example.org", to, data });
    assert.equal(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /^ -> STARTTLS/m, "the client sent in plaintext");
    const got = await noordServer.waitFor((m) => m.to.includes(to));
    assert.equal(got.tls, "TLSv1.3");
    // The hop prepends exactly one Received header (a relay adds no Return-Path; that is the
    // final delivery agent's). Everything after it must be the sender's bytes.
    const { trace, rest } = splitTrace(got.data);
    assert.equal(trace.length, 1, trace.join(""));
    assert.match(trace[0], /^Received: from client\.test .*by inside-relay\.ezorg\.nl \(Postfix\)/s);
    assert.equal(sha256(rest), sha256(Buffer.from(data)));
  });

  it("delivers a submitted message for a customer domain byte-identical", async () => {
    const to = "collega@zorggroep-noord.example.nl";
    const data = message({ from: "arts@kliniek-noord.example.nl", to, subject: "submitted" });
    const r = await swaks({ ...submit, tls: true, localInterface: noord.mailServer.address, from: "arts@kliniek-noord.example.nl", to, data });
    assert.equal(r.code, 0, r.output);
    const got = await noordServer.waitFor((m) => m.to.includes(to));
    const { trace, rest } = splitTrace(got.data);
    assert.equal(trace.length, 1);
    assert.equal(sha256(rest), sha256(Buffer.from(data)));
  });

  it("keeps mail for a customer server that offers no TLS queued instead of sending it in clear", async () => {
    const to = "arts@west.example.nl";
    const r = await swaks({ server: RELAY, port: 25, localInterface: MAILFILTER, from: "someone@example.org", to, data: message({ from: "someone@example.org", to, subject: "no tls" }) });
    assert.equal(r.code, 0, r.output);
    await relay.waitForLog(/to=<arts@west\.example\.nl>.*status=deferred.*TLS is required, but was not offered/);
    assert.equal(westServer.messages.length, 0);
    const queued = await relay.queue();
    assert.ok(queued.some((q) => q.recipients.some((x) => x.address === to)), JSON.stringify(queued));
  });
});
