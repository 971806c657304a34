/**
 * The SMTP checks against the lab on 127.0.14.x: the relay and both secure nodes started
 * from the rendered Postfix and Dovecot configuration pass; deliberately wrong servers (TLS
 * 1.2 only, no STARTTLS, a certificate for another name or from another CA, AUTH in
 * plaintext, no AUTH at all) and a wrong password fail with the exact line.
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { relayCheck, secureNodesCheck } from "../../scripts/checks";
import { Lab, startLab } from "../../scripts/lab/servers";
import { Mailbox, MailboxOptions } from "../../scripts/lab/sinks";
import { createCa } from "../../scripts/lab/tls";
import { CheckContext } from "../../scripts/onboard/types";
import { sampleCustomers, samplePlatform } from "../fixtures";

const customer = { ...sampleCustomers()[1], stage: "live" as const };

describe("SMTP checks (lab relay + secure nodes on 127.0.14.x)", () => {
  let lab: Lab;
  const wrong: Mailbox[] = [];
  before(async () => {
    lab = await startLab({ name: "checks-smtp", net: "127.0.14", platform: samplePlatform(), customer });
  });
  after(async () => {
    await Promise.all(wrong.map((m) => m.stop()));
    await lab?.stop();
  });

  const validTo = (name: string) => new X509Certificate(readFileSync(join(lab.dir, "tls", name, "cert.pem"))).validTo;
  const credential = () => ({ username: lab.customer.credential!.username, password: lab.password });
  /** A deliberately wrong server on 127.0.14.<host>:587, and a context whose relay or nodes point at it. */
  async function server(host: number, o: Omit<MailboxOptions, "host" | "port">, as: "relay" | "node"): Promise<CheckContext> {
    const m = await new Mailbox({ host: lab.address(host), port: 587, ...o }).start();
    wrong.push(m);
    const ctx = lab.context();
    const target = { host: lab.address(host), port: 587 };
    return { ...ctx, targets: as === "relay" ? { ...ctx.targets, relay: target } : { ...ctx.targets, secureNodes: [target] } };
  }
  const relayCert = () => lab.ca.issue(join(lab.dir, "tls", "wrong-relay"), [lab.platform.relay.hostname]);

  it("passes the relay: STARTTLS, TLS 1.3, a certificate for inside-relay.ezorg.nl", async () => {
    assert.deepEqual(await relayCheck().run(lab.context()), [
      { id: "smtp.relay.starttls", ok: true, detail: "127.0.14.1:587 offers STARTTLS" },
      { id: "smtp.relay.tls-version", ok: true, detail: "127.0.14.1:587 negotiated TLSv1.3" },
      { id: "smtp.relay.certificate", ok: true, detail: `127.0.14.1:587 certificate for inside-relay.ezorg.nl, issued by ezorg lab CA, valid until ${validTo("relay")}` },
    ]);
  });

  it("passes both secure nodes, AUTH only after STARTTLS, and the credential logs in", async () => {
    const results = await secureNodesCheck({ credential: credential() }).run(lab.context());
    const node = (host: string) => [
      { id: `smtp.secure-node.starttls:${host}`, ok: true, detail: `${host}:587 offers STARTTLS` },
      { id: `smtp.secure-node.auth-before-tls:${host}`, ok: true, detail: `${host}:587 offers no AUTH before STARTTLS` },
      { id: `smtp.secure-node.tls-version:${host}`, ok: true, detail: `${host}:587 negotiated TLSv1.3` },
      { id: `smtp.secure-node.certificate:${host}`, ok: true, detail: `${host}:587 certificate for secure-smtpnodes.ezorg.nl, issued by ezorg lab CA, valid until ${validTo("nodes")}` },
      { id: `smtp.secure-node.auth-after-tls:${host}`, ok: true, detail: `${host}:587 offers AUTH PLAIN LOGIN after STARTTLS` },
      { id: `smtp.secure-node.login:${host}`, ok: true, detail: `${host}:587: huisarts-zuid authenticated` },
    ];
    assert.deepEqual(results, [...node("127.0.14.21"), ...node("127.0.14.22")]);
  });

  it("fails a wrong password on the real node", async () => {
    const ctx = lab.context();
    const results = await secureNodesCheck({ credential: { ...credential(), password: "not-it" } }).run({ ...ctx, targets: { ...ctx.targets, secureNodes: ctx.targets.secureNodes.slice(0, 1) } });
    assert.deepEqual(results.at(-1), {
      id: "smtp.secure-node.login:127.0.14.21", ok: false,
      detail: "127.0.14.21:587: huisarts-zuid refused: 535 5.7.8 Error: authentication failed: (reason unavailable)",
      fix: "check the password handed out for huisarts-zuid, or that the descriptor's credential hash is deployed (stage secure-switch)",
    });
  });

  it("fails a server that speaks TLS 1.2 at most", async () => {
    const ctx = await server(80, { tls: { ...(await relayCert()), maxVersion: "TLSv1.2" } }, "relay");
    const [, version] = await relayCheck().run(ctx);
    assert.deepEqual(version, {
      id: "smtp.relay.tls-version", ok: false,
      detail: "127.0.14.80:587 negotiated TLSv1.2; the platform requires TLSv1.3 or later",
      fix: "allow TLSv1.3 (Postfix: smtpd_tls_protocols = >=TLSv1.3); guide 5.5 asks for TLS 1.3",
    });
  });

  it("fails a server without STARTTLS", async () => {
    assert.deepEqual(await relayCheck().run(await server(81, {}, "relay")), [
      { id: "smtp.relay.starttls", ok: false, detail: "127.0.14.81:587 does not offer STARTTLS", fix: "offer STARTTLS on the submission port (Postfix: smtpd_tls_security_level = encrypt)" },
    ]);
  });

  it("fails a certificate for another name, and one from a CA the customers do not trust", async () => {
    const other = await lab.ca.issue(join(lab.dir, "tls", "other-name"), ["mail.example.org"]);
    const [, , named] = await relayCheck().run(await server(82, { tls: other }, "relay"));
    assert.deepEqual(named, {
      id: "smtp.relay.certificate", ok: false,
      detail: "127.0.14.82:587 certificate for mail.example.org, issued by ezorg lab CA: not valid for inside-relay.ezorg.nl",
      fix: "serve a certificate for inside-relay.ezorg.nl from a CA the customers trust",
    });
    const rogue = await createCa(join(lab.dir, "tls", "rogue-ca"));
    const untrusted = await rogue.issue(join(lab.dir, "tls", "rogue"), [lab.platform.relay.hostname]);
    const [, , chain] = await relayCheck().run(await server(83, { tls: untrusted }, "relay"));
    assert.deepEqual(chain, {
      id: "smtp.relay.certificate", ok: false,
      detail: "127.0.14.83:587 certificate for inside-relay.ezorg.nl, issued by ezorg lab CA: not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)",
      fix: "serve a certificate for inside-relay.ezorg.nl from a CA the customers trust",
    });
  });

  it("fails a node that offers AUTH before STARTTLS, and one that offers none after it", async () => {
    const tls = await lab.ca.issue(join(lab.dir, "tls", "wrong-node"), [lab.platform.secureNodes.hostname]);
    const early = await secureNodesCheck().run(await server(84, { tls, auth: { username: "x", password: "y" } }, "node"));
    assert.deepEqual(early[1], {
      id: "smtp.secure-node.auth-before-tls:127.0.14.84", ok: false,
      detail: "127.0.14.84:587 offers AUTH LOGIN PLAIN before STARTTLS",
      fix: "offer AUTH only inside TLS, so no password crosses the network in clear (Postfix: smtpd_tls_auth_only = yes)",
    });
    const none = await secureNodesCheck().run(await server(85, { tls }, "node"));
    assert.deepEqual(none.at(-1), {
      id: "smtp.secure-node.auth-after-tls:127.0.14.85", ok: false,
      detail: "127.0.14.85:587 offers no AUTH after STARTTLS",
      fix: "enable SMTP AUTH on the secure nodes (smtpd_sasl_auth_enable = yes with the Dovecot service)",
    });
  });
});
