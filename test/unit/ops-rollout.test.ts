import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { loadStack } from "../../components/config/load";
import { PlatformConfig } from "../../components/config/model";
import { Operation, runOperation } from "../../scripts/ops/engine";
import { Journal, JournalMismatch } from "../../scripts/ops/journal";
import { planFingerprint, rolloutOperation, siteTargets } from "../../scripts/ops/rollout";
import { DRY_RUNNER } from "../../scripts/ops/runner";
import { planStack, PlannedResource } from "../../scripts/plan/run";
import { collectingReporter, FakeRunner } from "../support/fake-runner";

let resources: PlannedResource[];
let platform: PlatformConfig;
let dir: string;

before(async () => {
  platform = loadStack("prod").platform;
  resources = (await planStack("prod")).resources;
  dir = mkdtempSync(path.join(tmpdir(), "ezorg-rollout-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the prod rollout with `runner`; each test gets its own journal name. */
async function rollout(runner: FakeRunner, name: string, o: { resume?: boolean; dryRun?: boolean; op?: Operation } = {}) {
  const op = o.op ?? rolloutOperation({ stack: "prod", platform, resources, runner });
  const reporter = collectingReporter();
  const journal = Journal.open(dir, name);
  const outcome = await runOperation(op, { journal, resume: o.resume ?? false, dryRun: o.dryRun ?? false, concurrency: 4, reporter });
  return { outcome, lines: reporter.lines, journal };
}

describe("siteTargets", () => {
  it("gives each datacentre its own Docker provider, every resource created through it, and their components", () => {
    const [ams1, gro1] = siteTargets(resources, ["ams1", "gro1"]);
    const names = (urns: string[]) => urns.map((u) => u.split("::").pop());
    assert.ok(ams1.urns.every((u) => !gro1.urns.includes(u) || u.endsWith("::secure-smtpnodes")), "only the shared secure-nodes component may be in both");
    const custom = (urns: string[]) => resources.filter((r) => r.custom && urns.includes(r.urn)).map((r) => r.name);
    assert.ok(custom(ams1.urns).every((n) => n.startsWith("ams1-") || n.startsWith("secure-smtpnodes-smtpnode1")), custom(ams1.urns).join(", "));
    assert.ok(custom(gro1.urns).every((n) => n.startsWith("gro1-") || n.startsWith("secure-smtpnodes-smtpnode2")), custom(gro1.urns).join(", "));
    assert.deepEqual(names(ams1.urns.filter((u) => !resources.find((r) => r.urn === u)!.custom)).sort(), ["ams1", "ams1-backup", "ams1-monitoring", "ams1-relay", "secure-smtpnodes"]);
    assert.ok(names(ams1.urns).includes("secure-smtpnodes-smtpnode1") && names(ams1.urns).includes("ams1-docker"));
  });

  it("leaves only the provider's zone and its Cloudflare provider outside the datacentres", () => {
    const inSites = new Set(siteTargets(resources, ["ams1", "gro1"]).flatMap((s) => s.urns));
    const rest = resources.filter((r) => r.custom && !inSites.has(r.urn)).map((r) => r.type);
    assert.deepEqual([...new Set(rest)].sort(), ["cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/zoneDnssec:ZoneDnssec", "pulumi:providers:cloudflare"]);
  });

  it("refuses a datacentre the plan has no resources for", () => {
    assert.throws(() => siteTargets(resources, ["ams1", "rtm1"]), /^Error: datacentre rtm1: the plan holds no resource on its Docker provider/);
  });
});

describe("rollout, one datacentre at a time", () => {
  it("updates and probes ams1, then gro1, then the rest, with a ✓ line each and a tally", async () => {
    const runner = new FakeRunner();
    const { outcome, lines } = await rollout(runner, "all-good");
    assert.deepEqual(runner.calls, ["up prod ams1", "health prod ams1", "up prod gro1", "health prod gro1", "up prod"]);
    assert.equal(outcome.exitCode, 0);
    assert.deepEqual(lines, [
      "✓ up ams1: 1 updated, 35 unchanged",
      "✓ health ams1: node-ams1 192.0.2.1:587 ok (STARTTLS TLSv1.3)",
      "✓ up gro1: 1 updated, 35 unchanged",
      "✓ health gro1: node-gro1 192.0.2.1:587 ok (STARTTLS TLSv1.3)",
      "✓ up prod (outside the datacentres): 1 updated, 1 unchanged",
      "✓ rollout prod: 5 succeeded, 0 failed, 0 skipped",
    ]);
  });

  it("never touches gro1 when ams1 fails its health probes, and says where it stopped", async () => {
    const runner = new FakeRunner();
    runner.failures.set("health prod ams1", "connect ECONNREFUSED 10.254.253.86:587");
    const { outcome, lines } = await rollout(runner, "ams1-unhealthy");
    assert.deepEqual(runner.calls, ["up prod ams1", "health prod ams1"]);
    assert.equal(runner.calls.some((c) => c.includes("gro1")), false);
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.stoppedAt, "health ams1");
    assert.deepEqual(lines.slice(1), [
      "✗ health ams1: node-ams1 192.0.2.1:587 FAILED (connect ECONNREFUSED 10.254.253.86:587)",
      "- up gro1: not run",
      "- health gro1: not run",
      "- up prod (outside the datacentres): not run",
      "✗ rollout prod stopped at health ams1: 1 succeeded, 1 failed, 3 skipped",
      "  after fixing the cause, continue with: npx ezorg rollout --stack prod --resume",
    ]);
  });

  it("never probes or updates gro1 when the update of ams1 itself fails", async () => {
    const runner = new FakeRunner();
    runner.failures.set("up prod ams1", "pulumi up --stack prod failed: error: ssh: handshake failed\nmore output");
    const { outcome, lines } = await rollout(runner, "ams1-up-fails");
    assert.deepEqual(runner.calls, ["up prod ams1"]);
    assert.equal(outcome.exitCode, 1);
    assert.equal(lines[0], "✗ up ams1: pulumi up --stack prod failed: error: ssh: handshake failed");
  });

  it("resumes after the failure: skips the steps done, repeats the failed probe, goes on to gro1", async () => {
    const first = new FakeRunner();
    first.failures.set("health prod ams1", "timeout");
    await rollout(first, "resume");
    const second = new FakeRunner();
    const { outcome, lines } = await rollout(second, "resume", { resume: true });
    assert.deepEqual(second.calls, ["health prod ams1", "up prod gro1", "health prod gro1", "up prod"]);
    assert.equal(lines[0], "resuming rollout prod journaled at " + lines[0].split(" at ")[1]);
    assert.equal(lines[1], "- up ams1: done earlier, skipped");
    assert.equal(lines.at(-1), "✓ rollout prod: 4 succeeded, 0 failed, 1 skipped");
    assert.equal(outcome.exitCode, 0);
  });

  it("refuses to resume when the desired state changed since the journal was written", async () => {
    const runner = new FakeRunner();
    runner.failures.set("health prod ams1", "timeout");
    await rollout(runner, "changed");
    const changed = resources.map((r) => (r.name === "ams1-relay-postfix" ? { ...r, inputs: { ...r.inputs, image: "postfix:9" } } : r));
    const op = rolloutOperation({ stack: "prod", platform, resources: changed, runner });
    assert.notEqual(op.fingerprint, planFingerprint(resources));
    await assert.rejects(rollout(new FakeRunner(), "changed", { resume: true, op }), (e: Error) => e instanceof JournalMismatch && /run without --resume to start rollout prod over/.test(e.message));
  });

  it("with --dry-run prints each step, calls nothing and writes no journal", async () => {
    const op = rolloutOperation({ stack: "prod", platform, resources, runner: DRY_RUNNER });
    const { outcome, lines, journal } = await rollout(new FakeRunner(), "dry", { dryRun: true, op });
    assert.equal(outcome.exitCode, 0);
    assert.equal(lines[0], "· up ams1: would run pulumi up --stack prod --target on the 36 resources of ams1");
    assert.equal(lines[1], "· health ams1: would probe smtpnode1 10.254.253.86:587, relay (shared address) 10.254.253.199:587 for STARTTLS at TLSv1.3 or later");
    assert.equal(lines.at(-1), "dry run of rollout prod: 5 steps would run, 0 skipped; nothing was changed");
    assert.throws(() => readFileSync(journal.file), /ENOENT/);
  });

  it("keeps the journal as JSON naming every step's outcome", async () => {
    const runner = new FakeRunner();
    runner.failures.set("health prod gro1", "timeout");
    const { journal } = await rollout(runner, "journal");
    const saved = JSON.parse(readFileSync(journal.file, "utf8"));
    assert.equal(saved.operation, "rollout prod");
    assert.equal(saved.fingerprint, planFingerprint(resources));
    assert.deepEqual(Object.entries(saved.steps).map(([id, s]) => `${id} ${(s as { status: string }).status}`), ["up:ams1 done", "health:ams1 done", "up:gro1 done", "health:gro1 failed"]);
  });
});
