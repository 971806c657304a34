import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer, STAGES } from "../../components/config/model";
import { instructionsFor, policyProtocols, postfixChanges } from "../../components/onboarding/instructions";
import { sampleCustomers, samplePlatform } from "../fixtures";

const zuid = (over: Partial<Customer> = {}): Customer => ({ ...sampleCustomers()[1], ...over });
const version = (v: string) => zuid({ mailServer: { ...zuid().mailServer, version: v } });
const script = (stage: (typeof STAGES)[number], c = zuid(), dir?: string) =>
  instructionsFor(samplePlatform(), c, stage, dir ? { postfixDirectory: dir } : {}).script!.content;
const lines = (text: string) => text.split("\n");

describe("Postfix instructions (sample customer huisarts-zuid, Postfix 3.7)", () => {
  it("test-send-connector: the test domain and both helpdesk domains to [relay]:587, TLS policy secure with the relay's name", () => {
    assert.deepEqual(postfixChanges(samplePlatform(), zuid(), "test-send-connector"), {
      tables: [
        { file: "ezorg_transport", lines: [
          "test.huisarts-zuid.example.nl smtp:[10.254.253.199]:587",
          "e-zorg.nl smtp:[10.254.253.199]:587",
          "ezorg.nl smtp:[10.254.253.199]:587",
        ] },
        { file: "ezorg_tls_policy", lines: ["[10.254.253.199]:587 secure match=inside-relay.ezorg.nl protocols=>=TLSv1.3"] },
      ],
      prepend: [["transport_maps", "ezorg_transport"], ["smtp_tls_policy_maps", "ezorg_tls_policy"]],
      set: [],
    });
  });

  it("secure-switch: both nodes as one next-hop list, verified TLS, SASL with a placeholder password table", () => {
    assert.deepEqual(postfixChanges(samplePlatform(), zuid(), "secure-switch"), {
      tables: [
        { file: "ezorg_transport", lines: [
          "test.huisarts-zuid.example.nl smtp:[10.254.253.86]:587, [10.254.253.87]:587",
          "e-zorg.nl smtp:[10.254.253.86]:587, [10.254.253.87]:587",
          "ezorg.nl smtp:[10.254.253.86]:587, [10.254.253.87]:587",
        ] },
        { file: "ezorg_tls_policy", lines: [
          "[10.254.253.86]:587 secure match=secure-smtpnodes.ezorg.nl protocols=>=TLSv1.3",
          "[10.254.253.87]:587 secure match=secure-smtpnodes.ezorg.nl protocols=>=TLSv1.3",
        ] },
      ],
      prepend: [["transport_maps", "ezorg_transport"], ["smtp_tls_policy_maps", "ezorg_tls_policy"], ["smtp_sasl_password_maps", "ezorg_sasl_passwd"]],
      set: [["smtp_sasl_auth_enable", "yes"], ["smtp_sasl_tls_security_options", "noanonymous"]],
      passwords: [
        "# secure-smtpnodes.ezorg.nl: replace ENTER-PASSWORD on each line with the password handed out at onboarding, and ENTER-USERNAME with the user name.",
        "[10.254.253.86]:587 ENTER-USERNAME:ENTER-PASSWORD",
        "[10.254.253.87]:587 ENTER-USERNAME:ENTER-PASSWORD",
      ],
    });
    const named = postfixChanges(samplePlatform(), zuid({ credential: { username: "huisarts-zuid", passwordHash: "{SHA512-CRYPT}$6$x$y" } }), "secure-switch")!;
    assert.deepEqual(named.passwords!.slice(1), ["[10.254.253.86]:587 huisarts-zuid:ENTER-PASSWORD", "[10.254.253.87]:587 huisarts-zuid:ENTER-PASSWORD"]);
  });

  it("cutover: relayhost to both nodes, nothing else", () => {
    assert.deepEqual(postfixChanges(samplePlatform(), zuid(), "cutover"), {
      tables: [], prepend: [], set: [["relayhost", "[10.254.253.86]:587, [10.254.253.87]:587"]],
    });
    assert.equal(postfixChanges(samplePlatform(), zuid(), "route-test"), undefined);
  });

  it("writes the TLS minimum in the syntax the customer's Postfix reads", () => {
    assert.equal(policyProtocols("TLSv1.3", "3.7"), ">=TLSv1.3");
    assert.equal(policyProtocols("TLSv1.2", "3.6.4"), ">=TLSv1.2");
    assert.equal(policyProtocols("TLSv1.3", "3.5.24"), "!SSLv2:!SSLv3:!TLSv1:!TLSv1.1:!TLSv1.2");
    assert.equal(policyProtocols("TLSv1.2", "3.5"), "!SSLv2:!SSLv3:!TLSv1:!TLSv1.1");
    const old = lines(script("test-send-connector", version("3.5.24")));
    assert.ok(old.includes(`if [ "$major" -lt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -lt 5 ]; }; then`));
    assert.ok(old.includes("[10.254.253.199]:587 secure match=inside-relay.ezorg.nl protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1:!TLSv1.2"));
    assert.ok(lines(script("test-send-connector")).includes(`if [ "$major" -lt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -lt 6 ]; }; then`));
  });

  it("secure-switch script: placeholder table written only when absent, no switch while a placeholder is left, never a password", () => {
    const hash = "{SHA512-CRYPT}$6$saltsalt$distinctive-hash-value";
    const text = script("secure-switch", zuid({ credential: { username: "huisarts-zuid", passwordHash: hash } }));
    const l = lines(text);
    assert.ok(!text.includes(hash) && !text.includes("distinctive-hash-value"));
    assert.ok(l.includes('if [ ! -e "$sasl" ]; then'));
    assert.ok(l.includes("[10.254.253.86]:587 huisarts-zuid:ENTER-PASSWORD"));
    assert.ok(l.includes(`if grep -v '^#' "$sasl" | grep -q -e ENTER-PASSWORD -e ENTER-USERNAME; then`));
    const at = (s: string) => l.findIndex((x) => x.includes(s));
    assert.ok(at("still holds a placeholder") < at("prepend transport_maps"), "the route changes only after the password check");
    assert.ok(at("postmap -q '[10.254.253.87]:587' \"hash:$sasl\"") < at("prepend transport_maps"));
    assert.ok(l.includes("pc -e 'smtp_sasl_auth_enable = yes' 'smtp_sasl_tls_security_options = noanonymous'"));
    assert.ok(l.includes('prepend smtp_sasl_password_maps "hash:$dir/ezorg_sasl_passwd"'));
  });

  it("cutover script: stops on anything that would outrank relayhost before setting it", () => {
    const l = lines(script("cutover"));
    const at = (s: string) => l.findIndex((x) => x.includes(s));
    assert.ok(l.includes("hop='[10.254.253.86]:587, [10.254.253.87]:587'"));
    assert.ok(l.includes('pc -e "relayhost = $hop"'));
    for (const check of ["default_transport", "sender_dependent_relayhost_maps sender_dependent_default_transport_maps", "no TLS policy for [10.254.253.86]:587", "no login for [10.254.253.86]:587"]) {
      assert.ok(at(check) >= 0 && at(check) < at('pc -e "relayhost = $hop"'), check);
    }
  });

  it("quotes the configuration folder as one sh word", () => {
    assert.ok(lines(script("cutover", zuid(), "/srv/post'fix")).includes(`dir='/srv/post'\\''fix'`));
    assert.throws(() => script("cutover", zuid(), "/srv/postfix\nrm -rf /"), /postfixDirectory: got .* control character U\+000a/);
  });

  it("says plainly how the X-header is set without AD groups, and writes no script for it", () => {
    const i = instructionsFor(samplePlatform(), zuid(), "x-headers");
    assert.equal(i.script, undefined);
    assert.equal(i.steps[0], `Postfix has no AD groups and no rule that adds a header only when it is absent: the descriptor's groups ("default-Securemail", "default-Securemail-Bypass") are not used.`);
    assert.equal(i.steps[2], "Users who may send unsecured by default need x-ezorg-secbypass: true set by the sending application or mail client, or by a milter you run in front of Postfix; these instructions ship no milter.");
  });

  it("begins every script with the preflight comment block, then strict sh", () => {
    for (const stage of STAGES) {
      const s = instructionsFor(samplePlatform(), zuid(), stage).script;
      if (!s) continue;
      assert.equal(s.language, "postfix");
      const l = lines(s.content);
      assert.equal(l[0], "#!/bin/sh");
      const first = l.findIndex((x) => !x.startsWith("#"));
      assert.ok(l.slice(0, first).includes("# Preflight"), stage);
      assert.deepEqual(l.slice(first, first + 2), ["set -eu", "dir='/etc/postfix'"], stage);
    }
  });
});
