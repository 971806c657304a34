import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { toCloudflare } from "../../components/dns/cloudflare";
import { customerDomainRecords, dkimRecord, dmarcRecord, mxRecords, ntaRecord, providerRecords, splitTxt, zoneFileLine } from "../../components/dns/records";
import { sampleCustomers, samplePlatform } from "../fixtures";

const platform = samplePlatform();
const [live, early] = sampleCustomers();
const atStage = (c: Customer, stage: Customer["stage"]): Customer => ({ ...c, stage });
const longKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA".padEnd(392, "Q") + "IDAQAB";

describe("mxRecords", () => {
  it("lists the four mailfilters with priorities 10, 20, 30, 40 at the domain apex", () => {
    assert.deepEqual(
      mxRecords(platform, "zorggroep-noord.example.nl").map((r) => [r.name, r.priority, r.content]),
      [
        ["zorggroep-noord.example.nl", 10, "mailfilters.ezorg.nl"],
        ["zorggroep-noord.example.nl", 20, "mailfilter01.ezorg.nl"],
        ["zorggroep-noord.example.nl", 30, "mailfilter02.ezorg.nl"],
        ["zorggroep-noord.example.nl", 40, "mailfilter03.ezorg.nl"],
      ],
    );
  });
});

describe("dmarcRecord", () => {
  it("lives at _dmarc.<domain> only, with the enforcing policy for domain and subdomains", () => {
    const r = dmarcRecord(live, "kliniek-noord.example.nl");
    assert.equal(r.name, "_dmarc.kliniek-noord.example.nl");
    assert.equal(r.content, "v=DMARC1; p=quarantine; sp=quarantine; adkim=s; aspf=r; rua=mailto:dmarc@zorggroep-noord.example.nl");
    const all = customerDomainRecords(platform, live, "kliniek-noord.example.nl");
    assert.deepEqual(all.filter((x) => x.content.startsWith("v=DMARC1")).map((x) => x.name), ["_dmarc.kliniek-noord.example.nl"]);
  });
});

describe("splitTxt and the Cloudflare rendering", () => {
  it("splits a 2048-bit DKIM record into strings of at most 255 bytes whose join is the value", () => {
    const record = dkimRecord("zorggroep-noord.example.nl", "ezorg2026", longKey);
    const parts = splitTxt(record.content);
    assert.ok(record.content.length > 255);
    assert.ok(parts.every((p) => Buffer.byteLength(p) <= 255));
    assert.equal(parts.length, Math.ceil(record.content.length / 255));
    assert.equal(parts.join(""), record.content);
    const cf = toCloudflare(record, "z".repeat(32));
    assert.equal(cf.content, parts.map((p) => `"${p}"`).join(" "));
    assert.equal(cf.name, "ezorg2026._domainkey.zorggroep-noord.example.nl");
  });

  it("leaves a short TXT value as one unquoted string and always sets the TTL", () => {
    const cf = toCloudflare(dmarcRecord(early, "huisarts-zuid.example.nl"), "a".repeat(32));
    assert.equal(cf.content, "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=r");
    assert.equal(cf.ttl, 3600);
    assert.equal("priority" in cf, false);
  });

  it("gives MX records their priority and strips a trailing dot", () => {
    const cf = toCloudflare({ ...mxRecords(platform, "example.nl")[0], name: "example.nl." }, "a".repeat(32));
    assert.deepEqual([cf.name, cf.type, cf.priority, cf.content], ["example.nl", "MX", 10, "mailfilters.ezorg.nl"]);
  });
});

describe("ntaRecord", () => {
  it("publishes the certification period, the provider and every mailfilter", () => {
    assert.equal(
      ntaRecord(platform, "zorggroep-noord.example.nl").content,
      "v=NTA7516-1;startdate=2024-05;enddate=2027-05;provider=E-Zorg;ntamx=10 mailfilters.ezorg.nl;ntamx=20 mailfilter01.ezorg.nl;ntamx=30 mailfilter02.ezorg.nl;ntamx=40 mailfilter03.ezorg.nl",
    );
  });
});

