import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadStack } from "../../components/config/load";
import { runOperation } from "../../scripts/ops/engine";
import { Journal } from "../../scripts/ops/journal";
import { rolloutPhase } from "../../scripts/ops/rollout";
import { certificateOperation, CertificateInput, checkCertificate } from "../../scripts/ops/rotate-certificate";
import { collectingReporter, FakeRunner, sitePlan } from "../support/fake-runner";
import { mustRun } from "../support/run";

const platform = loadStack("prod").platform;
const now = new Date();
let dir: string;
const pem: Record<string, { cert: string; key: string }> = {};

/** A self-signed pair for `host`, valid `days` days. */
async function pair(name: string, host: string, days: number): Promise<void> {
  const [cert, key] = [path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`)];
  await mustRun("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", String(days), "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host}`]);
  pem[name] = { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "ezorg-certs-"));
  await pair("node", "secure-smtpnodes.ezorg.nl", 90);
  await pair("relay", "inside-relay.ezorg.nl", 90);
  await pair("short", "secure-smtpnodes.ezorg.nl", 5);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const input = (service: CertificateInput["service"], cert: string, key = cert): CertificateInput => ({ service, certFile: `${cert}.crt`, certPem: pem[cert].cert, keyPem: pem[key].key });

describe("checkCertificate", () => {
  it("accepts a pair valid for the service's name and returns its fingerprint", () => {
    const c = checkCertificate(input("secureNode", "node"), platform, now);
    assert.match(c.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  // Inputs are built when each test runs: the files exist only after `before`.
  const refusals: Array<[string, () => CertificateInput, RegExp]> = [
    ["a key of another certificate", () => input("relay", "relay", "node"), /^relay\.crt: the key given with it does not belong to this certificate/],
    ["a certificate for another name", () => input("relay", "node"), /^node\.crt: is not valid for inside-relay\.ezorg\.nl \(subject CN=secure-smtpnodes\.ezorg\.nl\)/],
    ["a certificate about to expire", () => input("secureNode", "short"), /^short\.crt: expires .*, within 14 days; get a certificate that lasts longer$/],
    ["text that is no certificate", () => ({ ...input("relay", "relay"), certPem: "hello" }), /^relay\.crt: is not a PEM certificate; give the certificate for inside-relay\.ezorg\.nl$/],
  ];
  for (const [what, i, message] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(() => checkCertificate(i(), platform, now), (e: Error) => message.test(e.message), what);
    });
  }
});

describe("rotate certificate", () => {
  it("sets key and certificate as secrets, then rolls out expecting the new certificates served", async () => {
    const runner = new FakeRunner();
    const certificates = [checkCertificate(input("relay", "relay"), platform, now), checkCertificate(input("secureNode", "node"), platform, now)];
    const op = certificateOperation({
      stack: "prod",
      certificates,
      runner,
      resumeHint: "again --resume",
      rollout: (expect) => rolloutPhase({ stack: "prod", platform, resources: sitePlan("prod", ["ams1", "gro1"]), runner, expect }),
    });
    const journal = Journal.open(dir, "certificate");
    const outcome = await runOperation(op, { journal, resume: false, dryRun: false, concurrency: 1, reporter: collectingReporter() });
    assert.equal(outcome.exitCode, 0);
    assert.deepEqual(runner.calls, [
      "setSecret prod ezorg:relayTlsKey",
      "setSecret prod ezorg:relayTlsCertificate",
      "setSecret prod ezorg:secureNodeTlsKey",
      "setSecret prod ezorg:secureNodeTlsCertificate",
      "up prod ams1",
      "health prod ams1",
      "up prod gro1",
      "health prod gro1",
      "up prod",
    ]);
    assert.equal(runner.secrets.get("prod ezorg:secureNodeTlsCertificate"), pem.node.cert);
    assert.deepEqual(runner.expectations[0], { relay: certificates[0].fingerprint256, secureNode: certificates[1].fingerprint256 });
    assert.equal(readFileSync(journal.file, "utf8").includes("PRIVATE KEY"), false, "no key in the journal");
  });
});
