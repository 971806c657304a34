import type { EngineEvent } from "@pulumi/pulumi/automation";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { diffPlans, PlanEntry } from "../../scripts/review/changes";
import { reportFromEvents, reportFromPlans } from "../../scripts/review/compare";
import { toJson, toMarkdown } from "../../scripts/review/report";
import { ezorg } from "../support/cli";

// Real plans of the shipped stacks; each test changes a copy and reviews the pair.
let prod: PlanEntry[];
let customer: PlanEntry[];

async function planJson(stack: string): Promise<PlanEntry[]> {
  const r = await ezorg(["plan", "--stack", stack, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as PlanEntry[];
}

const copy = (plan: PlanEntry[]): PlanEntry[] => JSON.parse(JSON.stringify(plan));
const find = (plan: PlanEntry[], name: string, type?: string) => plan.find((r) => r.name === name && (!type || r.type === type))!;
const setLabel = (r: PlanEntry, label: string, value: string) => ((r.inputs.labels as { label: string; value: string }[]).find((l) => l.label === label)!.value = value);
const codes = (flags: { code: string }[]) => flags.map((f) => f.code).sort();

before(async () => {
  [prod, customer] = await Promise.all([planJson("prod"), planJson("customer-zorggroep-noord")]);
});

describe("review from plan pairs", () => {
  it("reports nothing for identical plans", () => {
    const r = reportFromPlans("prod", prod, copy(prod), false);
    assert.deepEqual([r.changes, r.flags, r.files], [[], [], []]);
  });

  it("flags an MX change for a live customer, as an in-place update, and not for a customer in onboarding", () => {
    const after = copy(customer);
    find(after, "kliniek-noord-example-nl-mx-10").inputs.content = "mx.elders.example.net";
    const live = reportFromPlans("customer-zorggroep-noord", customer, after, true);
    assert.deepEqual(live.changes.map((c) => [c.op, c.name, c.properties.map((p) => `${p.path}: ${p.before} -> ${p.after}`)]), [
      ["update", "kliniek-noord-example-nl-mx-10", ["content: mailfilters.ezorg.nl -> mx.elders.example.net"]],
    ]);
    assert.deepEqual(codes(live.flags), ["live-customer-mx"]);
    assert.equal(live.flags[0].message, "MX of kliniek-noord.example.nl updates for a live customer: inbound mail follows it within the TTL");
    assert.deepEqual(reportFromPlans("customer-zorggroep-noord", customer, after, false).flags, []);
  });

  it("flags an SPF change for a live customer", () => {
    const after = copy(customer);
    find(after, "zorggroep-noord-example-nl-spf").inputs.content = "v=spf1 -all";
    assert.deepEqual(codes(reportFromPlans("customer-zorggroep-noord", customer, after, true).flags), ["live-customer-spf"]);
  });

  it("flags DNSSEC turned off and fails the NTA 7516 policy while MX remains", () => {
    const after = copy(customer).filter((r) => r.name !== "zorggroep-noord-example-nl-dnssec");
    const report = reportFromPlans("customer-zorggroep-noord", customer, after, true);
    assert.deepEqual(codes(report.flags), ["dnssec-off", "policy-violation"]);
    const policy = report.flags.find((f) => f.code === "policy-violation")!;
    assert.equal(policy.severity, "high");
    assert.match(policy.message, /^dnssec-on-for-hosted-mail-domains: mail domain zorggroep-noord\.example\.nl \(zone 1f3a5c7e9b0d2f4a6c8e0a2b4d6f8a0c\)/);
  });

  it("flags a lowered TLS minimum and names the label, not its index", () => {
    const after = copy(prod);
    setLabel(find(after, "ams1-relay-postfix"), "ezorg.tls-minimum", "TLSv1.2");
    const report = reportFromPlans("prod", prod, after, false);
    assert.deepEqual(report.changes.map((c) => [c.op, c.name, c.properties.map((p) => p.path)]), [["replace", "ams1-relay-postfix", ["labels.ezorg.tls-minimum"]]]);
    assert.deepEqual(codes(report.flags), ["policy-violation", "tls-minimum-lowered"]);
    assert.equal(report.flags.find((f) => f.code === "policy-violation")!.severity, "medium");
  });

  it("flags the relay replaced in both datacentres at once, but not in one", () => {
    const both = copy(prod);
    for (const dc of ["ams1", "gro1"]) find(both, `${dc}-relay-postfix`).inputs.image = "registry.ezorg.nl/mail/postfix:3.8.0";
    const flags = reportFromPlans("prod", prod, both, false).flags;
    assert.deepEqual(codes(flags), ["replaced-in-every-datacenter"]);
    assert.equal(flags[0].message, "relay containers are replaced in ams1 and gro1 at once; roll out with `ezorg rollout`, one datacentre at a time");
    const one = copy(prod);
    find(one, "ams1-relay-postfix").inputs.image = "registry.ezorg.nl/mail/postfix:3.8.0";
    assert.deepEqual(reportFromPlans("prod", prod, one, false).flags, []);
  });

  it("flags a deleted queue volume and a deleted backup repository", () => {
    const after = copy(prod).filter((r) => r.name !== "gro1-relay-queue" && r.name !== "ams1-backup-repository");
    const report = reportFromPlans("prod", prod, after, false);
    assert.deepEqual(report.flags.map((f) => f.message).sort(), [
      "volume ams1-backup-repository holding backups is deleted",
      "volume gro1-relay-queue holding queued mail is deleted",
    ]);
  });

  it("shows changed rendered files as a unified diff in the Markdown, and leaves them out of the JSON text", () => {
    const after = copy(prod);
    const relay = find(after, "ams1-relay", "ezorg:relay:MailRelay");
    const files = relay.outputs!.files as Record<string, string>;
    files["/etc/postfix/relay_domains"] += "nieuw.example.nl nieuw\n";
    const report = reportFromPlans("prod", prod, after, false);
    assert.deepEqual(report.files!.map((f) => `${f.component} ${f.file}`), ["ams1-relay /etc/postfix/relay_domains"]);
    const md = toMarkdown({ source: "test", stacks: [report] });
    assert.match(md, /^\+nieuw\.example\.nl nieuw$/m);
    assert.match(md, /^### Stack `prod`$/m);
    assert.deepEqual((toJson({ source: "test", stacks: [report] }) as any).stacks[0].files, [{ component: "ams1-relay", file: "/etc/postfix/relay_domains" }]);
  });

  it("lists a stack that appears as creates and one that disappears as deletes", () => {
    assert.ok(diffPlans([], customer).every((c) => c.op === "create"));
    assert.ok(diffPlans(customer, []).every((c) => c.op === "delete"));
    assert.equal(diffPlans([], customer).length, customer.filter((r) => !r.type.startsWith("ezorg:")).length);
  });
});

/** An engine event as the Automation API delivers it for one step. */
function step(op: string, urn: string, type: string, old?: Record<string, unknown>, now?: Record<string, unknown>, diffs?: string[]): EngineEvent {
  const state = (inputs: Record<string, unknown>) => ({ type, urn, id: "", parent: "", inputs, outputs: {}, provider: "" });
  return { sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { op, urn, type, provider: "", diffs, ...(old ? { old: state(old) } : {}), ...(now ? { new: state(now) } : {}) } } } as unknown as EngineEvent;
}
const URN = (type: string, name: string) => `urn:pulumi:prod::ezorg::${type}::${name}`;
const relayLabels = (dc: string, tls = "TLSv1.3") => [
  { label: "ezorg.datacenter", value: dc },
  { label: "ezorg.role", value: "relay" },
  { label: "ezorg.tls-minimum", value: tls },
];

describe("review from engine events", () => {
  const C = "docker:index/container:Container";

  it("folds the steps of a replacement into one change and flags both relays replaced at once", () => {
    const events = ["ams1", "gro1"].flatMap((dc) => {
      const urn = URN(C, `${dc}-relay-postfix`);
      const old = { image: "postfix:3.7", labels: relayLabels(dc) };
      const now = { image: "postfix:3.8", labels: relayLabels(dc) };
      return [step("replace", urn, C, old, now, ["image"]), step("create-replacement", urn, C, old, now, ["image"]), step("delete-replaced", urn, C, old, now)];
    });
    const report = reportFromEvents("prod", events, false);
    assert.deepEqual(report.changes.map((c) => [c.op, c.name, c.properties.map((p) => p.path)]), [
      ["replace", "ams1-relay-postfix", ["image"]],
      ["replace", "gro1-relay-postfix", ["image"]],
    ]);
    assert.deepEqual(codes(report.flags), ["replaced-in-every-datacenter"]);
  });

  it("flags DNSSEC deleted, a lowered TLS minimum, and a mandatory rule the policy pack reported", () => {
    const Z = "cloudflare:index/zoneDnssec:ZoneDnssec";
    const events: EngineEvent[] = [
      step("delete", URN(Z, "zorggroep-noord-example-nl-dnssec"), Z, { zoneId: "z1", status: "active" }),
      step("update", URN(C, "ams1-relay-postfix"), C, { labels: relayLabels("ams1") }, { labels: relayLabels("ams1", "TLSv1.2") }, ["labels"]),
      { sequence: 9, timestamp: 0, policyEvent: { message: "mail domain zorggroep-noord.example.nl has no active DNSSEC", color: "", policyName: "dnssec-on-for-hosted-mail-domains", policyPackName: "ezorg-nta7516", policyPackVersion: "0.1.0", policyPackVersionTag: "", enforcementLevel: "mandatory" } },
      step("same", URN(C, "gro1-relay-postfix"), C, { labels: relayLabels("gro1") }, { labels: relayLabels("gro1") }),
    ];
    const report = reportFromEvents("prod", events, false);
    assert.deepEqual(report.changes.map((c) => [c.op, c.name]), [["delete", "zorggroep-noord-example-nl-dnssec"], ["update", "ams1-relay-postfix"]]);
    assert.deepEqual(codes(report.flags), ["dnssec-off", "policy-violation", "policy-violation", "tls-minimum-lowered"]);
    assert.ok(report.flags.some((f) => f.code === "policy-violation" && f.severity === "high" && f.message.startsWith("dnssec-on-for-hosted-mail-domains:")));
  });

  it("masks a secret the engine passes in wire form", () => {
    const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" };
    const P = "pulumi:providers:cloudflare";
    const report = reportFromEvents("prod", [step("update", URN(P, "cloudflare"), P, { apiToken: secret }, { apiToken: { ...secret, value: "hunter3" } }, ["apiToken"])], false);
    assert.doesNotMatch(JSON.stringify(toJson({ source: "t", stacks: [report] })), /hunter/);
    assert.doesNotMatch(toMarkdown({ source: "t", stacks: [report] }), /hunter/);
  });
});
