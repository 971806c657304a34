import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../components/config/load";
import { ezorg } from "../support/cli";

// A git repository holding the project as it is now, so `review --base HEAD` compares
// the committed state with edits the test makes, through the real CLI.
let repo: string;
const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=ezorg test", "-c", "user.email=test@example.nl", ...args], { cwd: repo, encoding: "utf8" });

before(() => {
  repo = path.join(mkdtempSync(path.join(tmpdir(), "ezorg-review-")), "repo");
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, f), path.join(repo, f));
  }
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(repo, "node_modules"));
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "base");
});
after(() => rmSync(path.dirname(repo), { recursive: true, force: true }));

function edit(file: string, from: string, to: string): void {
  const full = path.join(repo, file);
  const text = readFileSync(full, "utf8");
  assert.ok(text.includes(from), `${file} lacks ${from}`);
  writeFileSync(full, text.replace(from, to));
}


describe("ezorg review --base", () => {
  it("reports no change for an unchanged working tree", async () => {
    const r = await ezorg(["review", "--base", "HEAD", "--root", repo, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.source, "HEAD → working tree");
    assert.ok(report.stacks.every((s: { changes: unknown[]; flags: unknown[] }) => s.changes.length === 0 && s.flags.length === 0));
  });

  it("flags DNSSEC turned off for a live customer and fails the check on the broken policy", async () => {
    edit("stacks/customers/zorggroep-noord.yaml", "  dmarc:\n", "  dnssec: false\n  dmarc:\n");
    try {
      const r = await ezorg(["review", "--base", "HEAD", "--root", repo, "--json"]);
      assert.equal(r.code, 1, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.deepEqual(report.stacks.map((s: { stack: string }) => s.stack), ["customer-huisarts-zuid", "customer-zorggroep-noord", "prod", "test"]);
      const customer = report.stacks.find((s: { stack: string }) => s.stack === "customer-zorggroep-noord");
      assert.deepEqual(customer.changes.map((c: { op: string; name: string }) => `${c.op} ${c.name}`).sort(), ["delete kliniek-noord-example-nl-dnssec", "delete zorggroep-noord-example-nl-dnssec"]);
      assert.deepEqual(customer.flags.map((f: { code: string }) => f.code).sort(), ["dnssec-off", "dnssec-off", "policy-violation", "policy-violation"]);
    } finally {
      git("checkout", "--", ".");
    }
  });

  it("writes Markdown that flags a live customer's MX moving", async () => {
    edit("stacks/Pulumi.prod.yaml", "hostname: mailfilter03.ezorg.nl", "hostname: mailfilter04.ezorg.nl");
    try {
      const out = path.join(path.dirname(repo), "review.md");
      const r = await ezorg(["review", "--base", "HEAD", "--root", repo, "--output", out]);
      assert.equal(r.code, 0, r.stderr);
      const md = readFileSync(out, "utf8");
      assert.match(md, /^- 🛑 \*\*high\*\* `live-customer-mx` in `customer-zorggroep-noord` \(cloudflare:index\/dnsRecord:DnsRecord zorggroep-noord-example-nl-mx-40\): MX of zorggroep-noord\.example\.nl updates for a live customer/m);
      assert.match(md, /^\| ~ update \| zorggroep-noord-example-nl \| cloudflare:DnsRecord `zorggroep-noord-example-nl-mx-40` \| `content`: mailfilter03\.ezorg\.nl → mailfilter04\.ezorg\.nl \|$/m);
      assert.doesNotMatch(md, /live-customer-mx` in `customer-huisarts-zuid`/);
    } finally {
      git("checkout", "--", ".");
    }
  });
});

describe("ezorg review without --base", () => {
  it("says in one line that a live preview needs the Pulumi CLI, and points to --base", async () => {
    const r = await ezorg(["review", "--stack", "prod"], { ...process.env, PATH: path.dirname(process.execPath) });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "ezorg review: the Pulumi CLI is not installed here; run `npx ezorg review --base <git-ref>` to compare planned states without it.\n");
  });
});
