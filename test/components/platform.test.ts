import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Plan, planStack, PlannedResource } from "../../scripts/plan/run";
import { byType, one, T } from "../support/mocks";

// The real program of the `prod` stack under Pulumi's mocks, with the shipped registry.
let plan: Plan;
let all: PlannedResource[];
const containers = () => byType(all, T.container);

before(async () => {
  plan = await planStack("prod");
  all = plan.resources;
});

describe("the prod platform under mocks", () => {
  it("registers one site per datacentre, each with its own Docker provider over ssh and network", () => {
    const providers = byType(all, T.dockerProvider);
    assert.deepEqual([...providers.keys()].sort(), ["ams1-docker", "gro1-docker"]);
    assert.equal(providers.get("gro1-docker")!.inputs.host, "ssh://deploy@docker.gro1.ezorg.internal");
    assert.deepEqual([...byType(all, T.network).keys()].sort(), ["ams1-network", "gro1-network"]);
  });

  it("runs inside-relay in every datacentre on the Table-1 address, ports 587 and 25, queue on a volume", () => {
    for (const dc of ["ams1", "gro1"]) {
      const relay = [...containers().values()].find((c) => c.name === `${dc}-relay-postfix`)!;
      assert.deepEqual(relay.inputs.ports, [
        { internal: 587, external: 587, ip: "10.254.253.199", protocol: "tcp" },
        { internal: 25, external: 25, ip: "10.254.253.199", protocol: "tcp" },
      ].map(({ protocol, ...p }) => p));
      assert.deepEqual(relay.inputs.volumes, [{ volumeName: `${dc}-relay-queue`, containerPath: "/var/spool/postfix" }]);
      assert.deepEqual(relay.inputs.command, ["postfix", "start-fg"]);
      assert.equal(relay.inputs.hostname, "inside-relay.ezorg.nl");
      assert.deepEqual(relay.options, { deleteBeforeReplace: true });
      assert.match(relay.provider ?? "", new RegExp(`::${dc}-docker::`));
    }
  });

  it("keeps the TLS key secret: the relay's uploads are masked and no secret reaches an environment variable", () => {
    const relay = [...containers().values()].find((c) => c.name === "ams1-relay-postfix")!;
    assert.equal(relay.inputs.uploads, "[secret]");
    for (const c of containers().values()) assert.equal("envs" in c.inputs, false, c.name);
    assert.doesNotMatch(JSON.stringify(all), /plan-stand-in/);
  });

  it("spreads the two secure nodes over the datacentres on .86 and .87, port 587 only", () => {
    const n1 = [...containers().values()].find((c) => c.name === "secure-smtpnodes-smtpnode1")!;
    const n2 = [...containers().values()].find((c) => c.name === "secure-smtpnodes-smtpnode2")!;
    assert.deepEqual(n1.inputs.ports, [{ internal: 587, external: 587, ip: "10.254.253.86" }]);
    assert.deepEqual(n2.inputs.ports, [{ internal: 587, external: 587, ip: "10.254.253.87" }]);
    assert.match(n1.provider ?? "", /::ams1-docker::/);
    assert.match(n2.provider ?? "", /::gro1-docker::/);
    assert.equal(n1.inputs.hostname, "secure-smtpnodes.ezorg.nl");
  });

  it("routes by x-ezorg-secbypass on the secure nodes and lets only the live customer authenticate", () => {
    const files = one(all, "secure-smtpnodes").outputs!.files as Record<string, Record<string, string>>;
    assert.match(files.smtpnode1["/etc/postfix/header_checks"], /^\/\^x-ezorg-secbypass:\[\[:space:\]\]\*true\[\[:space:\]\]\*\$\/ FILTER internet:$/m);
    const users = files.smtpnode1["/etc/dovecot/users"];
    assert.match(users, /^zorggroep-noord:\{SHA512-CRYPT\}\$6\$/m);
    assert.doesNotMatch(users, /huisarts-zuid/);
  });

  it("puts on the relay only the domains whose customers registered them", () => {
    const files = one(all, "ams1-relay").outputs!.files as Record<string, string>;
    assert.match(files["/etc/postfix/relay_domains"], /^zorggroep-noord\.example\.nl\b/m);
    assert.match(files["/etc/postfix/relay_domains"], /^kliniek-noord\.example\.nl\b/m);
    assert.doesNotMatch(files["/etc/postfix/relay_domains"], /huisarts-zuid/);
    // huisarts-zuid is at route-test: its server may connect, its domain is not registered yet.
    assert.match(files["/etc/postfix/relay_clients"], /^172\.16\.41\.20\s/m);
  });

  it("backs each site up into the other site's repository and keeps repositories and queues on delete", () => {
    assert.deepEqual(plan.outputs.backupRepositories, [
      "rest:https://backup.gro1.ezorg.internal:8000/ams1",
      "rest:https://backup.ams1.ezorg.internal:8000/gro1",
    ]);
    for (const v of byType(all, T.volume).values()) assert.deepEqual(v.options, { retainOnDelete: true }, v.name);
    const job = [...containers().values()].find((c) => c.name === "ams1-backup-job")!;
    assert.deepEqual(job.inputs.volumes, [
      { volumeName: "ams1-relay-queue", containerPath: "/var/spool/postfix", readOnly: true },
      { volumeName: "secure-smtpnodes-smtpnode1-queue", containerPath: "/var/spool/smtpnode1", readOnly: true },
      { volumeName: "ams1-backup-metrics", containerPath: "/var/lib/ezorg-backup/metrics" },
    ]);
    assert.equal(job.inputs.uploads, "[secret]");
  });

  it("monitors from both sites with the rendered rules, the maintenance window 05:00-07:00 in minutes", () => {
    for (const dc of ["ams1", "gro1"]) {
      const files = one(all, `${dc}-monitoring`).outputs!.files as Record<string, string>;
      assert.match(files["/etc/prometheus/rules/ezorg.rules.yml"], /minute_of_day >= bool 300\) \* \(ezorg:maintenance_timezone:minute_of_day < bool 420\)/);
      assert.match(files["/etc/prometheus/prometheus.yml"], new RegExp(`observer: ${dc}`));
      const prom = [...containers().values()].find((c) => c.name === `${dc}-monitoring-prometheus`)!;
      assert.ok((prom.inputs.command as string[]).includes("--storage.tsdb.retention.time=400d"));
    }
  });

  it("publishes the provider zone's Table-1 addresses and _spf record, DNSSEC on", () => {
    const records = [...byType(all, T.dnsRecord).values()].map((r) => `${r.inputs.name} ${r.inputs.type} ${r.inputs.content}`);
    assert.deepEqual(records, [
      "inside-relay.ezorg.nl A 10.254.253.199",
      "secure-smtpnodes.ezorg.nl A 10.254.253.86",
      "secure-smtpnodes.ezorg.nl A 10.254.253.87",
      "_spf.ezorg.nl TXT v=spf1 ip4:192.0.2.86 ip4:192.0.2.87 -all",
    ]);
    assert.deepEqual(one(all, "provider-zone-dnssec").inputs, { zoneId: "5e1f0c2a9b8d4e7f8a6b3c2d1e0f9a8b", status: "active" });
  });

  it("parents every cloud resource to a component, except the Cloudflare provider", () => {
    const orphans = all.filter((r) => r.custom && !r.parent).map((r) => r.name);
    assert.deepEqual(orphans, ["cloudflare"]);
    for (const r of all.filter((x) => x.custom && x.type.startsWith("docker:"))) {
      assert.match(r.provider ?? "", /pulumi:providers:docker::(ams1|gro1)-docker::/, r.name);
    }
  });

  it("places the same 11 containers in each datacentre: relay, secure node, backup, monitoring, queue metrics", () => {
    const perDc = (dc: string) => [...containers().values()].filter((c) => c.provider?.includes(`::${dc}-docker::`)).length;
    assert.equal(perDc("ams1"), 11);
    assert.equal(perDc("gro1"), 11);
    assert.equal(containers().size, 22);
    assert.equal(byType(all, T.volume).size, 14);
    assert.equal(all.length, 78);
  });

  it("lists the secrets the stack file does not set yet", () => {
    assert.deepEqual(plan.unsetSecrets, [
      "ezorg:relayTlsCertificate",
      "ezorg:relayTlsKey",
      "ezorg:secureNodeTlsCertificate",
      "ezorg:secureNodeTlsKey",
      "ezorg:backupPassword",
      "ezorg:cloudflareApiToken",
    ]);
  });
});
