/**
 * The whole lab on 127.0.12.x: it starts, every check a live customer needs passes against
 * it, the customer's zone follows a change of stage, and `stop` leaves no process and no
 * folder behind.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checksFor, runChecks } from "../../scripts/checks";
import { query } from "../../scripts/checks/dns-client";
import { dnssecCheck, mxCheck } from "../../scripts/checks/dns-checks";
import { alive, mustRun, readPid } from "../../scripts/lab/proc";
import { Lab, startLab } from "../../scripts/lab/servers";
import { sampleCustomers, samplePlatform } from "../fixtures";

const customer = { ...sampleCustomers()[1], stage: "live" as const, dkim: { selector: "ezorg2026", publicKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlab" } };
const DOMAIN = "huisarts-zuid.example.nl";

describe("lab servers (127.0.12.x)", () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ name: "lab-servers", net: "127.0.12", platform: samplePlatform(), customer });
  });
  after(async () => lab?.stop());

  it("passes every check a live customer runs", async () => {
    const options = { smtp: { credential: { username: lab.customer.credential!.username, password: lab.password } }, mailFlow: { outsideRecipient: "someone@outside.example" } };
    const results = await runChecks(lab.context(), checksFor(lab.customer, options));
    assert.deepEqual(results.filter((r) => !r.ok), []);
    const node = (h: string) => ["starttls", "auth-before-tls", "tls-version", "certificate", "auth-after-tls", "login"].map((x) => `smtp.secure-node.${x}:${h}`);
    assert.deepEqual(results.map((r) => r.id), [
      ...["dns.spf.record", "dns.spf.include", "dns.spf.lookups", "dns.mx", "dns.dkim", "dns.dmarc", "dns.dnssec", "dns.ds", "dns.nta7516"].map((id) => `${id}:${DOMAIN}`),
      "smtp.relay.starttls", "smtp.relay.tls-version", "smtp.relay.certificate",
      ...node("127.0.12.21"), ...node("127.0.12.22"),
      "mailflow.route:helpdesk@e-zorg.nl", "mailflow.route:helpdesk@ezorg.nl", `mailflow.reply:onboarding-check@${DOMAIN}`,
      "mailflow.header.false", "mailflow.header.true",
    ]);
  });

  it("publishes at the parent the DS that Knot's own keymgr gives for the customer's key", async () => {
    const keymgr = await mustRun("keymgr", ["-c", join(lab.dir, "dns", "knot", "knot.conf"), DOMAIN, "ds"]);
    const sha256 = keymgr.split("\n").find((l) => / DS \d+ 13 2 /.test(l))!.replace(/^.* DS /, "").trim();
    const [keyTag, , , digest] = sha256.split(" ");
    const published = (await query(lab.targets.resolver, DOMAIN, "DS")).values.map((v) => JSON.parse(v) as { keyTag: number; digest: { data: number[] } });
    assert.deepEqual(published.map((d) => `${d.keyTag} ${Buffer.from(d.digest.data).toString("hex")}`), [`${keyTag} ${digest.toLowerCase()}`]);
  });

  it("republishes the customer's zone for another stage, and Unbound answers the new one at once", async () => {
    await lab.publishZones("domains-registered");
    const ctx = lab.context();
    assert.deepEqual((await mxCheck.run(ctx))[0].detail, `${DOMAIN}: missing 10 mailfilters.ezorg.nl, 20 mailfilter01.ezorg.nl, 30 mailfilter02.ezorg.nl, 40 mailfilter03.ezorg.nl`);
    assert.deepEqual((await dnssecCheck.run(ctx)).map((r) => [r.ok, r.detail]), [[false, `${DOMAIN}: not signed (no DNSKEY)`], [false, `${DOMAIN}: no DS at example.nl`]]);
    await lab.publishZones("live");
    const again = lab.context();
    assert.deepEqual([...(await mxCheck.run(again)), ...(await dnssecCheck.run(again))].map((r) => r.ok), [true, true, true]);
  });

  it("stops every daemon it started, by the pids they wrote, and removes its folder", async () => {
    assert.equal(lab.pidFiles.length, 7, lab.pidFiles.join("\n"));
    const pids = await Promise.all(lab.pidFiles.map(readPid));
    assert.ok(pids.every((p) => p && alive(p)), `not all running: ${pids}`);
    await lab.stop();
    assert.deepEqual(pids.filter((p) => alive(p!)), []);
    assert.equal(existsSync(lab.dir), false);
  });
});
