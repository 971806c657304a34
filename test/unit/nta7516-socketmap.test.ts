import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { answer } from "../../scripts/nta7516-socketmap";
import { FakeResolver } from "../support/fake-resolver";

const RECORD = "v=NTA7516-1;startdate=2024-05;enddate=2099-12;provider=Ander;ntamx=10 mx.ander.example.nl";
let resolver: FakeResolver;

before(async () => {
  resolver = await FakeResolver.start({
    "ander.example.nl TXT": { type: "TXT", values: [RECORD], ttl: 300, ad: true },
    "mx.ander.example.nl A": { type: "A", values: ["192.0.2.25"], ttl: 60, ad: true },
    "unsigned.example.nl TXT": { type: "TXT", values: [RECORD], ttl: 600, ad: false },
  });
});
after(() => resolver.close());

describe("the socketmap's verdict cache", () => {
  it("keeps a compliant verdict for the shortest TTL it rests on, then asks DNS again", async () => {
    let clock = Date.parse("2026-12-03T10:00:00Z");
    const o = { listen: { host: "127.0.0.1", port: 0 }, resolver, now: () => new Date(clock), log: () => undefined, cache: new Map() };
    const asked = () => resolver.questions.filter((q) => q.startsWith("ander") || q.startsWith("mx.ander")).length;

    assert.equal(await answer("nta7516 ander.example.nl", o), "OK secure:[192.0.2.25]:25");
    assert.equal(asked(), 2);
    clock += 59_000;
    assert.equal(await answer("nta7516 someone@ander.example.nl", o), "OK secure:[192.0.2.25]:25");
    assert.equal(asked(), 2, "answered from the cache inside the A record's 60 s");
    clock += 2_000;
    assert.equal(await answer("nta7516 ander.example.nl", o), "OK secure:[192.0.2.25]:25");
    assert.equal(asked(), 4, "asked again once 60 s had passed");
  });

  it("caches a negative verdict too, for the TTL of the unvalidated answer", async () => {
    let clock = Date.parse("2026-12-03T10:00:00Z");
    const o = { listen: { host: "127.0.0.1", port: 0 }, resolver, now: () => new Date(clock), log: () => undefined, cache: new Map() };
    assert.equal(await answer("nta7516 unsigned.example.nl", o), "NOTFOUND ");
    clock += 599_000;
    assert.equal(await answer("nta7516 unsigned.example.nl", o), "NOTFOUND ");
    assert.equal(resolver.questions.filter((q) => q === "unsigned.example.nl TXT").length, 1);
    assert.deepEqual(o.cache.get("unsigned.example.nl"), { reply: "NOTFOUND ", expires: Date.parse("2026-12-03T10:10:00Z") });
  });

  it("does not cache when DNS is unclear, and routes to the portal meanwhile", async () => {
    const o = { listen: { host: "127.0.0.1", port: 0 }, resolver: { host: "127.0.0.1", port: 9 }, timeoutMs: 200, log: () => undefined, cache: new Map() };
    assert.equal(await answer("nta7516 ander.example.nl", o), "NOTFOUND ");
    assert.equal(o.cache.size, 0);
  });
});
