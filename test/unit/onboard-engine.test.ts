import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { load } from "js-yaml";
import { PROJECT_ROOT } from "../../components/config/load";
import { Customer, Stage } from "../../components/config/model";
import { AuditLog } from "../../scripts/onboard/audit";
import { walk, WalkDeps } from "../../scripts/onboard/engine";
import { StateStore } from "../../scripts/onboard/state";
import { Check } from "../../scripts/onboard/types";
import { samplePlatform } from "../fixtures";

let dir: string;
let descriptor: string;
let out: string[];

/** A check that reports one line, passing or failing as `ok` says; counts its runs. */
function fakeCheck(id: string, ok: () => boolean, runs: string[] = []): Check {
  return { id, title: id, run: async () => (runs.push(id), [{ id, ok: ok(), detail: ok() ? "as expected" : "not as expected", fix: "do the thing" }]) };
}

/** Checks by id; the fake stage rule: route-test runs both flow checks, connection the relay check. */
function deps(registry: Record<string, Check>): WalkDeps {
  const byStage: Record<string, string[]> = { "route-test": ["flow.outbound-relay", "flow.inbound"], connection: ["smtp.relay"] };
  return {
    checksFor: (c) => (byStage[c.stage] ?? []).map((id) => registry[id] ?? { id, title: id, run: async () => { throw new Error(`no such check ${id}`); } }),
    targets: { resolver: { host: "127.0.0.1", port: 53 }, relay: { host: "127.0.0.1", port: 587 }, secureNodes: [] },
    audit: new AuditLog(path.join(dir, "audit", "huisarts-zuid.jsonl"), "a.operator@ezorg.nl", () => new Date("2026-12-03T10:00:00Z")),
    state: new StateStore(path.join(dir, "state")),
    out: (l) => out.push(l),
    now: () => new Date("2026-12-03T10:00:00Z"),
  };
}

const customerAt = (stage: Stage): Customer => ({ ...(load(readFileSync(descriptor, "utf8")) as Customer), stage });
const stageOnDisk = () => (load(readFileSync(descriptor, "utf8")) as Customer).stage;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ezorg-onboard-"));
  descriptor = path.join(dir, "huisarts-zuid.yaml");
  cpSync(path.join(PROJECT_ROOT, "stacks/customers/huisarts-zuid.yaml"), descriptor);
  out = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("walk", () => {
  it("runs the current stage's checks, prints a ✓ line each and a tally, and suggests --advance", async () => {
    const runs: string[] = [];
    const d = deps({ "flow.outbound-relay": fakeCheck("flow.outbound-relay", () => true, runs), "flow.inbound": fakeCheck("flow.inbound", () => true, runs) });
    const outcome = await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor });
    assert.deepEqual(runs, ["flow.outbound-relay", "flow.inbound"]);
    assert.equal(outcome.passed, true);
    assert.deepEqual(out.slice(-4), [
      "✓ flow.outbound-relay: as expected",
      "✓ flow.inbound: as expected",
      "2 passed, 0 failed",
      "stage route-test is proven; run again with --advance to move to domains-registered",
    ]);
    assert.equal(stageOnDisk(), "route-test");
  });

  it("advances the descriptor only when every check passed, keeping its comments", async () => {
    const d = deps({ "flow.outbound-relay": fakeCheck("flow.outbound-relay", () => true), "flow.inbound": fakeCheck("flow.inbound", () => true) });
    const outcome = await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor, advance: true });
    assert.equal(outcome.movedTo, "domains-registered");
    assert.equal(stageOnDisk(), "domains-registered");
    assert.match(readFileSync(descriptor, "utf8"), /^# A general practice running its own Postfix/);
    assert.equal(out[out.length - 1], `→ moved ${descriptor} to stage domains-registered; after review, apply: relay domains and senders (prod); SPF include (customer stack)`);
  });

  it("refuses to advance when a check fails, prints its fix, and records the refusal", async () => {
    const d = deps({ "flow.outbound-relay": fakeCheck("flow.outbound-relay", () => false), "flow.inbound": fakeCheck("flow.inbound", () => true) });
    const outcome = await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor, advance: true });
    assert.equal(outcome.passed, false);
    assert.equal(stageOnDisk(), "route-test");
    assert.ok(out.includes("✗ flow.outbound-relay: not as expected\n    fix: do the thing"));
    assert.ok(out.includes("1 passed, 1 failed"));
    assert.deepEqual(d.audit.entries().map((e) => `${e.action} ${e.subject} ${e.result}`), ["check flow.outbound-relay fail", "check flow.inbound ok", "refused advance fail"]);
  });

  it("counts a check that throws as a failure, naming it", async () => {
    const boom: Check = { id: "flow.inbound", title: "x", run: async () => { throw new Error("connection refused"); } };
    const outcome = await walk(samplePlatform(), customerAt("route-test"), deps({ "flow.inbound": boom }), { descriptorFile: descriptor });
    assert.deepEqual(outcome.results.map((r) => [r.id, r.ok, r.detail]), [
      ["flow.outbound-relay", false, "the check failed to run: no such check flow.outbound-relay"],
      ["flow.inbound", false, "the check failed to run: connection refused"],
    ]);
  });

  it("needs the operator's confirmation where no check can see, and remembers it across runs", async () => {
    const d = deps({ "smtp.relay": fakeCheck("smtp.relay", () => true) });
    const first = await walk(samplePlatform(), customerAt("connection"), d, { descriptorFile: descriptor, advance: true });
    assert.deepEqual(first.missingConfirmations, ["the provider's router is installed and connected at the customer's site"]);
    assert.equal(stageOnDisk(), "route-test");
    await walk(samplePlatform(), customerAt("connection"), d, { descriptorFile: descriptor, confirm: ["the provider's router is installed and connected at the customer's site"] });
    const third = await walk(samplePlatform(), customerAt("connection"), d, { descriptorFile: descriptor, advance: true });
    assert.equal(third.movedTo, "network");
    assert.equal(d.audit.entries().filter((e) => e.action === "confirm").length, 1);
  });

  it("rolls the cutover back to the final route test, and refuses a rollback where none makes sense", async () => {
    const rolled = await walk(samplePlatform(), customerAt("cutover"), deps({}), { descriptorFile: descriptor, rollback: true });
    assert.equal(rolled.movedTo, "final-route-test");
    assert.equal(stageOnDisk(), "final-route-test");
    const refused = await walk(samplePlatform(), customerAt("route-test"), deps({}), { descriptorFile: descriptor, rollback: true });
    assert.equal(refused.movedTo, undefined);
    assert.equal(stageOnDisk(), "final-route-test");
  });

  it("writes nothing on a dry run: no descriptor change, no state, no audit line", async () => {
    const d = deps({ "flow.outbound-relay": fakeCheck("flow.outbound-relay", () => true), "flow.inbound": fakeCheck("flow.inbound", () => true) });
    const before = readFileSync(descriptor, "utf8");
    const outcome = await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor, advance: true, dryRun: true });
    assert.equal(outcome.movedTo, "domains-registered");
    assert.equal(readFileSync(descriptor, "utf8"), before);
    assert.equal(existsSync(path.join(dir, "state")), false);
    assert.equal(existsSync(d.audit.file), false);
    assert.match(out[out.length - 1], /^→ would move /);
  });
});

