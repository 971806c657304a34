import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadStack, PROJECT_ROOT } from "../../components/config/load";
import { Descriptor } from "../../scripts/ops/descriptor";
import { Operation, runOperation } from "../../scripts/ops/engine";
import { Journal } from "../../scripts/ops/journal";
import { Message, outbox } from "../../scripts/ops/notify";
import { rolloutPhase } from "../../scripts/ops/rollout";
import {
  checkStart, credentialFinishOperation, credentialStartOperation, CredentialDeps, randomPassword, sha512Crypt, SMTP_PASSWORD_KEY, verifySha512Crypt,
} from "../../scripts/ops/rotate-credential";
import { collectingReporter, FakeRunner, sitePlan } from "../support/fake-runner";

const platform = loadStack("prod").platform;
const SLUG = "zorggroep-noord";
const SECRET = `customer-${SLUG} ${SMTP_PASSWORD_KEY}`;
const DAY = 86_400_000;

let root: string;
let customersDir: string;
let runner: FakeRunner;
let events: string[];
let messages: Message[];
let now: Date;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "ezorg-rotate-"));
  cpSync(path.join(PROJECT_ROOT, "stacks"), path.join(root, "stacks"), { recursive: true });
  customersDir = path.join(root, "stacks", "customers");
  runner = new FakeRunner();
  events = [];
  runner.hook = (call) => void events.push(call);
  messages = [];
  now = new Date("2026-06-11T09:00:00Z");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const descriptorText = () => readFileSync(path.join(customersDir, `${SLUG}.yaml`), "utf8");
const credential = () => Descriptor.read(customersDir, SLUG).customer.credential!;

function deps(journal: Journal): CredentialDeps {
  return {
    runner,
    journal,
    customersDir,
    now: () => now,
    newPassword: () => `pw-${events.length}-Xq7vLr2mZ9`,
    hash: (p) => sha512Crypt(p),
    verify: verifySha512Crypt,
    tell: async (m) => {
      events.push(`tell ${m.slug}`);
      messages.push(m);
      return `message to ${m.to.email}`;
    },
    reveal: () => "password shown once on this terminal",
  };
}

async function run(build: (d: CredentialDeps) => Operation, o: { resume?: boolean } = {}) {
  const journal = Journal.open(path.join(root, ".ezorg", "journal"), "rotation");
  const reporter = collectingReporter();
  const outcome = await runOperation(build(deps(journal)), { journal, resume: o.resume ?? false, dryRun: false, concurrency: 2, reporter });
  return { outcome, lines: reporter.lines, journal };
}

const rotation = { id: "rotation", resumeHint: `npx ezorg rotate credential ${SLUG} --resume`, slugs: [SLUG], platform };
const rollout = () => rolloutPhase({ stack: "prod", platform, resources: sitePlan("prod", ["ams1", "gro1"]), runner });
const start = (d: CredentialDeps) => credentialStartOperation({ ...rotation, rollout: rollout(), overlapDays: 14 }, d);
const finish = (d: CredentialDeps) => credentialFinishOperation({ ...rotation, rollout: rollout() }, d);