describe("customerDomainRecords by stage", () => {
  it("publishes nothing before the domains are registered", () => {
    assert.deepEqual(customerDomainRecords(platform, atStage(live, "route-test"), "zorggroep-noord.example.nl"), []);
  });

  it("publishes only SPF once the domains are registered, keeping the existing sender", () => {
    const records = customerDomainRecords(platform, atStage(live, "domains-registered"), "kliniek-noord.example.nl");
    assert.deepEqual(records.map((r) => r.key), ["spf"]);
    assert.equal(records[0].content, "v=spf1 mx include:spf.mailhost.example.net include:_spf.ezorg.nl ~all");
  });

  it("moves MX and publishes DKIM, DMARC and the NTA record from the nta-dns stage on", () => {
    const keys = customerDomainRecords(platform, atStage(live, "nta-dns"), "zorggroep-noord.example.nl").map((r) => r.key);
    assert.deepEqual(keys, ["spf", "mx-10", "mx-20", "mx-30", "mx-40", "dkim-ezorg2026", "dmarc", "nta7516", "dmarc-report-kliniek-noord-example-nl"]);
    assert.equal(customerDomainRecords(platform, atStage(live, "cutover"), "zorggroep-noord.example.nl").some((r) => r.type === "MX"), false);
  });
});

describe("providerRecords and zone-file lines", () => {
  it("points the relay and both secure nodes at their Table-1 addresses and publishes _spf", () => {
    const lines = providerRecords(platform).map(zoneFileLine);
    assert.deepEqual(lines, [
      "inside-relay.ezorg.nl. 3600 IN A 10.254.253.199",
      "secure-smtpnodes.ezorg.nl. 3600 IN A 10.254.253.86",
      "secure-smtpnodes.ezorg.nl. 3600 IN A 10.254.253.87",
      '_spf.ezorg.nl. 3600 IN TXT "v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all"',
    ]);
  });

  it("writes MX targets as absolute names", () => {
    assert.equal(zoneFileLine(mxRecords(platform, "example.nl")[1]), "example.nl. 3600 IN MX 20 mailfilter01.ezorg.nl.");
  });
});

describe("customerDomainRecords during a DKIM rotation", () => {
  const rotating = (): Customer => ({
    ...live,
    dkim: { selector: "ezorg20260611", publicKey: longKey, previous: { selector: "ezorg2026", publicKey: "MIIBoldkey", until: "2026-06-20" } },
  });

  it("publishes both selectors, the new one first, with unique keys", () => {
    const dkim = customerDomainRecords(platform, rotating(), "zorggroep-noord.example.nl").filter((r) => r.key.startsWith("dkim-"));
    assert.deepEqual(dkim.map((r) => [r.key, r.name, r.content]), [
      ["dkim-ezorg20260611", "ezorg20260611._domainkey.zorggroep-noord.example.nl", `v=DKIM1; k=rsa; p=${longKey}`],
      ["dkim-ezorg2026", "ezorg2026._domainkey.zorggroep-noord.example.nl", "v=DKIM1; k=rsa; p=MIIBoldkey"],
    ]);
    assert.equal(dkim[1].purpose, "DKIM public key of the previous selector, published until 2026-06-20");
  });

  it("publishes one selector once the previous one is dropped", () => {
    const { previous: _, ...current } = rotating().dkim!;
    const keys = customerDomainRecords(platform, { ...live, dkim: current }, "zorggroep-noord.example.nl").map((r) => r.key);
    assert.deepEqual(keys.filter((k) => k.startsWith("dkim-")), ["dkim-ezorg20260611"]);
  });

  it("refuses a previous selector equal to the current one (the records would share a key)", () => {
    const same = rotating();
    same.dkim!.previous!.selector = "ezorg20260611";
    assert.throws(() => customerDomainRecords(platform, same, "zorggroep-noord.example.nl"), /^Error: customer zorggroep-noord: dkim\.previous\.selector "ezorg20260611" equals dkim\.selector/);
  });
});

describe("dmarcReportAuthorizations", () => {
  it("publishes, in the report domain's zone, consent for the customer's other domains", () => {
    const [live] = sampleCustomers();
    assert.deepEqual(
      customerDomainRecords(samplePlatform(), live, "zorggroep-noord.example.nl").filter((r) => r.key.startsWith("dmarc-report-")).map(zoneFileLine),
      ['kliniek-noord.example.nl._report._dmarc.zorggroep-noord.example.nl. 3600 IN TXT "v=DMARC1"'],
    );
    assert.equal(customerDomainRecords(samplePlatform(), live, "kliniek-noord.example.nl").some((r) => r.key.startsWith("dmarc-report-")), false);
  });

  it("publishes nothing when reports stay in the domain or go elsewhere", () => {
    const [live] = sampleCustomers();
    live.dns.dmarc.rua = "mailto:rapport@dmarc.example.com";
    assert.equal(customerDomainRecords(samplePlatform(), live, "zorggroep-noord.example.nl").some((r) => r.key.startsWith("dmarc-report-")), false);
  });
});