describe("walk without a mail-flow probe", () => {
  it("takes the operator's confirmation of a route test the helpdesk confirmed, and audits it", async () => {
    const noProbe: Check = { id: "flow.inbound", title: "x", run: async () => [{ id: "flow.inbound", ok: false, detail: "no mail-flow probe in this environment", fix: "ask the helpdesk" }] };
    const broken: Check = { id: "flow.outbound-relay", title: "x", run: async () => [{ id: "flow.outbound-relay", ok: false, detail: "the relay refused the message" }] };
    const d = deps({ "flow.inbound": noProbe, "flow.outbound-relay": broken });
    const outcome = await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor, confirm: ["flow.inbound", "flow.outbound-relay"] });
    assert.deepEqual(outcome.results.map((r) => [r.id, r.ok]), [["flow.outbound-relay", false], ["flow.inbound", true]]);
    assert.ok(out.includes("✓ flow.inbound: confirmed by the operator (ask the helpdesk)"));
  });
});

describe("AuditLog", () => {
  it("chains every line to the one before, so an edited or removed line is found", async () => {
    const d = deps({ "flow.outbound-relay": fakeCheck("flow.outbound-relay", () => true), "flow.inbound": fakeCheck("flow.inbound", () => false) });
    await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor });
    await walk(samplePlatform(), customerAt("route-test"), d, { descriptorFile: descriptor });
    assert.deepEqual(d.audit.verify(), []);
    const entries = d.audit.entries();
    assert.deepEqual(Object.keys(entries[0]), ["time", "operator", "customer", "stage", "action", "subject", "result", "detail", "prev"]);
    assert.equal(entries[0].operator, "a.operator@ezorg.nl");
    const lines = readFileSync(d.audit.file, "utf8").split("\n").filter(Boolean);
    lines[1] = lines[1].replace('"result":"fail"', '"result":"ok"');
    writeFileSync(d.audit.file, `${lines.join("\n")}\n`);
    assert.deepEqual(d.audit.verify(), [3]);
    writeFileSync(d.audit.file, `${[lines[0], ...lines.slice(2)].join("\n")}\n`);
    assert.deepEqual(d.audit.verify(), [2]);
  });
});