describe("rotate credential", () => {
  it("keeps the old hash as previous for the overlap, and changes no other line of the descriptor", async () => {
    const before = descriptorText();
    const old = credential().passwordHash;
    const { outcome } = await run(start);
    assert.equal(outcome.exitCode, 0);
    const c = credential();
    assert.deepEqual(c.previous, { passwordHash: old, until: "2026-06-25" });
    assert.match(c.passwordHash, /^\{SHA512-CRYPT\}\$6\$[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86}$/);
    // Quoted date: js-yaml, which loads descriptors, would read a bare one as a Date.
    const edited = `  passwordHash: "${c.passwordHash}"\n  previous:\n    passwordHash: "${old}"\n    until: "2026-06-25"`;
    assert.equal(descriptorText(), before.replace(`  passwordHash: "${old}"`, edited));
  });

  it("stores the password only in the customer stack's secret config, and it matches the new hash", async () => {
    const { lines, journal } = await run(start);
    const password = runner.secrets.get(SECRET)!;
    assert.ok(await verifySha512Crypt(password, credential().passwordHash));
    const outbox = messages.map((m) => m.paragraphs.join("\n")).join("\n");
    for (const [where, text] of [["descriptor", descriptorText()], ["journal", readFileSync(journal.file, "utf8")], ["lines", lines.join("\n")], ["messages", outbox]]) {
      assert.equal(text.includes(password), false, `the password leaked into the ${where}`);
    }
  });

  it("tells the customer only after every datacentre was updated and passed its probes", async () => {
    await run(start);
    assert.deepEqual(events.filter((e) => !e.startsWith("getSecret")), [
      `setSecret customer-${SLUG} ${SMTP_PASSWORD_KEY}`,
      "up prod ams1",
      "health prod ams1",
      "up prod gro1",
      "health prod gro1",
      "up prod",
      `tell ${SLUG}`,
    ]);
    assert.equal(messages[0].to.email, "beheer@zorggroep-noord.example.nl");
    assert.match(messages[0].paragraphs[1], /before 2026-06-25\. Until that day your current password keeps working as well/);
  });

  it("tells nobody and keeps the old password valid when the first datacentre fails; resume finishes the job", async () => {
    const old = credential().passwordHash;
    runner.failures.set("health prod ams1", "connect ETIMEDOUT");
    const failed = await run(start);
    assert.equal(failed.outcome.exitCode, 1);
    assert.equal(messages.length, 0);
    assert.equal(events.some((e) => e.includes("gro1")), false);
    assert.equal(credential().previous?.passwordHash, old, "the old hash stays accepted");

    runner.failures.clear();
    events.length = 0;
    const resumed = await run(start, { resume: true });
    assert.equal(resumed.outcome.exitCode, 0);
    assert.equal(events.filter((e) => e.startsWith("setSecret")).length, 0, "no second password");
    assert.deepEqual(events.filter((e) => !e.startsWith("getSecret")), ["health prod ams1", "up prod gro1", "health prod gro1", "up prod", `tell ${SLUG}`]);
  });

  it("recognises its own edit when it crashed after writing the descriptor: no second password", async () => {
    runner.failures.set("up prod ams1", "interrupted");
    const { journal } = await run(start);
    const hash = credential().passwordHash;
    // As if the process died after the descriptor write, before the step was journaled.
    const state = JSON.parse(readFileSync(journal.file, "utf8"));
    delete state.steps[`prepare:${SLUG}`];
    writeFileSync(journal.file, JSON.stringify(state));
    runner.failures.clear();
    events.length = 0;
    const { lines } = await run(start, { resume: true });
    assert.equal(credential().passwordHash, hash);
    assert.ok(lines.includes(`✓ new credential ${SLUG}: the descriptor already holds the new hash`), lines.join("\n"));
    assert.equal(events.filter((e) => e.startsWith("setSecret")).length, 0);
  });

  it("refuses to start while an overlap runs, before generating anything", async () => {
    await run(start);
    assert.match(checkStart(Descriptor.read(customersDir, SLUG).customer) ?? "", /^zorggroep-noord: an overlap is already running \(the previous password works until 2026-06-25\); finish it with `npx ezorg rotate credential zorggroep-noord --finish`/);
    events.length = 0;
    const journal = Journal.open(path.join(root, ".ezorg", "journal"), "again");
    const again = await runOperation(start(deps(journal)), { journal, resume: false, dryRun: false, concurrency: 1, reporter: collectingReporter() });
    assert.equal(again.exitCode, 1);
    assert.deepEqual(events, [], "no password, no rollout");
  });

  it("refuses to tell a password the nodes would not accept", async () => {
    runner.failures.set("up prod", "stop before telling");
    await run(start);
    runner.secrets.set(SECRET, "someone-changed-it");
    runner.failures.clear();
    const { outcome, lines } = await run(start, { resume: true });
    assert.equal(outcome.exitCode, 1);
    assert.equal(messages.length, 0);
    assert.ok(lines.some((l) => l.startsWith(`✗ tell ${SLUG}: customer-${SLUG}'s ezorg:smtpPassword does not match the hash in ${SLUG}.yaml`)));
  });
});

describe("rotate credential --finish", () => {
  it("refuses before the overlap's end, then drops previous, rolls out and tells the customer", async () => {
    await run(start);
    const current = credential().passwordHash;
    now = new Date(Date.parse("2026-06-25T00:00:00Z") - 1);
    messages.length = 0;
    const early = await run(finish);
    assert.equal(early.outcome.exitCode, 1);
    assert.ok(early.lines.includes(`✗ revoke previous ${SLUG}: ${SLUG}: the overlap runs until 2026-06-25 and the customer may still use the previous password; run --finish on or after that day`));
    assert.ok(credential().previous);

    now = new Date(Date.parse("2026-06-25T00:00:00Z"));
    events.length = 0;
    const done = await run(finish);
    assert.equal(done.outcome.exitCode, 0);
    assert.deepEqual(credential(), { username: SLUG, passwordHash: current });
    assert.equal(descriptorText().includes("previous:"), false);
    assert.deepEqual(events, ["up prod ams1", "health prod ams1", "up prod gro1", "health prod gro1", "up prod", `tell ${SLUG}`]);
    assert.equal(messages[0].kind, "credential-revoked");
  });

  it("rolls out before telling, so a revocation never reaches the customer before the nodes", async () => {
    await run(start);
    now = new Date(now.getTime() + 30 * DAY);
    runner.failures.set("health prod gro1", "timeout");
    messages.length = 0;
    const { outcome } = await run(finish);
    assert.equal(outcome.exitCode, 1);
    assert.equal(messages.length, 0);
  });
});

describe("outbox", () => {
  it("writes the message to .ezorg/outbox/ as a mail the service desk can send", async () => {
    await run(start);
    const where = await outbox(root, () => now)(messages[0]);
    assert.equal(where, `message to B. Beheerder <beheer@zorggroep-noord.example.nl> in .ezorg/outbox/2026-06-11-${SLUG}-credential.txt`);
    const text = readFileSync(path.join(root, ".ezorg", "outbox", `2026-06-11-${SLUG}-credential.txt`), "utf8");
    assert.deepEqual(text.split("\n").slice(0, 5), [
      "To: B. Beheerder <beheer@zorggroep-noord.example.nl>",
      "Subject: New password for secure mail (secure-smtpnodes.ezorg.nl)",
      "",
      "Dear B. Beheerder,",
      "",
    ]);
    assert.match(text, /We will give it to you by telephone on \+31 20 555 0102; it is never sent by e-mail\./);
    assert.equal(text.includes(runner.secrets.get(SECRET)!), false);
  });
});

describe("randomPassword", () => {
  it("gives 32 letters and digits that cannot be misread over the telephone, different each time", () => {
    const passwords = Array.from({ length: 200 }, randomPassword);
    assert.ok(passwords.every((p) => /^[A-HJ-NP-Za-km-np-z2-9]{32}$/.test(p)), passwords.find((p) => !/^[A-HJ-NP-Za-km-np-z2-9]{32}$/.test(p)));
    assert.equal(new Set(passwords).size, 200);
  });
});
