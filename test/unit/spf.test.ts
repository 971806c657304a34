import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countLookups, mergeSpf, SPF_LOOKUP_LIMIT } from "../../components/dns/spf";

describe("mergeSpf", () => {
  it("gives a domain without a record the include and a hard fail", () => {
    assert.equal(mergeSpf(undefined, "_spf.ezorg.nl").record, "v=spf1 include:_spf.ezorg.nl -all");
  });

  it("keeps every existing mechanism in order and puts the include right before all", () => {
    const merged = mergeSpf("v=spf1 mx include:spf.mailhost.example.net ~all", "_spf.ezorg.nl");
    assert.equal(merged.record, "v=spf1 mx include:spf.mailhost.example.net include:_spf.ezorg.nl ~all");
  });

  it("puts the include before a redirect modifier", () => {
    assert.equal(
      mergeSpf("v=spf1 ip4:198.51.100.0/24 redirect=_spf.example.nl", "_spf.ezorg.nl").record,
      "v=spf1 ip4:198.51.100.0/24 include:_spf.ezorg.nl redirect=_spf.example.nl",
    );
  });

  it("appends the include when the record has no all and no redirect", () => {
    assert.equal(mergeSpf("v=spf1 a", "_spf.ezorg.nl").record, "v=spf1 a include:_spf.ezorg.nl");
  });

  it("does not add the include twice, whatever its case", () => {
    const merged = mergeSpf("v=spf1 +include:_SPF.ezorg.nl -all", "_spf.ezorg.nl");
    assert.equal(merged.record, "v=spf1 +include:_SPF.ezorg.nl -all");
    assert.equal(merged.record.match(/v=spf1/g)?.length, 1);
  });

  it("counts one lookup per include, a, mx, ptr, exists and redirect, and none for ip4 or all", () => {
    const merged = mergeSpf("v=spf1 ip4:192.0.2.1 a mx:mx.example.nl exists:%{i}.example.nl ~all", "_spf.ezorg.nl");
    assert.deepEqual(merged.lookups, [
      { term: "a", lookups: 1 },
      { term: "mx:mx.example.nl", lookups: 1 },
      { term: "exists:%{i}.example.nl", lookups: 1 },
      { term: "include:_spf.ezorg.nl", lookups: 1 },
    ]);
    assert.equal(merged.total, 4);
    assert.equal(merged.overLimit, false);
  });

  it("reports a record over the ten-lookup limit", () => {
    const includes = Array.from({ length: 10 }, (_, i) => `include:s${i}.example.nl`).join(" ");
    const merged = mergeSpf(`v=spf1 ${includes} -all`, "_spf.ezorg.nl");
    assert.equal(merged.total, SPF_LOOKUP_LIMIT + 1);
    assert.equal(merged.overLimit, true);
  });

  it("refuses a value that is not an SPF record", () => {
    assert.throws(() => mergeSpf("v=DMARC1; p=reject", "_spf.ezorg.nl"), /must start with v=spf1/);
  });

  it("counts lookups of bare terms with qualifiers", () => {
    assert.deepEqual(countLookups(["-a", "~mx", "?ptr", "ip6:2001:db8::/32"]).map((l) => l.term), ["-a", "~mx", "?ptr"]);
  });
});
