/**
 * The SPF check's lookup count, resolved through a stand-in resolver: nested includes are
 * counted per top-level term, and loops and void includes are reported, not followed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { spfCheck } from "../../scripts/checks";
import { CheckContext } from "../../scripts/onboard/types";
import { sampleCustomers, samplePlatform } from "../fixtures";
import { CannedAnswer, FakeResolver } from "../support/fake-resolver";

const txt = (...values: string[]): CannedAnswer => ({ type: "TXT", values, ttl: 60, ad: true });
const table: Record<string, CannedAnswer> = {
  "nested.example.nl TXT": txt("v=spf1 mx include:spf.mailhost.example.net include:_spf.ezorg.nl ~all"),
  "spf.mailhost.example.net TXT": txt("v=spf1 include:a.example.net a -all"),
  "a.example.net TXT": txt("v=spf1 ip4:192.0.2.1 -all"),
  "_spf.ezorg.nl TXT": txt("v=spf1 ip4:192.0.2.10 -all"),
  "loop.example.nl TXT": txt("v=spf1 include:loop.example.net include:_spf.ezorg.nl -all"),
  "loop.example.net TXT": txt("v=spf1 include:loop.example.net -all"),
  "void.example.nl TXT": txt("v=spf1 include:gone.example.net include:_spf.ezorg.nl -all"),
  "many.example.nl TXT": txt("v=spf1 include:ten.example.net include:_spf.ezorg.nl -all"),
  "ten.example.net TXT": txt(`v=spf1 ${Array.from({ length: 10 }, () => "include:a.example.net").join(" ")} -all`),
  "two.example.nl TXT": txt("v=spf1 -all", "v=spf1 include:_spf.ezorg.nl -all", "google-site-verification=x"),
};

describe("spfCheck", () => {
  let resolver: FakeResolver;
  before(async () => (resolver = await FakeResolver.start(table)));
  after(() => resolver.close());

  const run = (domain: string) => {
    const customer: Customer = { ...sampleCustomers()[1], stage: "domains-registered", domains: [domain] };
    const ctx: CheckContext = { platform: samplePlatform(), customer, targets: { resolver, relay: { host: "", port: 0 }, secureNodes: [] }, now: () => new Date() };
    return spfCheck.run(ctx);
  };

  it("counts nested includes per top-level term", async () => {
    assert.deepEqual(await run("nested.example.nl"), [
      { id: "dns.spf.record:nested.example.nl", ok: true, detail: "nested.example.nl: v=spf1 mx include:spf.mailhost.example.net include:_spf.ezorg.nl ~all" },
      { id: "dns.spf.include:nested.example.nl", ok: true, detail: "nested.example.nl: include:_spf.ezorg.nl present" },
      { id: "dns.spf.lookups:nested.example.nl", ok: true, detail: "nested.example.nl: mx 1, include:spf.mailhost.example.net 3, include:_spf.ezorg.nl 1 — 5 of 10" },
    ]);
  });

  it("fails over 10 lookups, with the count of the term that pulls them in", async () => {
    const [, , lookups] = await run("many.example.nl");
    assert.deepEqual(lookups, {
      id: "dns.spf.lookups:many.example.nl",
      ok: false,
      detail: "many.example.nl: include:ten.example.net 11, include:_spf.ezorg.nl 1 — 12 of 10",
      fix: "replace includes by the ip4:/ip6: ranges they stand for, or drop the ones no longer used, until at most 10 lookups remain",
    });
  });

  it("reports an include loop and an include without a record instead of following them", async () => {
    const [, , loop] = await run("loop.example.nl");
    assert.equal(loop.ok, false);
    assert.equal(loop.detail, "loop.example.nl: include:loop.example.net 2, include:_spf.ezorg.nl 1 — 3 of 10; loop.example.net: include loop (loop.example.nl → loop.example.net → loop.example.net)");
    const [, , gone] = await run("void.example.nl");
    assert.equal(gone.detail, "void.example.nl: include:gone.example.net 1, include:_spf.ezorg.nl 1 — 2 of 10; gone.example.net: 0 SPF records (permerror)");
  });

  it("fails two SPF records and names the one record to publish", async () => {
    assert.deepEqual(await run("two.example.nl"), [{
      id: "dns.spf.record:two.example.nl",
      ok: false,
      detail: "two.example.nl: 2 SPF records: v=spf1 -all | v=spf1 include:_spf.ezorg.nl -all",
      fix: "publish exactly one SPF record at two.example.nl: v=spf1 include:_spf.ezorg.nl -all",
    }]);
  });
});
