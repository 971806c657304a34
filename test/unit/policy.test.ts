import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { blocks, checkPolicies, PolicyResource, Rule, RULES } from "../../policy/rules";
import { availabilityObjectiveAtLeast998 } from "../../policy/rules/availability-objective-at-least-99-8";
import { backupsInOtherDatacenter } from "../../policy/rules/backups-in-other-datacenter";
import { datacentersInNl } from "../../policy/rules/datacenters-in-nl";
import { dmarcEnforcing } from "../../policy/rules/dmarc-enforcing";
import { dnssecOnForHostedMailDomains } from "../../policy/rules/dnssec-on-for-hosted-mail-domains";
import { noSecretInPlainText } from "../../policy/rules/no-secret-in-plain-text";
import { tlsMinimumNotBelowPlatform } from "../../policy/rules/tls-minimum-not-below-platform";

const labels = (o: Record<string, string>) => Object.entries(o).map(([label, value]) => ({ label, value }));
const container = (name: string, l: Record<string, string>, extra: Record<string, unknown> = {}): PolicyResource => ({ type: "docker:index/container:Container", name, props: { labels: labels(l), ...extra } });
const record = (name: string, type: string, content: string, zoneId = "z1"): PolicyResource => ({ type: "cloudflare:index/dnsRecord:DnsRecord", name: `${name}-${type}`, props: { zoneId, name, type, content } });
const dnssec = (zoneId: string, status = "active"): PolicyResource => ({ type: "cloudflare:index/zoneDnssec:ZoneDnssec", name: `${zoneId}-dnssec`, props: { zoneId, status } });
const masked = { masked: true };

/** Each rule: resources that comply, resources that do not, and the exact messages. */
const cases: { rule: Rule; compliant: PolicyResource[]; failing: PolicyResource[]; messages: string[] }[] = [
  {
    rule: dnssecOnForHostedMailDomains,
    compliant: [record("a.example.nl", "MX", "mailfilters.ezorg.nl"), dnssec("z1")],
    failing: [record("a.example.nl", "MX", "mailfilters.ezorg.nl"), dnssec("z1", "disabled"), record("b.example.nl", "MX", "mailfilters.ezorg.nl", "z2")],
    messages: [
      'mail domain a.example.nl (zone z1) publishes MX records but has no active DNSSEC; add a ZoneDnssec with status "active" (MailDns does so unless dnssec: false)',
      'mail domain b.example.nl (zone z2) publishes MX records but has no active DNSSEC; add a ZoneDnssec with status "active" (MailDns does so unless dnssec: false)',
    ],
  },
  {
    rule: dmarcEnforcing,
    compliant: [record("_dmarc.a.example.nl", "TXT", "v=DMARC1; p=reject"), record("_dmarc.b.example.nl", "TXT", '"v=DMARC1; p=quar" "antine"')],
    failing: [record("_dmarc.a.example.nl", "TXT", "v=DMARC1; p=none; rua=mailto:x@a.example.nl")],
    messages: ["_dmarc.a.example.nl has DMARC policy p=none; set p=quarantine or p=reject"],
  },
  {
    rule: tlsMinimumNotBelowPlatform,
    compliant: [container("ams1-relay-postfix", { "ezorg.tls-minimum": "TLSv1.3" })],
    failing: [container("ams1-relay-postfix", { "ezorg.tls-minimum": "TLSv1.2" })],
    messages: ["ams1-relay-postfix accepts TLSv1.2, below the platform's TLSv1.3; raise tls.minimumVersion once every customer's server speaks TLS 1.3"],
  },
  {
    rule: datacentersInNl,
    compliant: [{ type: "docker:index/network:Network", name: "ams1-network", props: { labels: labels({ "ezorg.datacenter": "ams1", "ezorg.country": "NL" }) } }],
    failing: [{ type: "docker:index/network:Network", name: "fra1-network", props: { labels: labels({ "ezorg.datacenter": "fra1", "ezorg.country": "DE" }) } }],
    messages: ["datacentre fra1 is in DE; place it in NL"],
  },
  {
    rule: backupsInOtherDatacenter,
    compliant: [container("ams1-backup-job", { "ezorg.datacenter": "ams1", "ezorg.backup-target": "gro1" })],
    failing: [container("ams1-backup-job", { "ezorg.datacenter": "ams1", "ezorg.backup-target": "ams1" })],
    messages: ["ams1-backup-job backs ams1 up into ams1 itself; point its repository at the other datacentre"],
  },
  {
    rule: availabilityObjectiveAtLeast998,
    compliant: [container("ams1-monitoring-prometheus", { "ezorg.availability-objective": "99.9" })],
    failing: [container("ams1-monitoring-prometheus", { "ezorg.availability-objective": "99.5" })],
    messages: ["ams1-monitoring-prometheus alerts on an objective of 99.5 %; set availability.objectivePercent to 99.8 or higher"],
  },
  {
    rule: noSecretInPlainText,
    compliant: [
      container("relay", {}, { uploads: [{ file: "/etc/postfix/tls/key.pem", content: "[secret]", permissions: "0600" }, { file: "/etc/postfix/main.cf", content: "x" }] }),
      { type: "pulumi:providers:cloudflare", name: "cloudflare", props: { apiToken: "[secret]" } },
    ],
    failing: [
      container("relay", {}, { envs: ["RESTIC_PASSWORD=hunter2"], uploads: [{ file: "/etc/postfix/tls/key.pem", content: "-----BEGIN", permissions: "0644" }] }),
      { type: "pulumi:providers:cloudflare", name: "cloudflare", props: { apiToken: "abc" } },
    ],
    messages: [
      "relay passes RESTIC_PASSWORD as an environment variable; upload it as a secret file instead",
      "relay uploads /etc/postfix/tls/key.pem in plain text; wrap its content in pulumi.secret",
      "relay uploads /etc/postfix/tls/key.pem with permissions 0644; use 0600 or 0640",
      "provider cloudflare has apiToken in plain text; read it with config.requireSecret",
    ],
  },
];

describe("NTA 7516 policy rules", () => {
  for (const c of cases) {
    it(`${c.rule.name}: compliant resources pass`, () => assert.deepEqual(checkPolicies(c.compliant, masked, [c.rule]), []));
    it(`${c.rule.name}: a violation names what is wrong`, () => {
      const found = checkPolicies(c.failing, masked, [c.rule]);
      assert.deepEqual(found.map((v) => v.message), c.messages);
      assert.ok(found.every((v) => v.rule === c.rule.name && v.why === c.rule.why && v.enforcementLevel === c.rule.enforcementLevel));
    });
  }

  it("every rule is in the pack, named after what must hold, with a why", () => {
    assert.deepEqual(RULES.map((r) => r.name).sort(), cases.map((c) => c.rule.name).sort());
    for (const r of RULES) assert.match(r.why, /NTA 7516/, r.name);
  });

  it("checks secretness only where values arrive masked, as the policy engine unwraps them", () => {
    const plain = container("relay", {}, { uploads: [{ file: "/etc/postfix/tls/key.pem", content: "-----BEGIN", permissions: "0600" }] });
    assert.deepEqual(checkPolicies([plain], { masked: false }, [noSecretInPlainText]), []);
    assert.equal(checkPolicies([plain], masked, [noSecretInPlainText]).length, 1);
  });

  it("blocks on a mandatory violation and only warns on an advisory one", () => {
    assert.equal(blocks(checkPolicies(cases[2].failing, masked)), false);
    assert.equal(blocks(checkPolicies(cases[0].failing, masked)), true);
  });
});
