/**
 * Pure parts of the checks and the lab: which checks a stage runs, EHLO and tag parsing,
 * the lab's zone files and DS digests, and how a stored message shows its route.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Stage } from "../../components/config/model";
import { checksFor } from "../../scripts/checks";
import { tags } from "../../scripts/checks/dns-checks";
import { ehloKeywords } from "../../scripts/checks/smtp-checks";
import { parseHeaders, route } from "../../scripts/lab/sinks";
import { customerZone, delegationLines, dsFromDnskey, parentOf, zoneFile } from "../../scripts/lab/zones";
import { sampleCustomers, samplePlatform } from "../fixtures";

const platform = samplePlatform();
const [noord, zuid] = sampleCustomers();

describe("checksFor", () => {
  const ids = (stage: Stage) => checksFor({ ...zuid, stage }).map((c) => c.id);
  it("runs nothing before the customer's server may connect", () => assert.deepEqual(ids("connection"), []));
  it("adds the relay's SMTP check at network, the route test at route-test", () => {
    assert.deepEqual(ids("network"), ["smtp.relay"]);
    assert.deepEqual(ids("route-test"), ["smtp.relay", "mailflow.route"]);
  });
  it("adds SPF at domains-registered, the header test at x-header-test, the secure nodes at secure-switch", () => {
    assert.deepEqual(ids("domains-registered"), ["dns.spf", "smtp.relay", "mailflow.route"]);
    assert.deepEqual(ids("x-header-test"), ["dns.spf", "smtp.relay", "mailflow.route", "mailflow.header"]);
    assert.deepEqual(ids("secure-switch"), ["dns.spf", "smtp.relay", "smtp.secure-nodes", "mailflow.route", "mailflow.header"]);
  });
  it("runs every check from nta-dns on", () => {
    const all = ["dns.spf", "dns.mx", "dns.dkim", "dns.dmarc", "dns.dnssec", "dns.nta7516", "smtp.relay", "smtp.secure-nodes", "mailflow.route", "mailflow.header"];
    assert.deepEqual(ids("nta-dns"), all);
    assert.deepEqual(ids("live"), all);
  });
});

describe("parsers", () => {
  it("reads EHLO keywords after the greeting line", () => {
    assert.deepEqual(ehloKeywords("250-inside-relay.ezorg.nl\n250-PIPELINING\n250-STARTTLS\n250 AUTH PLAIN LOGIN"), ["PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"]);
  });
  it("reads DKIM and DMARC tags with blanks around them", () => {
    assert.deepEqual(tags("v=DMARC1; p=reject ;sp=none; rua=mailto:a@b.nl"), { v: "DMARC1", p: "reject", sp: "none", rua: "mailto:a@b.nl" });
  });
  it("reads the route bottom-up from Received fields, and folded headers unfolded", () => {
    const data = Buffer.from([
      "Received: from x by secure-smtpnodes.ezorg.nl (Postfix) with ESMTPS id 1;",
      "\tTue, 3 Dec 2024 10:00:00 +0100",
      "Received: from client.test by inside-relay.ezorg.nl (Postfix); Tue",
      "X-Ezorg-Secbypass: false",
      "Subject: a",
      " folded",
      "",
      "Received: in the body is no header",
    ].join("\r\n"));
    assert.deepEqual(route(data), ["inside-relay", "secure-smtpnodes"]);
    const h = parseHeaders(data);
    assert.equal(h["x-ezorg-secbypass"], "false");
    assert.equal(h.subject, "a folded");
  });
});

describe("lab zones", () => {
  it("publishes exactly the record model's records at the stage, signed from nta-dns", () => {
    const early = customerZone(platform, zuid, "huisarts-zuid.example.nl", "domains-registered");
    assert.deepEqual(early, { name: "huisarts-zuid.example.nl", lines: ['huisarts-zuid.example.nl. 3600 IN TXT "v=spf1 include:_spf.ezorg.nl -all"'], signed: false, ds: undefined, parent: "example.nl" });
    const live = customerZone(platform, noord, "kliniek-noord.example.nl", "live");
    assert.equal(live.signed, true);
    assert.deepEqual(live.lines.filter((l) => / MX /.test(l)), [
      "kliniek-noord.example.nl. 3600 IN MX 10 mailfilters.ezorg.nl.",
      "kliniek-noord.example.nl. 3600 IN MX 20 mailfilter01.ezorg.nl.",
      "kliniek-noord.example.nl. 3600 IN MX 30 mailfilter02.ezorg.nl.",
      "kliniek-noord.example.nl. 3600 IN MX 40 mailfilter03.ezorg.nl.",
    ]);
  });

  it("writes SOA, NS and glue before the records and the delegations", () => {
    const z = { name: "example.nl", lines: ["www.example.nl. 60 IN A 192.0.2.1"], signed: true };
    assert.equal(zoneFile(z, 7, "127.0.12.53", delegationLines("a.example.nl", "ns.example.nl", ["1 13 2 AB"])), [
      "$ORIGIN example.nl.", "$TTL 60", "@ SOA ns hostmaster 7 60 60 600 60", "@ NS ns", "ns A 127.0.12.53",
      "www.example.nl. 60 IN A 192.0.2.1", "a.example.nl. 60 IN NS ns.example.nl.", "a.example.nl. 60 IN DS 1 13 2 AB", "",
    ].join("\n"));
  });

  it("computes the DS of RFC 4509's example key", () => {
    const key = "256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==";
    assert.equal(dsFromDnskey("dskey.example.com.", key), "60485 5 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A");
  });

  it("refuses a domain without a parent the lab can serve", () => {
    assert.throws(() => parentOf("example.nl"), /needs a parent of at least two labels/);
  });
});
