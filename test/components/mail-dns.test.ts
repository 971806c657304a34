import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { MailDns } from "../../components/dns/mail-dns";
import { customerDomainRecords, splitTxt } from "../../components/dns/records";
import { DatacenterSite } from "../../components/datacenter/datacenter";
import { PlannedResource } from "../../scripts/plan/run";
import { sampleCustomers, samplePlatform } from "../fixtures";
import { byType, one, startMocks, T } from "../support/mocks";

const ZONE = "1f3a5c7e9b0d2f4a6c8e0a2b4d6f8a0c";
let resources: PlannedResource[];
let recordKeys: string[];

before(async () => {
  const mocks = await startMocks();
  resources = mocks.resources;
  const platform = samplePlatform();
  const customer = { ...sampleCustomers()[0], dkim: { selector: "ezorg2026", publicKey: "A".repeat(392) } };
  const records = customerDomainRecords(platform, customer, "zorggroep-noord.example.nl");
  recordKeys = records.map((r) => r.key);
  const provider = new cloudflare.Provider("cf", { apiToken: pulumi.secret("token-under-test") });
  new MailDns("zorggroep-noord", { zoneId: ZONE, records, provider });
  new MailDns("unsigned", { zoneId: ZONE, records: [], dnssec: false, provider });
  new DatacenterSite("ams1", { site: platform.datacenters[0] });
  await mocks.settle();
});

describe("MailDns under mocks", () => {
  it("registers one DnsRecord per model record, named from the component and the record key", () => {
    const names = [...byType(resources, T.dnsRecord).keys()].sort();
    assert.deepEqual(names, recordKeys.map((k) => `zorggroep-noord-${k}`).sort());
  });

  it("passes the exact inputs of the DKIM record, split into 255-byte strings", () => {
    const dkim = one(resources, "zorggroep-noord-dkim-ezorg2026");
    const value = `v=DKIM1; k=rsa; p=${"A".repeat(392)}`;
    assert.deepEqual(dkim.inputs, {
      zoneId: ZONE,
      name: "ezorg2026._domainkey.zorggroep-noord.example.nl",
      type: "TXT",
      content: splitTxt(value).map((p) => `"${p}"`).join(" "),
      ttl: 3600,
      comment: "ezorg: DKIM public key of the provider's signature",
    });
  });

  it("passes MX priority only on MX records", () => {
    const mx = one(resources, "zorggroep-noord-mx-20");
    assert.deepEqual([mx.inputs.type, mx.inputs.priority, mx.inputs.content, mx.inputs.ttl], ["MX", 20, "mailfilter01.ezorg.nl", 3600]);
    assert.equal("priority" in one(resources, "zorggroep-noord-dmarc").inputs, false);
  });

  it("turns DNSSEC on by default and leaves it out when asked", () => {
    const dnssec = byType(resources, T.dnssec);
    assert.deepEqual([...dnssec.keys()], ["zorggroep-noord-dnssec"]);
    assert.deepEqual(dnssec.get("zorggroep-noord-dnssec")!.inputs, { zoneId: ZONE, status: "active" });
  });

  it("parents every record to its component and creates it with the explicit provider", () => {
    const component = one(resources, "zorggroep-noord");
    const provider = one(resources, "cf");
    for (const r of resources.filter((x) => x.name.startsWith("zorggroep-noord-"))) {
      assert.equal(r.parent, component.urn, r.name);
      assert.match(r.provider ?? "", new RegExp(`^${provider.urn.replace(/\$/g, "\\$")}::`), r.name);
    }
    assert.equal(component.type, "ezorg:dns:MailDns");
  });

  it("keeps the provider's API token secret", () => {
    assert.equal(one(resources, "cf").inputs.apiToken, "[secret]");
  });

  it("refuses two records with the same key before registering anything", () => {
    const rec = customerDomainRecords(samplePlatform(), sampleCustomers()[0], "zorggroep-noord.example.nl")[0];
    const provider = new cloudflare.Provider("cf2", { apiToken: "x" });
    assert.throws(() => new MailDns("dup", { zoneId: ZONE, records: [rec, rec], provider }), /two records share the key spf/);
  });
});

describe("DatacenterSite under mocks", () => {
  it("reaches the site's Docker engine over ssh with strict host key checking", () => {
    assert.deepEqual(one(resources, "ams1-docker").inputs, {
      host: "ssh://deploy@docker.ams1.ezorg.internal",
      sshOpts: JSON.stringify(["-o", "StrictHostKeyChecking=yes", "-o", "ServerAliveInterval=30"]),
    });
  });

  it("creates the internal network on that engine, labelled with site, city and country", () => {
    const net = one(resources, "ams1-network");
    assert.equal(net.parent, one(resources, "ams1").urn);
    assert.match(net.provider ?? "", /pulumi:providers:docker::ams1-docker::/);
    assert.deepEqual(net.inputs, {
      name: "mailnet",
      driver: "bridge",
      ipamConfigs: [{ subnet: "172.30.1.0/24" }],
      labels: [
        { label: "ezorg.datacenter", value: "ams1" },
        { label: "ezorg.city", value: "Amsterdam" },
        { label: "ezorg.country", value: "NL" },
      ],
    });
  });
});
