/**
 * The DNS checks against the lab's real Knot + Unbound on 127.0.13.x: one customer with a
 * domain per case, each published exactly as the record model says except for the one
 * deviation its name tells. Every check has a passing and a failing case.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { DnsRecord } from "../../components/dns/records";
import { dkimCheck, dmarcCheck, dnssecCheck, mxCheck, ntaCheck, spfCheck } from "../../scripts/checks";
import { dnsChecks } from "../../scripts/checks/dns-checks";
import { Lab, startLab, ZoneEdits } from "../../scripts/lab/servers";
import { CheckContext } from "../../scripts/onboard/types";
import { sampleCustomers, samplePlatform } from "../fixtures";

const KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlabkey";
const d = (name: string) => `${name}.example.nl`;
const customer: Customer = {
  ...sampleCustomers()[1],
  stage: "live",
  domains: ["good", "nospf", "twospf", "manyspf", "wrongmx", "unsigned", "nods", "dmarcnone", "otherkey", "nonta"].map(d),
  dkim: { selector: "ezorg2026", publicKey: KEY },
  dns: {
    hosting: "customer",
    dmarc: { policy: "reject" },
    existingSpf: { [d("good")]: "v=spf1 mx include:spf.mailhost.example.net ~all", [d("manyspf")]: "v=spf1 include:ten.example.net ~all" },
  },
};
/** Replaces the content of the record with `key`. */
const set = (key: string, content: string) => (rs: DnsRecord[]) => rs.map((r) => (r.key === key ? { ...r, content } : r));
const edits: ZoneEdits = {
  [d("nospf")]: { records: set("spf", "v=spf1 mx -all") },
  [d("twospf")]: { records: (rs) => [...rs, { ...rs.find((r) => r.key === "spf")!, content: "v=spf1 a -all" }] },
  [d("wrongmx")]: { records: (rs) => rs.filter((r) => r.key !== "mx-40").map((r) => (r.key === "mx-10" ? { ...r, content: "mx.old.example.nl" } : r)) },
  [d("unsigned")]: { signed: false },
  [d("nods")]: { ds: false },
  [d("dmarcnone")]: { records: set("dmarc", "v=DMARC1; p=none; rua=mailto:dmarc@dmarcnone.example.nl") },
  [d("otherkey")]: { records: set("dkim-ezorg2026", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAother") },
  [d("nonta")]: { records: (rs) => rs.filter((r) => r.key !== "nta7516") },
};
const thirdParty = {
  name: "example.net",
  signed: false,
  lines: [
    'spf.mailhost.example.net. 60 IN TXT "v=spf1 include:a.example.net a -all"',
    'a.example.net. 60 IN TXT "v=spf1 ip4:192.0.2.1 -all"',
    `ten.example.net. 60 IN TXT "v=spf1 ${Array.from({ length: 10 }, () => "include:a.example.net").join(" ")} -all"`,
  ],
};

describe("DNS checks (lab Knot + Unbound on 127.0.13.x)", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ name: "checks-dns", net: "127.0.13", platform: samplePlatform(), customer, mail: false, edits, extraZones: [thirdParty] });
  });
  after(async () => lab?.stop());

  /** A context for one of the customer's domains. */
  const on = (name: string, now = () => new Date("2026-06-15T12:00:00Z")): CheckContext => ({ ...lab.context(now), customer: { ...lab.customer, domains: [d(name)] } });

  it("passes every DNS check for a domain published exactly as the record model says", async () => {
    const results = (await Promise.all(dnsChecks.map((c) => c.run(on("good"))))).flat();
    assert.deepEqual(results, [
      { id: "dns.spf.record:good.example.nl", ok: true, detail: "good.example.nl: v=spf1 mx include:spf.mailhost.example.net include:_spf.ezorg.nl ~all" },
      { id: "dns.spf.include:good.example.nl", ok: true, detail: "good.example.nl: include:_spf.ezorg.nl present" },
      { id: "dns.spf.lookups:good.example.nl", ok: true, detail: "good.example.nl: mx 1, include:spf.mailhost.example.net 3, include:_spf.ezorg.nl 1 — 5 of 10" },
      { id: "dns.mx:good.example.nl", ok: true, detail: "good.example.nl: 10 mailfilters.ezorg.nl, 20 mailfilter01.ezorg.nl, 30 mailfilter02.ezorg.nl, 40 mailfilter03.ezorg.nl" },
      { id: "dns.dkim:good.example.nl", ok: true, detail: "ezorg2026._domainkey.good.example.nl: the signing key (MIIBIjANBgkqhkiG…)" },
      { id: "dns.dmarc:good.example.nl", ok: true, detail: "_dmarc.good.example.nl: p=reject" },
      { id: "dns.dnssec:good.example.nl", ok: true, detail: "good.example.nl: MX and DNSKEY answers validated (AD)" },
      { id: "dns.ds:good.example.nl", ok: true, detail: "good.example.nl: 1 DS at example.nl, validated" },
      { id: "dns.nta7516:good.example.nl", ok: true, detail: "good.example.nl: E-Zorg 2024-05..2027-05, covers 2026-06" },
    ]);
  });

  it("SPF: fails a record without the platform's include, and names the merged record", async () => {
    const [, include] = await spfCheck.run(on("nospf"));
    assert.deepEqual(include, { id: "dns.spf.include:nospf.example.nl", ok: false, detail: "nospf.example.nl: include:_spf.ezorg.nl missing", fix: "publish v=spf1 mx include:_spf.ezorg.nl -all" });
  });

  it("SPF: fails two records, and more than 10 lookups counted through nested includes", async () => {
    assert.deepEqual(await spfCheck.run(on("twospf")), [{
      id: "dns.spf.record:twospf.example.nl", ok: false,
      detail: "twospf.example.nl: 2 SPF records: v=spf1 a -all | v=spf1 include:_spf.ezorg.nl -all",
      fix: "publish exactly one SPF record at twospf.example.nl: v=spf1 include:_spf.ezorg.nl -all",
    }]);
    const [, , lookups] = await spfCheck.run(on("manyspf"));
    assert.equal(lookups.ok, false);
    assert.equal(lookups.detail, "manyspf.example.nl: include:ten.example.net 11, include:_spf.ezorg.nl 1 — 12 of 10");
  });

  it("MX: fails a missing mailfilter and an extra host", async () => {
    assert.deepEqual(await mxCheck.run(on("wrongmx")), [{
      id: "dns.mx:wrongmx.example.nl", ok: false,
      detail: "wrongmx.example.nl: missing 10 mailfilters.ezorg.nl, 40 mailfilter03.ezorg.nl; unexpected 10 mx.old.example.nl",
      fix: "publish exactly these MX records for wrongmx.example.nl: 10 mailfilters.ezorg.nl, 20 mailfilter01.ezorg.nl, 30 mailfilter02.ezorg.nl, 40 mailfilter03.ezorg.nl, and remove any other",
    }]);
  });

  it("DKIM: fails a published key that is not the signing key", async () => {
    assert.deepEqual(await dkimCheck.run(on("otherkey")), [{
      id: "dns.dkim:otherkey.example.nl", ok: false,
      detail: "ezorg2026._domainkey.otherkey.example.nl: p= is not the signing key (published MIIBIjANBgkqhkiG…, expected MIIBIjANBgkqhkiG…)",
      fix: `publish TXT ezorg2026._domainkey.otherkey.example.nl: v=DKIM1; k=rsa; p=${KEY}`,
    }]);
  });

  it("DMARC: fails p=none", async () => {
    assert.deepEqual(await dmarcCheck.run(on("dmarcnone")), [{
      id: "dns.dmarc:dmarcnone.example.nl", ok: false,
      detail: "_dmarc.dmarcnone.example.nl: p=none; NTA 7516 asks for quarantine or reject",
      fix: "publish one TXT record at _dmarc.dmarcnone.example.nl: v=DMARC1; p=reject; sp=reject; adkim=s; aspf=r",
    }]);
  });

  it("DNSSEC: fails an unsigned zone, and a signed zone whose parent has no DS", async () => {
    assert.deepEqual(await dnssecCheck.run(on("unsigned")), [
      { id: "dns.dnssec:unsigned.example.nl", ok: false, detail: "unsigned.example.nl: not signed (no DNSKEY)", fix: "sign unsigned.example.nl at its DNS host" },
      { id: "dns.ds:unsigned.example.nl", ok: false, detail: "unsigned.example.nl: no DS at example.nl", fix: "publish the DS of unsigned.example.nl's key at its registrar (parent zone example.nl)" },
    ]);
    assert.deepEqual(await dnssecCheck.run(on("nods")), [
      { id: "dns.dnssec:nods.example.nl", ok: false, detail: "nods.example.nl: signed (2 DNSKEY) but answers are not validated: no chain of trust from example.nl", fix: "publish the DS of nods.example.nl's key at its registrar (parent zone example.nl)" },
      { id: "dns.ds:nods.example.nl", ok: false, detail: "nods.example.nl: no DS at example.nl", fix: "publish the DS of nods.example.nl's key at its registrar (parent zone example.nl)" },
    ]);
  });

  it("NTA 7516: fails a missing record, and one whose certification has ended", async () => {
    const fix = "publish the NTA 7516 record the plan lists for nonta.example.nl (ezorg plan --stack customer-huisarts-zuid)";
    assert.deepEqual(await ntaCheck.run(on("nonta")), [{ id: "dns.nta7516:nonta.example.nl", ok: false, detail: "nonta.example.nl: 0 NTA 7516 records", fix }]);
    const [late] = await ntaCheck.run(on("good", () => new Date("2027-06-01T00:00:00Z")));
    assert.deepEqual(late, {
      id: "dns.nta7516:good.example.nl", ok: false,
      detail: "good.example.nl: E-Zorg 2024-05..2027-05 does not cover 2027-06",
      fix: "publish the NTA 7516 record the plan lists for good.example.nl (ezorg plan --stack customer-huisarts-zuid); the platform's certification period is 2024-05..2027-05",
    });
  });
});
