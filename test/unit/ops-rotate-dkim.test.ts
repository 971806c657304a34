import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadStack, PROJECT_ROOT } from "../../components/config/load";
import { customerDomainRecords } from "../../components/dns/records";
import { Descriptor } from "../../scripts/ops/descriptor";
import { Operation, runOperation } from "../../scripts/ops/engine";
import { Journal } from "../../scripts/ops/journal";
import { Message } from "../../scripts/ops/notify";
import {
  checkDkimStart, DKIM_KEY, DkimDeps, dkimFinishOperation, dkimStartOperation, generateDkimKey, nextSelector, pemKeys, publicKeyOf,
} from "../../scripts/ops/rotate-dkim";
import { collectingReporter, FakeRunner } from "../support/fake-runner";

const platform = loadStack("prod").platform;
const SLUG = "zorggroep-noord";
const STACK = `customer-${SLUG}`;
const HOUR = 3_600_000;

let customersDir: string;
let root: string;
let runner: FakeRunner;
let events: string[];
let dns: Map<string, string[]>;
let slept: number[];
let messages: Message[];
let now: Date;
let oldKey: string;

/** What `pulumi up` of a customer stack does to DNS: publishes the descriptor's records. */
function publish(slug: string): void {
  const c = Descriptor.read(customersDir, slug).customer;
  dns.clear();
  for (const d of c.domains) for (const r of customerDomainRecords(platform, c, d).filter((x) => x.type === "TXT")) dns.set(r.name, [...(dns.get(r.name) ?? []), r.content]);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "ezorg-dkim-"));
  cpSync(path.join(PROJECT_ROOT, "stacks"), path.join(root, "stacks"), { recursive: true });
  customersDir = path.join(root, "stacks", "customers");
  // The customer signs today with a key whose private half is in its stack's secret config.
  const current = generateDkimKey();
  oldKey = current.publicKey;
  const desc = Descriptor.read(customersDir, SLUG);
  desc.set(["dkim", "publicKey"], oldKey);
  desc.save();
  runner = new FakeRunner();
  runner.secrets.set(`${STACK} ${DKIM_KEY}`, current.privateKeyPem);
  events = [];
  dns = new Map();
  slept = [];
  messages = [];
  now = new Date("2026-06-11T09:00:00Z");
  runner.hook = (call) => {
    events.push(call);
    const up = /^up customer-(.+)$/.exec(call);
    if (up) publish(up[1]);
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function deps(journal: Journal): DkimDeps {
  return {
    runner,
    journal,
    customersDir,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now = new Date(now.getTime() + ms);
    },
    generateKey: generateDkimKey,
    lookupTxt: async (name) => dns.get(name) ?? [],
    tell: async (m) => {
      messages.push(m);
      return `message to ${m.to.email}`;
    },
  };
}

async function run(build: (d: DkimDeps) => Operation, o: { resume?: boolean; journal?: string } = {}) {
  const journal = Journal.open(path.join(root, ".ezorg", "journal"), o.journal ?? "dkim");
  const reporter = collectingReporter();
  const outcome = await runOperation(build(deps(journal)), { journal, resume: o.resume ?? false, dryRun: false, concurrency: 2, reporter });
  return { outcome, lines: reporter.lines };
}

const rotation = (slugs = [SLUG]) => ({ id: "dkim", resumeHint: "npx ezorg rotate dkim --resume", slugs, retainDays: 7 });
const start = (slugs?: string[]) => (d: DkimDeps) => dkimStartOperation(rotation(slugs), d);
const finish = (d: DkimDeps) => dkimFinishOperation(rotation(), d);
const dkim = () => Descriptor.read(customersDir, SLUG).customer.dkim!;

