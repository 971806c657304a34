/**
 * The rendered blackbox modules and Prometheus configuration against real programs on
 * loopback: two Postfix instances that require STARTTLS (a relay with TLS 1.3 on its
 * submission port, TLS 1.2 allowed on 25, and a TLS-1.2-only listener as a bad
 * example; a secure node with TLS 1.3), the blackbox exporter, and Prometheus itself
 * scraping the probes and evaluating the rendered rules.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PlatformConfig } from "../../components/config/model";
import {
  probeEndpoints,
  ProbeEndpoint,
  renderAlertRules,
  renderBlackboxConfig,
  renderPrometheusConfig,
  RULES,
  SMTP_PROBE_JOB,
} from "../../components/monitoring/render";
import { samplePlatform } from "../fixtures";
import { Blackbox, Prometheus, sampleValue, startBlackbox, startPrometheus } from "../support/monitoring-exporters";
import { amsterdamMinuteAt } from "../support/monitoring-promtool";
import { makeCertificates, PostfixInstance, startPostfix } from "../support/monitoring-postfix";
import { run, tempDir, waitFor } from "../support/procs-run";

const RELAY_IP = "127.0.75.1";
const NODE_IP = "127.0.75.2";
/** Where the second secure node "is": nothing listens there. */
const DEAD_NODE_IP = "127.0.75.3";
/** A relay listener that only speaks TLS 1.2, to show the submission module refuses it. */
const OLD_TLS_PORT = 2587;

