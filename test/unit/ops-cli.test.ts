/** `ezorg rollout` and `ezorg rotate` as an operator runs them, on a machine without the Pulumi CLI. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ezorg, withEditedStacks } from "../support/cli";

// No Pulumi CLI on this PATH, whatever the machine has elsewhere.
const env = { ...process.env, PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };

describe("ezorg rollout and rotate without the Pulumi CLI", () => {
  it("say so in one line and exit 2", async () => {
    for (const args of [["rollout", "--stack", "prod"], ["rotate", "credential", "zorggroep-noord"], ["rotate", "dkim", "--all"]]) {
      const r = await ezorg(args, env);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `ezorg ${args.slice(0, args[0] === "rotate" ? 2 : 1).join(" ")}: the Pulumi CLI is not installed here; install it (https://www.pulumi.com/docs/install/) to apply changes, or add --dry-run to see the steps without it.\n`);
    }
  });

  it("print a dry-run rollout datacentre by datacentre, and change nothing", async () => {
    await withEditedStacks([], async (root) => {
      const r = await ezorg(["rollout", "--stack", "prod", "--dry-run", "--root", root], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split(":")[0]), ["· up ams1", "· health ams1", "· up gro1", "· health gro1", "· up prod (outside the datacentres)", "dry run of rollout prod"]);
      assert.equal(existsSync(path.join(root, ".ezorg")), false);
    });
  });

  it("print a dry-run credential rotation: new credential, the rollout, then telling the customer", async () => {
    await withEditedStacks([], async (root) => {
      const file = path.join(root, "stacks", "customers", "zorggroep-noord.yaml");
      const before = readFileSync(file, "utf8");
      const r = await ezorg(["rotate", "credential", "zorggroep-noord", "--dry-run", "--root", root], env);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines[0], "· new credential zorggroep-noord: would generate a password, store it in customer-zorggroep-noord's secret config, put its hash in zorggroep-noord.yaml and keep the old hash as previous for 14 days");
      assert.equal(lines.at(-2), "· tell zorggroep-noord: would write the administrator that the new password works and the old one until the overlap ends");
      assert.equal(lines.at(-1), "dry run of credential rotation of zorggroep-noord: 7 steps would run, 0 skipped; nothing was changed");
      assert.equal(readFileSync(file, "utf8"), before);
    });
  });

  it("refuse before any change, with a line per problem, and exit 2", async () => {
    const r = await ezorg(["rotate", "credential", "huisarts-zuid", "nobody", "--dry-run"], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^✗ nobody: no descriptor .*nobody\.yaml; check the slug\nezorg rotate credential: refused before any change \(1 problem\)\n$/);
    const zuid = await ezorg(["rotate", "credential", "huisarts-zuid", "--dry-run"], env);
    assert.equal(zuid.stderr, "✗ huisarts-zuid: has no credential to rotate; the first one is handed out at the secure-switch stage\nezorg rotate credential: refused before any change (1 problem)\n");
    const both = await ezorg(["rollout", "--stack", "prod", "--customers", "all", "--dry-run"], env);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^✗ give either --stack <platform stack> or --customers <all\|slug,slug,\.\.\.>, not both\n/);
  });
});
