import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { loadStack, PROJECT_ROOT, StackModel } from "../../components/config/load";
import { LabBreak, runWalkthrough } from "../../scripts/lab/walkthrough";
import { ezorg } from "../support/cli";

// The whole walkthrough on loopback (127.0.16.x), once green through the CLI and once per
// deliberate fault, each of which must stop it at the stage whose check exists to catch it.
const model = loadStack("customer-zorggroep-noord") as Extract<StackModel, { kind: "customer" }>;
const descriptorFile = path.join(PROJECT_ROOT, "stacks/customers/zorggroep-noord.yaml");

async function broken(fault: LabBreak) {
  const lines: string[] = [];
  const result = await runWalkthrough({ platform: model.platform, customer: model.customer, descriptorFile, breakWith: fault, out: (l) => lines.push(l) });
  return { result, lines };
}

describe("ezorg lab", () => {
  it("onboards the example customer from the first stage to live with every check green, and cleans up", async () => {
    const r = await ezorg(["lab"]);
    assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr);
    assert.match(r.stdout, /^lab: \d+ passed, 0 failed$/m);
    assert.match(r.stdout, /^✓ zorggroep-noord onboarded to live in \d+ s; the lab was stopped and cleaned up\.$/m);
    assert.match(r.stdout, /^✓ dns\.ds:zorggroep-noord\.example\.nl: zorggroep-noord\.example\.nl: 1 DS at example\.nl, validated$/m);
    assert.match(r.stdout, /^✓ mailflow\.header\.true: x-ezorg-secbypass: true arrived unchanged at internet route$/m);
    assert.doesNotMatch(r.stdout, /^✗/m);
  });

  it("onboards huisarts-zuid through its real Postfix, configured only by the generated scripts", async () => {
    const r = await ezorg(["lab", "--customer", "huisarts-zuid"]);
    assert.equal(r.code, 0, r.stdout.slice(-2000) + r.stderr);
    assert.match(r.stdout, /^✓ huisarts-zuid onboarded to live in \d+ s; the lab was stopped and cleaned up\.$/m);
    assert.match(r.stdout, /^✓ mailflow\.header\.false: .*portal/m);
  });

  it("stops at domains-registered when the SPF include is missing", async () => {
    const { result, lines } = await broken("spf-include-missing");
    assert.equal(result.stoppedAt?.stage, "domains-registered");
    assert.deepEqual(result.stoppedAt?.failures, ["dns.spf.include:zorggroep-noord.example.nl"]);
    assert.ok(lines.some((l) => l.startsWith("✗ dns.spf.include:zorggroep-noord.example.nl: zorggroep-noord.example.nl: include:_spf.ezorg.nl missing\n    fix: publish ")));
  });

  it("stops at x-header-test when the transport rule overwrites the header", async () => {
    const { result } = await broken("header-overwritten");
    assert.equal(result.stoppedAt?.stage, "x-header-test");
    assert.ok(result.stoppedAt!.failures.includes("mailflow.header.false"), result.stoppedAt!.failures.join(","));
  });

  it("stops at secure-switch when the customer's AUTH password is wrong", async () => {
    const { result } = await broken("wrong-auth-password");
    assert.equal(result.stoppedAt?.stage, "secure-switch");
    assert.deepEqual(result.stoppedAt?.failures, ["smtp.secure-node.login:127.0.16.21", "smtp.secure-node.login:127.0.16.22"]);
  });

  it("stops at nta-dns when the customer's zone is not signed", async () => {
    const { result } = await broken("dnssec-off");
    assert.equal(result.stoppedAt?.stage, "nta-dns");
    assert.ok(result.stoppedAt!.failures.includes("dns.dnssec:zorggroep-noord.example.nl"), result.stoppedAt!.failures.join(","));
  });
});
