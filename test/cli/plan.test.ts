import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { generateCustomers } from "../../bench/generate";
import { PROJECT_ROOT } from "../../components/config/load";
import { CLAIM_KLINIEK, ezorg, withEditedStacks } from "../support/cli";

interface JsonResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, any>;
}

async function planJson(stack: string): Promise<JsonResource[]> {
  const r = await ezorg(["plan", "--stack", stack, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as JsonResource[];
}

describe("ezorg plan", () => {
  it("prints prod grouped by component with the Table-1 values and masked secrets", async () => {
    const r = await ezorg(["plan", "--stack", "prod"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Plan for stack prod \(platform\): 78 resources, 68 of them cloud resources$/m);
    assert.match(r.stdout, /^▸ ezorg:relay:MailRelay ams1-relay$/m);
    assert.match(r.stdout, /^ {2}\+ docker:Container ams1-relay-postfix .*ports=10\.254\.253\.199:587->587,10\.254\.253\.199:25->25/m);
    assert.match(r.stdout, /^ {2}\+ docker:Container secure-smtpnodes-smtpnode2 .*ports=10\.254\.253\.87:587->587/m);
    assert.match(r.stdout, /^ {2}\+ cloudflare:DnsRecord provider-zone-a-relay {2}inside-relay\.ezorg\.nl 3600 A 10\.254\.253\.199$/m);
    assert.match(r.stdout, /^\+ pulumi:providers:cloudflare cloudflare {2}apiToken=\[secret\]$/m);
    assert.match(r.stdout, /^ {2}relay: inside-relay\.ezorg\.nl 10\.254\.253\.199:587$/m);
  });

  it("--json gives {urn, type, name, parent, inputs} for every resource of the test platform, secrets as [secret]", async () => {
    const resources = await planJson("test");
    assert.equal(resources.length, 78);
    for (const r of resources) assert.deepEqual(Object.keys(r).slice(0, 5), ["urn", "type", "name", "parent", "inputs"]);
    const relay = resources.find((r) => r.name === "ams1-relay-postfix")!;
    assert.equal(relay.inputs.hostname, "inside-relay.test.ezorg.nl");
    assert.equal(relay.inputs.uploads, "[secret]");
    assert.equal(relay.parent, resources.find((r) => r.name === "ams1-relay" && r.type === "ezorg:relay:MailRelay")!.urn);
  });

  it("--json of a Cloudflare-hosted live customer holds MX 10-40, one merged SPF, DKIM, DMARC, the NTA record and DNSSEC", async () => {
    const resources = await planJson("customer-zorggroep-noord");
    const records = resources.filter((r) => r.type === "cloudflare:index/dnsRecord:DnsRecord" && r.inputs.name === "kliniek-noord.example.nl");
    assert.deepEqual(records.filter((r) => r.inputs.type === "MX").map((r) => `${r.inputs.priority} ${r.inputs.content}`), [
      "10 mailfilters.ezorg.nl",
      "20 mailfilter01.ezorg.nl",
      "30 mailfilter02.ezorg.nl",
      "40 mailfilter03.ezorg.nl",
    ]);
    const spf = records.filter((r) => r.inputs.type === "TXT" && String(r.inputs.content).startsWith("v=spf1"));
    assert.deepEqual(spf.map((r) => r.inputs.content), ["v=spf1 mx include:spf.mailhost.example.net include:_spf.ezorg.nl ~all"]);
    assert.ok(records.some((r) => String(r.inputs.content).startsWith("v=NTA7516-1;startdate=2024-05;enddate=2027-05;provider=E-Zorg;ntamx=10 mailfilters.ezorg.nl")));
    const dnssec = resources.filter((r) => r.type === "cloudflare:index/zoneDnssec:ZoneDnssec").map((r) => r.inputs.zoneId).sort();
    assert.deepEqual(dnssec, ["1f3a5c7e9b0d2f4a6c8e0a2b4d6f8a0c", "2e4b6d8f0a1c3e5a7c9e1b3d5f7a9c1e"]);
    assert.equal(resources.find((r) => r.type === "pulumi:providers:cloudflare")!.inputs.apiToken, "[secret]");
  });

  it("lists what a customer running its own DNS must publish, once its domains are registered", async () => {
    const r = await ezorg(["plan", "--stack", "customer-huisarts-zuid"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Plan for stack customer-huisarts-zuid \(customer\): 0 resources/m);
    assert.match(r.stdout, /^ {2}recordsToPublish: \[\]$/m);
  });

  it("refuses an unknown customer stack with one message and plans nothing", async () => {
    const r = await ezorg(["plan", "--stack", "customer-onbekend"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "✗ (command line) --stack = \"customer-onbekend\": needs the descriptor stacks/customers/onbekend.yaml, which does not exist. Fix: create it from an example in stacks/customers/, or use one of customer-huisarts-zuid, customer-zorggroep-noord.\n1 error; nothing was planned.\n");
    assert.equal(r.stdout, "");
  });

  it("refuses a customer stack whose domain another descriptor claims too", async () => {
    await withEditedStacks([CLAIM_KLINIEK], async (dir) => {
      const r = await ezorg(["plan", "--stack", "customer-zorggroep-noord", "--root", dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^✗ stacks\/customers\/zorggroep-noord\.yaml:\d+ domains\/1 = "kliniek-noord\.example\.nl": is already claimed by customer huisarts-zuid/);
      assert.equal(r.stdout, "");
    });
  });

  it("puts a customer on the platform its descriptor names, and only there", async () => {
    await withEditedStacks([["stacks/customers/huisarts-zuid.yaml", "slug: huisarts-zuid\n", "slug: huisarts-zuid\nplatform: test\n"]], async (root) => {
      const clients = async (stack: string) => {
        const r = await ezorg(["plan", "--stack", stack, "--json", "--root", root]);
        assert.equal(r.code, 0, r.stderr);
        const relay = (JSON.parse(r.stdout) as JsonResource[]).find((x) => x.name === "ams1-relay" && x.type === "ezorg:relay:MailRelay") as JsonResource & { outputs: { files: Record<string, string> } };
        return relay.outputs.files["/etc/postfix/relay_clients"];
      };
      assert.match(await clients("test"), /^172\.16\.41\.20 OK$/m);
      assert.doesNotMatch(await clients("prod"), /172\.16\.41\.20/);
      assert.match(await clients("prod"), /^172\.16\.40\.10 OK$/m);
    });
  });

  it("keeps stdout pure JSON and sends warnings and unset secrets to stderr", async () => {
    const r = await ezorg(["plan", "--stack", "prod", "--json"]);
    assert.doesNotThrow(() => JSON.parse(r.stdout));
    assert.match(r.stderr, /^warning: stacks\/Pulumi\.prod\.yaml:\d+ ezorg:platform\/spf\/egress\/0 = "192\.0\.2\.86"/m);
    assert.match(r.stderr, /^secrets not set in the stack file \(stand-ins used\): ezorg:relayTlsCertificate, /m);
  });

  it("keeps the platform's resource count the same with 2 and with 300 customers", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ezorg-scale-"));
    try {
      generateCustomers(dir, 300);
      const count = (customersDir?: string) =>
        JSON.parse(execFileSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "bench/plan-once.ts"), "prod", customersDir ?? path.join(PROJECT_ROOT, "stacks/customers")], { encoding: "utf8" })).resources;
      assert.equal(count(dir), count());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ezorg preview", () => {
  it("says in one line that the Pulumi CLI is missing, points to plan, and exits 2", async () => {
    const r = await ezorg(["preview", "--stack", "prod"], { ...process.env, PATH: path.dirname(process.execPath) });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "ezorg preview: the Pulumi CLI is not installed here; run `npx ezorg plan --stack prod` for the desired state without it.\n");
    assert.equal(r.stdout, "");
  });
});

describe("NTA 7516 policy inside plan", () => {
  it("fails the plan of a live customer whose zones would lose DNSSEC, naming the rule and each domain", async () => {
    await withEditedStacks([["stacks/customers/zorggroep-noord.yaml", "  dmarc:\n", "  dnssec: false\n  dmarc:\n"]], async (root) => {
      const r = await ezorg(["plan", "--stack", "customer-zorggroep-noord", "--root", root]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^Policy: 2 violations of the NTA 7516 rules$/m);
      assert.match(r.stdout, /^ {2}✗ dnssec-on-for-hosted-mail-domains \(cloudflare:index\/dnsRecord:DnsRecord zorggroep-noord-example-nl-mx-10\): mail domain zorggroep-noord\.example\.nl \(zone 1f3a5c7e9b0d2f4a6c8e0a2b4d6f8a0c\) publishes MX records but has no active DNSSEC/m);
      assert.match(r.stdout, /^ {2}✗ dnssec-on-for-hosted-mail-domains .*kliniek-noord\.example\.nl/m);
    });
  });

  it("passes the shipped stacks", async () => {
    const r = await ezorg(["plan", "--stack", "customer-zorggroep-noord"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Policy: ✓ 7 NTA 7516 rules hold$/m);
  });
});
