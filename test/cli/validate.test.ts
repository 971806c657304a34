import assert from "node:assert/strict";
import { cpSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CLAIM_KLINIEK, Edit, ezorg, withEditedStacks } from "../support/cli";

describe("ezorg validate", () => {
  it("accepts the shipped stacks and descriptors, warning about the placeholder egress addresses", async () => {
    const r = await ezorg(["validate"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ 4 stacks and their customer descriptors are valid \(2 warnings\)/);
    assert.match(r.stdout, /warning: stacks\/Pulumi\.prod\.yaml:\d+ ezorg:platform\/spf\/egress\/0 = "192\.0\.2\.86": is a documentation address/);
  });

  it("prints every error of a broken registry and platform, with file, line, field, value, rule and fix, and exits 1", async () => {
    const edits: Edit[] = [
      ["stacks/customers/huisarts-zuid.yaml", "  address: 172.16.41.20", "  address: 172.16.41.300"],
      ["stacks/customers/huisarts-zuid.yaml", "  - huisarts-zuid.example.nl", "  - huisarts-zuid.example.nl\n  - kliniek-noord.example.nl"],
      ["stacks/customers/huisarts-zuid.yaml", "    policy: reject", "    policy: none"],
      ["stacks/customers/zorggroep-noord.yaml", "  port: 25", "  port: 70000"],
      ["stacks/Pulumi.prod.yaml", "        city: Groningen", "        city: Amsterdam"],
      ["stacks/Pulumi.prod.yaml", "      objectivePercent: 99.8", "      objectivePercent: 99.5"],
    ];
    await withEditedStacks(edits, async (root) => {
    const r = await ezorg(["validate", "--root", root]);
    assert.equal(r.code, 1);
    const errors = r.stdout.split("\n").filter((l) => l.startsWith("✗ "));
    assert.deepEqual(errors, [
      '✗ stacks/Pulumi.prod.yaml:25 ezorg:platform/datacenters/1/city = "Amsterdam": datacentres ams1 and gro1 are in the same city; they must be geographically separate. Fix: move gro1 to another city.',
      "✗ stacks/Pulumi.prod.yaml:86 ezorg:platform/availability/objectivePercent = 99.5: the availability objective must be at least 99.8 % a year (NTA 7516 6.1.2). Fix: set objectivePercent to 99.8 or higher.",
      '✗ stacks/customers/huisarts-zuid.yaml:10 mailServer/address = "172.16.41.300": must be a valid ipv4. Fix: use the internal mail server\'s IPv4 address.',
      '✗ stacks/customers/huisarts-zuid.yaml:31 dns/dmarc/policy = "none": must be one of quarantine, reject. Fix: use quarantine or reject: NTA 7516 asks for an active policy.',
      "✗ stacks/customers/zorggroep-noord.yaml:11 mailServer/port = 70000: must be <= 65535. Fix: use a TCP port between 1 and 65535, e.g. 587.",
    ]);
    assert.match(r.stdout, /5 errors in 3 files; nothing may be planned or applied until they are fixed/);
    });
  });

  it("names the line of a YAML syntax error and still reports the other files", async () => {
    const edits: Edit[] = [
      ["stacks/customers/huisarts-zuid.yaml", "  port: 25", "  port: [25"],
      ["stacks/customers/zorggroep-noord.yaml", "stage: live", "stage: finished"],
    ];
    await withEditedStacks(edits, async (dir) => {
      const r = await ezorg(["validate", "--root", dir]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^✗ stacks\/customers\/huisarts-zuid\.yaml:11 \(top\) = \(missing\): is not valid YAML \(.+\)\. Fix: correct the YAML syntax at that line\.$/m);
      assert.match(r.stdout, /^✗ stacks\/customers\/zorggroep-noord\.yaml:\d+ stage = "finished": must be one of connection, network, /m);
    });
  });

  it("hides a secret written in plain text, spots a misspelt key, and names an empty file and a .yml twin", async () => {
    const edits: Edit[] = [
      ["stacks/Pulumi.customer-huisarts-zuid.yaml", "config: {}", 'config:\n  ezorg:relayTlsKey: "-----BEGIN PRIVATE KEY-----MIIEv"\n  ezorg:platfrom: {}'],
      ["stacks/Pulumi.prod.yaml", "    environment: prod", "    environment: test"],
      ["stacks/customers/zorggroep-noord.yaml", "organisation:", "organsation:"],
    ];
    await withEditedStacks(edits, async (root) => {
      writeFileSync(path.join(root, "stacks/customers/leeg.yaml"), "");
      cpSync(path.join(root, "stacks/customers/huisarts-zuid.yaml"), path.join(root, "stacks/customers/huisarts-zuid.yml"));
      const r = await ezorg(["validate", "--root", root]);
      assert.equal(r.code, 1);
      assert.doesNotMatch(r.stdout + r.stderr, /BEGIN PRIVATE KEY/);
      assert.deepEqual(r.stdout.split("\n").filter((l) => l.startsWith("✗")).map((l) => l.replace(/\. Fix: .*$/, "")), [
        '✗ stacks/Pulumi.customer-huisarts-zuid.yaml:5 config/ezorg:relayTlsKey = "[hidden]": must be a secret (secure: ...), never a plain value',
        '✗ stacks/Pulumi.customer-huisarts-zuid.yaml:6 config/ezorg:platfrom = "ezorg:platfrom": is not a key this toolkit reads',
        '✗ stacks/Pulumi.prod.yaml:7 ezorg:platform/environment = "test": the file is stack prod; its environment must say so',
        "✗ stacks/customers/huisarts-zuid.yml (top) = (missing): descriptors end in .yaml",
        "✗ stacks/customers/leeg.yaml (top) = (missing): is empty",
        '✗ stacks/customers/zorggroep-noord.yaml:4 organsation = "Zorggroep Noord B.V.": is not a known field; organisation is required here',
      ]);
    });
  });

  it("reports a domain claimed by two valid descriptors", async () => {
    await withEditedStacks([CLAIM_KLINIEK], async (dir) => {
      const r = await ezorg(["validate", "--root", dir]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /✗ stacks\/customers\/zorggroep-noord\.yaml:\d+ domains\/1 = "kliniek-noord\.example\.nl": is already claimed by customer huisarts-zuid/);
    });
  });
});