describe("rendered blackbox modules and Prometheus configuration against real servers", () => {
  // A short probe interval makes Prometheus scrape within seconds; nothing else changes.
  const platform: PlatformConfig = { ...samplePlatform(), monitoring: { probeIntervalSeconds: 2 } };
  const endpoints = probeEndpoints(platform);
  const relaySubmission = endpoints.find((e) => e.service === "relay" && e.port === platform.relay.port)!;
  const relayMta = endpoints.find((e) => e.service === "relay" && e.port === 25)!;
  const node1 = endpoints.find((e) => e.service === "secure-nodes")!;
  const dir = tempDir("monitoring-blackbox");
  let relay: PostfixInstance;
  let node: PostfixInstance;
  let blackbox: Blackbox;
  let blackboxConfig = "";

  const loopback = (e: ProbeEndpoint): string => {
    if (e.service === "relay") return `${RELAY_IP}:${e.port}`;
    return `${e.name === node1.name ? NODE_IP : DEAD_NODE_IP}:${e.port}`;
  };

  before(async () => {
    const relayTls = await makeCertificates(join(dir.path, "relay-tls"), platform.relay.hostname);
    // Both server certificates from one CA, so the exporter needs one ca_file.
    const nodeTls = await makeCertificates(join(dir.path, "node-tls"), platform.secureNodes.hostname);
    const ca = join(dir.path, "ca-bundle.pem");
    writeFileSync(ca, readFileSync(relayTls.caCert, "utf8") + readFileSync(nodeTls.caCert, "utf8"));

    [relay, node] = await Promise.all([
      startPostfix({
        name: "monitoring-relay",
        address: RELAY_IP,
        hostname: platform.relay.hostname,
        tls: relayTls,
        listeners: [
          { port: relaySubmission.port, tlsProtocols: ">=TLSv1.3" },
          { port: relayMta.port, tlsProtocols: ">=TLSv1.2" },
          { port: OLD_TLS_PORT, tlsProtocols: "<=TLSv1.2" },
        ],
      }),
      startPostfix({
        name: "monitoring-node",
        address: NODE_IP,
        hostname: platform.secureNodes.hostname,
        tls: nodeTls,
        listeners: [{ port: node1.port, tlsProtocols: ">=TLSv1.3" }],
      }),
    ]);
    blackboxConfig = renderBlackboxConfig(platform, { caFile: ca });
    blackbox = await startBlackbox(dir.path, blackboxConfig);
  });

  after(async () => {
    await blackbox?.stop();
    await relay?.stop();
    await node?.stop();
    dir.remove();
  });

  test("prometheus-blackbox-exporter --config.check accepts the rendered modules", async () => {
    const path = join(dir.path, "check.yml");
    writeFileSync(path, renderBlackboxConfig(samplePlatform()));
    const r = await run("prometheus-blackbox-exporter", ["--config.check", `--config.file=${path}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Config file is ok/);
  });

  test("the relay's submission port passes the probe with STARTTLS and TLS 1.3", async () => {
    const m = await blackbox.probe(relaySubmission.module, loopback(relaySubmission));
    assert.equal(sampleValue(m, "probe_success"), 1, blackbox.log().slice(-2000));
    assert.equal(sampleValue(m, "probe_tls_version_info", { version: "TLS 1.3" }), 1);
    assert.ok(sampleValue(m, "probe_ssl_earliest_cert_expiry")! > Date.now() / 1000);
  });

  test("the submission module refuses a server that stops at TLS 1.2; the port-25 module accepts it", async () => {
    const target = `${RELAY_IP}:${OLD_TLS_PORT}`;
    const submission = await blackbox.probe(relaySubmission.module, target);
    assert.equal(sampleValue(submission, "probe_success"), 0);
    const mta = await blackbox.probe(relayMta.module, target);
    assert.equal(sampleValue(mta, "probe_success"), 1);
    assert.equal(sampleValue(mta, "probe_tls_version_info", { version: "TLS 1.2" }), 1);
  });

  test("each module verifies the certificate for its own host name", async () => {
    const right = await blackbox.probe(node1.module, loopback(node1));
    assert.equal(sampleValue(right, "probe_success"), 1);
    assert.equal(sampleValue(right, "probe_tls_version_info", { version: "TLS 1.3" }), 1);
    // The relay's certificate does not name secure-smtpnodes.ezorg.nl.
    const wrong = await blackbox.probe(node1.module, loopback(relaySubmission));
    assert.equal(sampleValue(wrong, "probe_success"), 0);
  });

  test("Prometheus with the rendered configuration probes every endpoint and evaluates the rendered rules", async () => {
    const rules = join(dir.path, "ezorg.rules.yml");
    writeFileSync(rules, renderAlertRules(platform));
    const config = renderPrometheusConfig(platform, platform.datacenters[0], {
      blackboxAddress: blackbox.url.replace("http://", ""),
      targetAddress: loopback,
      ruleFiles: [rules],
    });
    const prometheus: Prometheus = await startPrometheus(join(dir.path, "prometheus"), config);
    try {
      const results = await waitFor("a probe result for every endpoint", async () => {
        const r = await prometheus.query(`probe_success{job="${SMTP_PROBE_JOB}"}`);
        return r.length === endpoints.length ? r : undefined;
      });
      const byEndpoint = Object.fromEntries(results.map((r) => [`${r.metric.node} ${r.metric.endpoint}`, r]));
      for (const e of endpoints) {
        const r = byEndpoint[`${e.name} ${e.hostname}:${e.port}`];
        assert.ok(r, `no probe_success for ${e.name} ${e.hostname}:${e.port}`);
        assert.equal(r.metric.instance, loopback(e));
        assert.equal(r.metric.service, e.service);
        assert.equal(r.value[1], e.address === node1.address || e.service === "relay" ? "1" : "0", `${e.name}:${e.port}`);
      }

      // The rules run on today's real clock: every recorded local minute and window flag
      // must match the tz database at the sample's own time.
      const [local] = await waitFor("recorded maintenance samples", async () => {
        const r = await prometheus.samples(`${RULES.localMinute}[1m]`);
        return r.length && r[0].values.length >= 2 ? r : undefined;
      });
      for (const [t, v] of local.values) assert.equal(Number(v), amsterdamMinuteAt(new Date(t * 1000)), `at ${t}`);
      const [active] = await prometheus.samples(`${RULES.maintenanceActive}[1m]`);
      for (const [t, v] of active.values) {
        const minute = amsterdamMinuteAt(new Date(t * 1000));
        assert.equal(Number(v), minute >= 5 * 60 && minute < 7 * 60 ? 1 : 0, `at ${t}`);
      }
    } finally {
      await prometheus.stop();
    }
  });

  test("with the relay stopped the probe fails", async () => {
    await relay.stop();
    const m = await blackbox.probe(relaySubmission.module, loopback(relaySubmission));
    assert.equal(sampleValue(m, "probe_success"), 0);
  });
});
