/**
 * The rendered queue-age exporter against a real Postfix instance holding a deferred
 * message (its relay host refuses connections), read through the real `postqueue -j`.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { renderQueueAgeExporter, POSTFIX_QUEUES } from "../../components/monitoring/queue-age";
import { QUEUE_AGE_METRIC } from "../../components/monitoring/render";
import { samplePlatform } from "../fixtures";
import { parseMetrics, sampleValue } from "../support/monitoring-exporters";
import { makeCertificates, PostfixInstance, startPostfix } from "../support/monitoring-postfix";
import { run, runOk, tempDir, waitFor } from "../support/procs-run";

describe("rendered queue-age exporter with real Postfix", () => {
  const platform = samplePlatform();
  const dir = tempDir("monitoring-queue-age");
  let postfix: PostfixInstance;
  let arrival = 0;

  before(async () => {
    const tls = await makeCertificates(join(dir.path, "tls"), platform.relay.hostname);
    postfix = await startPostfix({
      name: "monitoring-queue",
      address: "127.0.75.4",
      hostname: platform.relay.hostname,
      tls,
      listeners: [{ port: 587, tlsProtocols: ">=TLSv1.3" }],
      // Nothing listens on the discard port: every message is deferred and stays queued.
      mainCf: ["relayhost = [127.0.0.1]:9", "smtp_tls_security_level = none"],
    });
    await runOk("sendmail", ["-C", postfix.configDir, "-f", "sender@ezorg.nl", "rcpt@example.net"], {
      input: "Subject: queued\n\nkept until the route works\n",
    });
    arrival = await waitFor("the message in the deferred queue", async () => {
      const line = (await runOk("postqueue", ["-c", postfix.configDir, "-j"])).stdout.trim();
      const msg = line ? (JSON.parse(line.split("\n")[0]) as { queue_name: string; arrival_time: number }) : undefined;
      return msg?.queue_name === "deferred" ? msg.arrival_time : undefined;
    });
  });

  after(async () => {
    await postfix?.stop();
    dir.remove();
  });

  test("the exporter writes the oldest message's age and the count for every queue", async () => {
    const exporter = renderQueueAgeExporter({
      postfixConfigDir: postfix.configDir,
      metricsDir: dir.path,
      scriptPath: join(dir.path, "queue-age.sh"),
    });
    writeFileSync(exporter.scriptPath, exporter.script);
    const started = Math.floor(Date.now() / 1000);
    const r = await run("/bin/sh", [exporter.scriptPath], { env: { PATH: process.env.PATH } });
    const finished = Math.ceil(Date.now() / 1000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");

    const samples = parseMetrics(readFileSync(exporter.metricsFile, "utf8"));
    const age = sampleValue(samples, QUEUE_AGE_METRIC, { queue: "deferred" })!;
    assert.ok(age >= started - arrival && age <= finished - arrival, `age ${age} for arrival ${arrival}`);
    assert.equal(sampleValue(samples, "postfix_queue_messages", { queue: "deferred" }), 1);
    for (const q of POSTFIX_QUEUES.filter((x) => x !== "deferred")) {
      assert.equal(sampleValue(samples, QUEUE_AGE_METRIC, { queue: q }), 0, q);
      assert.equal(sampleValue(samples, "postfix_queue_messages", { queue: q }), 0, q);
    }
  });

  test("the exporter fails loudly when it cannot read the queue, and keeps the old file", async () => {
    const exporter = renderQueueAgeExporter({
      postfixConfigDir: join(dir.path, "no-postfix"),
      metricsDir: dir.path,
      scriptPath: join(dir.path, "broken.sh"),
    });
    writeFileSync(exporter.scriptPath, exporter.script);
    writeFileSync(exporter.metricsFile, "# earlier\n");
    const r = await run("/bin/sh", [exporter.scriptPath], { env: { PATH: process.env.PATH } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^ezorg-queue-age: FAILED: postqueue -j: /);
    assert.equal(readFileSync(exporter.metricsFile, "utf8"), "# earlier\n");
  });
});
