import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ntaRecord } from "../../components/dns/records";
import {
  lookupDomain, netstring, ntaVerdict, parseNtaRecord, readNetstrings,
} from "../../components/postfix/nta7516";
import { renderSecureNode } from "../../components/postfix/secure-node";
import { sampleCustomers, samplePlatform } from "../fixtures";

const good = "v=NTA7516-1;startdate=2024-05;enddate=2027-05;provider=Ander;ntamx=20 b.mx.example;ntamx=10 a.mx.example";
const june2026 = new Date("2026-06-15T12:00:00Z");

describe("parseNtaRecord", () => {
  it("reads the record our own DNS model publishes for customers", () => {
    const published = ntaRecord(samplePlatform(), "zorggroep-noord.example.nl").content;
    assert.deepEqual(parseNtaRecord(published), {
      provider: "E-Zorg",
      start: "2024-05",
      end: "2027-05",
      mx: [
        { preference: 10, host: "mailfilters.ezorg.nl" },
        { preference: 20, host: "mailfilter01.ezorg.nl" },
        { preference: 30, host: "mailfilter02.ezorg.nl" },
        { preference: 40, host: "mailfilter03.ezorg.nl" },
      ],
    });
  });

  it("sorts the NTA MX hosts by preference", () => {
    assert.deepEqual(parseNtaRecord(good)?.mx.map((m) => m.host), ["a.mx.example", "b.mx.example"]);
  });

  it("refuses incomplete or malformed records", () => {
    for (const bad of [
      "v=spf1 -all",
      "v=NTA7516-1;startdate=2024-05;enddate=2027-05;provider=Ander",
      "v=NTA7516-1;startdate=2024-13;enddate=2027-05;provider=Ander;ntamx=10 a.mx.example",
      "v=NTA7516-1;startdate=2024-05;enddate=2027-05;ntamx=10 a.mx.example",
      "v=NTA7516-1;startdate=2024-05;enddate=2027-05;provider=Ander;ntamx=ten a.mx.example",
      "v=NTA7516-1;startdate=2024-05;enddate=2027-05;provider=Ander;ntamx=10 relative",
    ]) {
      assert.equal(parseNtaRecord(bad), undefined, bad);
    }
  });
});

describe("ntaVerdict", () => {
  it("finds a validated, current, single record compliant", () => {
    assert.deepEqual(ntaVerdict(["v=spf1 -all", good], true, june2026).compliant, true);
  });

  it("gives each refusal its reason", () => {
    const cases: Array<[string[], boolean, Date, string]> = [
      [["v=spf1 -all"], true, june2026, "no NTA 7516 record"],
      [[good], false, june2026, "answer not DNSSEC-validated"],
      [[good, good], true, june2026, "more than one NTA 7516 record"],
      [["v=NTA7516-1;provider=x"], true, june2026, "malformed NTA 7516 record"],
      [[good], true, new Date("2027-06-01T00:00:00Z"), "certification 2024-05..2027-05 does not cover 2027-06"],
      [[good], true, new Date("2024-04-30T00:00:00Z"), "certification 2024-05..2027-05 does not cover 2024-04"],
    ];
    for (const [txt, ad, now, reason] of cases) {
      const v = ntaVerdict(txt, ad, now);
      assert.deepEqual([v.compliant, v.reason], [false, reason]);
    }
  });
});

describe("lookupDomain", () => {
  it("takes the domain of a full address, and refuses Postfix's .parent and * keys", () => {
    assert.equal(lookupDomain("Arts@Kliniek.Example.NL"), "kliniek.example.nl");
    assert.equal(lookupDomain("kliniek.example.nl."), "kliniek.example.nl");
    assert.equal(lookupDomain(".example.nl"), undefined);
    assert.equal(lookupDomain("*"), undefined);
  });
});

describe("netstrings", () => {
  it("round-trips, and keeps an incomplete frame for later", () => {
    assert.equal(netstring("OK secure:[1.2.3.4]:25").toString(), "22:OK secure:[1.2.3.4]:25,");
    const { messages, rest } = readNetstrings(Buffer.from("7:nta7516,3:a.b,5:ab"));
    assert.deepEqual(messages, ["nta7516", "a.b"]);
    assert.equal(rest.toString(), "5:ab");
    assert.throws(() => readNetstrings(Buffer.from("3:abcX")), /missing ','/);
  });
});

describe("renderSecureNode with the compliance lookup", () => {
  it("asks the socketmap after the customer domains, and not at all by default", () => {
    const p = samplePlatform();
    const transport = (o = {}) => renderSecureNode(p, sampleCustomers(), p.secureNodes.nodes[0], o)["/etc/postfix/main.cf"]
      .split("\n").find((l) => l.startsWith("transport_maps ="));
    assert.equal(transport(), "transport_maps = texthash:/etc/postfix/transport");
    assert.equal(transport({ complianceLookup: "inet:127.0.0.1:10516" }),
      "transport_maps = texthash:/etc/postfix/transport, socketmap:inet:127.0.0.1:10516:nta7516");
  });
});