describe("rotate dkim", () => {
  it("publishes the new selector next to the old, waits the TTL, then signs with the new key", async () => {
    const { outcome, lines } = await run(start());
    assert.equal(outcome.exitCode, 0, lines.join("\n"));
    assert.deepEqual(dkim().previous, { selector: "ezorg2026a", publicKey: oldKey, until: "2026-06-19" });
    assert.equal(dkim().selector, "ezorg20260611");
    assert.deepEqual([...dns.keys()].filter((n) => n.includes("._domainkey.")).sort(), [
      "ezorg20260611._domainkey.kliniek-noord.example.nl",
      "ezorg20260611._domainkey.zorggroep-noord.example.nl",
      "ezorg2026a._domainkey.kliniek-noord.example.nl",
      "ezorg2026a._domainkey.zorggroep-noord.example.nl",
    ]);
    assert.deepEqual(slept, [HOUR]);
    assert.deepEqual(events.filter((e) => !e.startsWith("getSecret")), [`setSecret ${STACK} ${DKIM_KEY}`, `up ${STACK}`, `setSecret ${STACK} ${DKIM_KEY}`]);
    assert.deepEqual(pemKeys(runner.secrets.get(`${STACK} ${DKIM_KEY}`)).map(publicKeyOf), [dkim().publicKey], "only the new key is left, and it signs");
    assert.deepEqual(lines.map((l) => l.replace(/: .*/, "")), [`✓ publish new selector ${SLUG}`, "✓ wait for the DNS TTL", `✓ switch signing ${SLUG}`, "✓ DKIM rotation of zorggroep-noord"]);
    assert.equal(lines[2], `✓ switch signing ${SLUG}: signing with selector ezorg20260611 (seen in DNS for 2 domains)`);
  });

  it("does not switch signing while the new record is not in DNS, and a resume does not wait again", async () => {
    runner.hook = (call) => void events.push(call);
    const first = await run(start());
    assert.equal(first.outcome.exitCode, 1);
    assert.ok(first.lines.includes(`✗ switch signing ${SLUG}: not yet in DNS: ezorg20260611._domainkey.zorggroep-noord.example.nl, ezorg20260611._domainkey.kliniek-noord.example.nl; check the customer stack's records, then continue with --resume`));
    assert.deepEqual(pemKeys(runner.secrets.get(`${STACK} ${DKIM_KEY}`)).map(publicKeyOf), [oldKey, dkim().publicKey], "the old key signs, the new one waits");

    publish(SLUG);
    const second = await run(start(), { resume: true });
    assert.equal(second.outcome.exitCode, 0);
    assert.deepEqual(slept, [HOUR], "waited once");
    assert.deepEqual(pemKeys(runner.secrets.get(`${STACK} ${DKIM_KEY}`)).map(publicKeyOf), [dkim().publicKey]);
  });

  it("waits only the rest of the TTL when resumed after an interruption mid-wait", async () => {
    const interrupted = (d: DkimDeps): DkimDeps => ({
      ...d,
      sleep: async () => {
        now = new Date(now.getTime() + 40 * 60_000);
        throw new Error("interrupted after 40 min");
      },
    });
    const first = await run((d) => dkimStartOperation(rotation(), interrupted(d)));
    assert.ok(first.lines.includes("✗ wait for the DNS TTL: interrupted after 40 min"));
    await run(start(), { resume: true });
    assert.deepEqual(slept, [20 * 60_000]);
  });

  it("refuses a second rotation while the previous selector is still published", async () => {
    await run(start());
    assert.match(checkDkimStart(Descriptor.read(customersDir, SLUG).customer) ?? "", /^zorggroep-noord: selector ezorg2026a of an earlier rotation is published until 2026-06-19; remove it with `npx ezorg rotate dkim zorggroep-noord --finish`/);
  });

  it("tells a customer who runs its own DNS which record to publish", async () => {
    const zuid = Descriptor.read(customersDir, "huisarts-zuid");
    zuid.set(["stage"], "live");
    zuid.set(["dkim"], { selector: "ezorg2025", publicKey: generateDkimKey().publicKey });
    zuid.save();
    runner.hook = (call) => void events.push(call);
    await run(start(["huisarts-zuid"]));
    assert.equal(messages.length, 1);
    assert.equal(messages[0].to.email, "praktijk@huisarts-zuid.example.nl");
    const line = messages[0].paragraphs[1];
    assert.match(line, /^ezorg20260611\._domainkey\.huisarts-zuid\.example\.nl\. 3600 IN TXT "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{200,}" "[A-Za-z0-9+/=]+"$/);
  });
});

describe("rotate dkim --finish", () => {
  it("removes the old selector only from its date on, and only once signing has switched", async () => {
    runner.hook = (call) => void events.push(call);
    await run(start());
    const tooEarly = await run(finish, { journal: "dkim-finish" });
    assert.ok(tooEarly.lines.includes(`✗ remove previous selector ${SLUG}: ${SLUG}: selector ezorg2026a stays published until 2026-06-19 for mail still in transit; run --finish on or after that day`));

    now = new Date("2026-06-19T00:00:00Z");
    const notSwitched = await run(finish, { journal: "dkim-finish" });
    assert.ok(notSwitched.lines.includes(`✗ remove previous selector ${SLUG}: ${SLUG}: signing has not switched to selector ezorg20260611 yet; finish the rotation with --resume first`));
    assert.ok(dkim().previous);

    publish(SLUG);
    await run(start(), { resume: true });
    const done = await run(finish, { journal: "dkim-finish" });
    assert.equal(done.outcome.exitCode, 0);
    assert.equal(dkim().previous, undefined);
    assert.equal(events.at(-1), `up ${STACK}`);
  });
});

describe("nextSelector", () => {
  it("names the selector after the day and adds a letter when that name is taken", () => {
    assert.equal(nextSelector(new Date("2026-06-11T23:59:00Z"), ["ezorg2026a"]), "ezorg20260611");
    assert.equal(nextSelector(new Date("2026-06-11T08:00:00Z"), ["ezorg20260611"]), "ezorg20260611b");
  });
});

describe("pemKeys", () => {
  it("reads the keys of a bundle in order, PKCS#8 and PKCS#1 alike, and nothing from text without one", () => {
    const a = generateDkimKey();
    const b = generateDkimKey();
    const pkcs1 = createPrivateKey(b.privateKeyPem).export({ type: "pkcs1", format: "pem" }) as string;
    assert.deepEqual(pemKeys(`${a.privateKeyPem}${pkcs1}`).map(publicKeyOf), [a.publicKey, b.publicKey]);
    assert.deepEqual(pemKeys(undefined), []);
    assert.deepEqual(pemKeys("not a key"), []);
  });
});
