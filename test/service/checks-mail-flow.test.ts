/**
 * The mail-flow checks through the lab on 127.0.15.x: the probe stands in for the
 * customer's server, the relay and secure nodes are the rendered ones, and the helpdesk,
 * portal, internet and customer mailboxes record what arrives and over which hops.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { headerCheck, routeCheck } from "../../scripts/checks";
import { Lab, startLab } from "../../scripts/lab/servers";
import { sampleCustomers, samplePlatform } from "../fixtures";

const customer = { ...sampleCustomers()[1], stage: "live" as const };
const FROM = "onboarding-check@huisarts-zuid.example.nl";
const outside = { outsideRecipient: "someone@outside.example" };

describe("mail-flow checks (lab on 127.0.15.x)", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ name: "checks-mailflow", net: "127.0.15", platform: samplePlatform(), customer });
  });
  after(async () => lab?.stop());

  it("live: the helpdesk gets To and CC via the secure nodes, the reply comes back via the relay", async () => {
    assert.deepEqual(await routeCheck().run(lab.context()), [
      { id: "mailflow.route:helpdesk@e-zorg.nl", ok: true, detail: "helpdesk@e-zorg.nl: arrived via secure-smtpnodes" },
      { id: "mailflow.route:helpdesk@ezorg.nl", ok: true, detail: "helpdesk@ezorg.nl: arrived via secure-smtpnodes" },
      { id: `mailflow.reply:${FROM}`, ok: true, detail: `${FROM}: the helpdesk's reply arrived via inside-relay` },
    ]);
  });

  it("live: header false takes the secure route to the portal, true the internet route (Table 2)", async () => {
    assert.deepEqual(await headerCheck(outside).run(lab.context()), [
      { id: "mailflow.header.false", ok: true, detail: "x-ezorg-secbypass: false arrived unchanged at secure route (portal)" },
      { id: "mailflow.header.true", ok: true, detail: "x-ezorg-secbypass: true arrived unchanged at internet route" },
    ]);
  });

  it("fails a customer transport rule that overwrites the header the Outlook add-in set", async () => {
    lab.headerRule = { value: "false", overwrite: true };
    try {
      const [, bypass] = await headerCheck(outside).run(lab.context());
      assert.deepEqual(bypass, {
        id: "mailflow.header.true", ok: false,
        detail: "sent x-ezorg-secbypass: true, arrived false at secure route (portal): the header was overwritten",
        fix: "the transport rules for default-Securemail and default-Securemail-Bypass must set x-ezorg-secbypass only when the message has none (Exchange: except if the header x-ezorg-secbypass exists), so the Outlook add-in's choice stays",
      });
    } finally {
      lab.headerRule = { value: "false", overwrite: false };
    }
  });

  it("route-test: To and CC via the relay, no reply line before the relay takes the customer's domains", async () => {
    await lab.setStage("route-test");
    assert.deepEqual(await routeCheck().run(lab.context()), [
      { id: "mailflow.route:helpdesk@e-zorg.nl", ok: true, detail: "helpdesk@e-zorg.nl: arrived via inside-relay" },
      { id: "mailflow.route:helpdesk@ezorg.nl", ok: true, detail: "helpdesk@ezorg.nl: arrived via inside-relay" },
    ]);
  });

  it("x-header-test: both header values reach the helpdesk unchanged through the relay", async () => {
    await lab.setStage("x-header-test");
    assert.deepEqual(await headerCheck(outside).run(lab.context()), [
      { id: "mailflow.header.false", ok: true, detail: "x-ezorg-secbypass: false arrived unchanged at helpdesk@e-zorg.nl" },
      { id: "mailflow.header.true", ok: true, detail: "x-ezorg-secbypass: true arrived unchanged at helpdesk@e-zorg.nl" },
    ]);
  });

  it("fails the route test when the connector already points at the secure nodes", async () => {
    await lab.setStage("secure-switch");
    const ctx = lab.context();
    const [to] = await routeCheck().run({ ...ctx, customer: { ...ctx.customer, stage: "x-header-test" } });
    assert.deepEqual(to, {
      id: "mailflow.route:helpdesk@e-zorg.nl", ok: false,
      detail: "helpdesk@e-zorg.nl: arrived via secure-smtpnodes; expected inside-relay",
      fix: "point the test send connector at inside-relay.ezorg.nl port 587 (STARTTLS)",
    });
  });

  it("says so when the environment has no probe", async () => {
    assert.deepEqual(await routeCheck().run({ ...lab.context(), mailFlow: undefined }), [{
      id: "mailflow.route", ok: false, detail: "no mail-flow probe in this environment",
      fix: "send a test message to helpdesk@e-zorg.nl with CC helpdesk@ezorg.nl and ask the helpdesk to confirm arrival and route",
    }]);
  });
});
