import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer, STAGES } from "../../components/config/model";
import { instructionsFor } from "../../components/onboarding/instructions";
import { sampleCustomers, samplePlatform } from "../fixtures";

const online = (): Customer => {
  const c = sampleCustomers()[0];
  return { ...c, mailServer: { ...c.mailServer, software: "exchange-online", version: "n/a" } };
};
const get = (stage: (typeof STAGES)[number]) => instructionsFor(samplePlatform(), online(), stage);
const lines = (text: string) => text.split("\n");

describe("Exchange Online instructions", () => {
  it("receive side: an inbound partner connector for the relay, TLS required with the relay's certificate name, SPF skipping the relay", () => {
    const l = lines(get("receive-connector").script!.content);
    assert.ok(l.includes("$relayAddresses = @('192.0.2.10', '192.0.2.11')"));
    assert.ok(l.includes("New-InboundConnector -Name $name -ConnectorType Partner -SenderDomains '*' -SenderIPAddresses $relayAddresses -RequireTls $true -TlsSenderCertificateName 'inside-relay.ezorg.nl' -EFSkipLastIP $true"));
    assert.ok(l.includes("  throw 'Connect to Exchange Online first (Connect-ExchangeOnline), then run this script.'"));
    assert.ok(!l.some((x) => x.includes("Get-ExchangeServer")));
  });

  it("says the outbound stages cannot be done from Exchange Online, and writes no script for them", () => {
    for (const stage of ["test-send-connector", "secure-switch", "cutover"] as const) {
      const i = get(stage);
      assert.equal(i.script, undefined, stage);
      assert.match(i.steps[0], /^Not possible from Exchange Online: .*Exchange Online's outbound connectors deliver on port 25 without a password, and it cannot reach 10\.254\.253\.199 or 10\.254\.253\.86 and 10\.254\.253\.87 on the provider's private network\.$/, stage);
      assert.match(i.steps[1], /^Do this stage on the server on your side that carries the provider's connection \(an on-premises Exchange server in a hybrid setup, or a Postfix smarthost you run\)/, stage);
    }
    assert.match(get("secure-switch").steps[0], /submitting to secure-smtpnodes\.ezorg\.nl:587 with basic authentication/);
  });

  it("x-headers: the same group rules as Exchange Server, for Exchange Online PowerShell", () => {
    const rule = (s: string) => lines(s).filter((x) => x.startsWith("New-TransportRule "));
    const exchangeServer = instructionsFor(samplePlatform(), sampleCustomers()[0], "x-headers").script!.content;
    assert.deepEqual(rule(get("x-headers").script!.content), rule(exchangeServer));
    assert.equal(rule(exchangeServer).length, 2);
  });

  it("carries the basic-authentication warning on every stage", () => {
    for (const stage of STAGES) assert.match(get(stage).warnings[0], /cannot submit to secure-smtpnodes\.ezorg\.nl:587 with basic authentication: the secure-switch stage cannot be done as specified/);
  });
});
