import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { credentialCustomers, domainOwners, mapToken, nextHop, registeredCustomers, renderMap } from "../../components/postfix/maps";
import { sampleCustomers } from "../fixtures";

const at = (stage: Customer["stage"], c = sampleCustomers()[1]): Customer => ({ ...c, stage });

describe("renderMap", () => {
  it("writes a title comment and sorted key value lines", () => {
    assert.equal(renderMap("t", [["b.nl", "2"], ["a.nl", "1"]]), "# t\na.nl 1\nb.nl 2\n");
  });

  it("writes only the title for an empty table", () => {
    assert.equal(renderMap("t", []), "# t\n");
  });
});

describe("mapToken", () => {
  it("refuses whitespace, an empty value and a leading #, naming the field", () => {
    for (const bad of ["a b", "a\nb", "", "#x"]) {
      assert.throws(() => mapToken(bad, "customer x: domains"), /^Error: customer x: domains: got .*a Postfix map token/);
    }
    assert.equal(mapToken("kliniek.example.nl", "f"), "kliniek.example.nl");
  });
});

describe("nextHop", () => {
  it("brackets the address so Postfix does no MX lookup", () => {
    assert.equal(nextHop("172.16.40.10", 25), "[172.16.40.10]:25");
    assert.equal(nextHop("2001:db8::1", 587), "[ipv6:2001:db8::1]:587");
  });
});

describe("domainOwners", () => {
  it("lists the domains of customers from domains-registered on, in lower case", () => {
    const noord = { ...sampleCustomers()[0], domains: ["Zorggroep-Noord.example.nl"] };
    const owners = domainOwners([noord, at("route-test"), at("domains-registered", { ...sampleCustomers()[1], slug: "z2", domains: ["z2.example.nl"] })]);
    assert.deepEqual(owners.map(([d, c]) => [d, c.slug]), [["zorggroep-noord.example.nl", "zorggroep-noord"], ["z2.example.nl", "z2"]]);
  });

  it("leaves out a customer before domains-registered", () => {
    for (const stage of ["connection", "network", "route-test"] as const) {
      assert.deepEqual(registeredCustomers([at(stage)]), []);
      assert.deepEqual(domainOwners([at(stage)]), []);
    }
  });

  it("refuses one domain registered to two customers", () => {
    const a = at("live");
    const b = { ...at("live"), slug: "other" };
    assert.throws(() => domainOwners([a, b]), /^Error: customer other: domain huisarts-zuid\.example\.nl is already registered to customer huisarts-zuid/);
  });
});

describe("credentialCustomers", () => {
  const cred = { username: "zuid", passwordHash: "{SHA512-CRYPT}$6$salt$hash" };

  it("holds a customer only from secure-switch on", () => {
    assert.deepEqual(credentialCustomers([{ ...at("x-header-test"), credential: cred }]), []);
    assert.deepEqual(credentialCustomers([{ ...at("secure-switch"), credential: cred }]).map((c) => c.slug), ["huisarts-zuid"]);
  });

  it("refuses a customer at secure-switch without a credential", () => {
    assert.throws(() => credentialCustomers([at("secure-switch")]), /^Error: customer huisarts-zuid: stage secure-switch needs credential\.username and credential\.passwordHash/);
  });

  it("refuses anything but a {SHA512-CRYPT} hash", () => {
    for (const passwordHash of ["secret", "{PLAIN}secret", "$6$salt$hash", "{SHA512-CRYPT}$1$salt$hash"]) {
      assert.throws(() => credentialCustomers([{ ...at("live"), credential: { username: "zuid", passwordHash } }]), /credential\.passwordHash must be a \{SHA512-CRYPT\}\$6\$/);
    }
  });

  it("refuses a user name two customers share, and one with a colon", () => {
    const a = { ...at("live"), credential: cred };
    const b = { ...at("live"), slug: "b", credential: { ...cred, username: "ZUID" } };
    assert.throws(() => credentialCustomers([a, b]), /^Error: customer b: credential\.username ZUID is already used by customer huisarts-zuid/);
    assert.throws(() => credentialCustomers([{ ...a, credential: { ...cred, username: "zu:id" } }]), /may only hold letters/);
  });
});
