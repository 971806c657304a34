/**
 * No data loss (NTA 7516 6.1.4, 6.1.11), for real on 127.0.3.1: with the customer's server
 * down, the relay keeps the message through a restart, tells the sender in time, and
 * delivers it unchanged once the server is back. The only deviation from the rendered
 * files is the queue timers, shortened with postconf so the test takes seconds.
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
import { CertFiles, makeCertificate } from "../support/tls";

const RELAY = "127.0.3.1";
const platform = samplePlatform();
const [noord, zuid] = sampleCustomers();
noord.mailServer = { ...noord.mailServer, address: "127.0.3.10", port: 25 };
const west: Customer = {
  ...zuid,
  slug: "west",
  domains: ["west.example.nl"],
  mailServer: { ...zuid.mailServer, address: "127.0.3.40", port: 25 },
  stage: "live",
};

describe("relay queue: next hop down (real Postfix on 127.0.3.1)", () => {
  let relay: PostfixInstance;
  let files: Record<string, string>;
  let certs: CertFiles;
  let noordServer: SmtpSink;
  let westServer: SmtpSink | undefined;
  const sender = "arts@zorggroep-noord.example.nl";
  const to = "arts@west.example.nl";
  const data = message({ from: sender, to, subject: "kept while the server is down" });

  before(async () => {
    relay = await PostfixInstance.create("relay-queue", RELAY, platform.relay.hostname);
    files = renderRelay(platform, [noord, west], relay.options);
    await relay.writeFiles(files);
    await relay.postconf({ delay_warning_time: "3s", queue_run_delay: "1s", minimal_backoff_time: "1s", maximal_backoff_time: "2s" });
    certs = await makeCertificate(`${relay.base}/sink-tls`, "mail.test");
    noordServer = await new SmtpSink(noord.mailServer.address, 25, certs).start();
    await relay.start();
  });

  after(async () => {
    await relay?.stop();
    await noordServer?.stop();
    await westServer?.stop();
  });

  it("renders a production delay notice well inside the 24 h NTA 7516 allows", () => {
    const main = files[`${relay.options.configDirectory}/main.cf`];
    assert.match(main, /^delay_warning_time = 4h$/m);
    assert.ok(platform.queue.delayWarningHours * 4 <= platform.queue.notifyWithinHours);
  });

  it("keeps the message queued while the customer's server is down", async () => {
    const r = await swaks({ server: RELAY, port: 25, from: sender, to, data });
    assert.equal(r.code, 0, r.output);
    await relay.waitForLog(/to=<arts@west\.example\.nl>.*status=deferred.*Connection refused/);
    const queued = await relay.queue();
    assert.deepEqual(queued.map((q) => q.recipients.map((x) => x.address)), [[to]]);
  });

  it("sends the sender a delay notice", async () => {
    const notice = await noordServer.waitFor((m) => m.to.includes(sender) && m.from === "", 20_000);
    const text = notice.data.toString("utf8");
    assert.match(text, /^Subject: Delayed Mail \(still being retried\)$/m);
    assert.match(text, /^# THIS IS A WARNING ONLY\. {2}YOU DO NOT NEED TO RESEND YOUR MESSAGE\. #$/m);
    assert.match(text, /^Final-Recipient: rfc822; arts@west\.example\.nl\r\nOriginal-Recipient: rfc822;arts@west\.example\.nl\r\nAction: delayed$/m);
  });

  it("keeps the message through postfix stop and start", async () => {
    await relay.stop();
    await relay.start();
    const queued = await relay.queue();
    assert.deepEqual(queued.map((q) => q.recipients.map((x) => x.address)), [[to]]);
  });

  it("delivers it unchanged once the server is back, and the queue empties", async () => {
    westServer = await new SmtpSink(west.mailServer.address, 25, certs).start();
    await relay.flush();
    const got = await westServer.waitFor((m) => m.to.includes(to));
    const { trace, rest } = splitTrace(got.data);
    assert.equal(trace.length, 1);
    assert.equal(sha256(rest), sha256(Buffer.from(data)));
    await relay.waitForLog(/to=<arts@west\.example\.nl>.*status=sent/);
    assert.deepEqual(await relay.queue(), []);
  });
});
