import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer } from "../../components/config/model";
import { headerReachingNode, routesSecurely, TABLE_2 } from "../../components/postfix/secure-header";
import { renderSecureNode } from "../../components/postfix/secure-node";
import { sampleCustomers, samplePlatform } from "../fixtures";

const platform = samplePlatform();
const node = platform.secureNodes.nodes[0];
const zuidCredential = { username: "huisarts-zuid", passwordHash: "{SHA512-CRYPT}$6$zuidsalt$abc" };
const render = (customers: Customer[] = sampleCustomers(), p = platform) => renderSecureNode(p, customers, node);
const zuidAt = (stage: Customer["stage"]): Customer => ({ ...sampleCustomers()[1], stage, credential: zuidCredential });

describe("renderSecureNode", () => {
  it("returns the Postfix and Dovecot files, keyed by their path in the container", () => {
    assert.deepEqual(Object.keys(render()).sort(), [
      "/etc/dovecot/dovecot.conf",
      "/etc/dovecot/users",
      "/etc/postfix/header_checks",
      "/etc/postfix/main.cf",
      "/etc/postfix/master.cf",
      "/etc/postfix/sender_logins",
      "/etc/postfix/transport",
    ]);
  });

  it("gives every domain of a customer to its own login, and no other", () => {
    const files = render([sampleCustomers()[0], zuidAt("live")]);
    assert.equal(files["/etc/postfix/sender_logins"], [
      "# sender domain -> the one login that may use it",
      "@huisarts-zuid.example.nl huisarts-zuid",
      "@kliniek-noord.example.nl zorggroep-noord",
      "@zorggroep-noord.example.nl zorggroep-noord",
      "",
    ].join("\n"));
  });

  it("holds a credential only from secure-switch on", () => {
    const noord = sampleCustomers()[0];
    const before = render([noord, zuidAt("x-header-test")]);
    assert.equal(before["/etc/dovecot/users"], `zorggroep-noord:${noord.credential!.passwordHash}\n`);
    assert.doesNotMatch(before["/etc/postfix/sender_logins"], /huisarts-zuid/);
    const after = render([noord, zuidAt("secure-switch")]);
    assert.equal(after["/etc/dovecot/users"], `zorggroep-noord:${noord.credential!.passwordHash}\nhuisarts-zuid:${zuidCredential.passwordHash}\n`);
  });

  it("authenticates only inside TLS, through Dovecot, with the sender tied to the login", () => {
    const main = render()["/etc/postfix/main.cf"].split("\n");
    for (const expected of [
      "smtpd_tls_security_level = encrypt",
      "smtpd_tls_protocols = >=TLSv1.3",
      "smtpd_tls_mandatory_protocols = >=TLSv1.3",
      "smtpd_tls_auth_only = yes",
      "smtpd_sasl_auth_enable = yes",
      "smtpd_sasl_type = dovecot",
      "smtpd_sasl_path = inet:127.0.0.1:12345",
      "smtpd_sender_login_maps = texthash:/etc/postfix/sender_logins",
      "smtpd_sender_restrictions = reject_non_fqdn_sender, reject_sender_login_mismatch",
      "smtpd_relay_restrictions = reject_non_fqdn_recipient, permit_sasl_authenticated, reject",
      "mynetworks =",
    ]) {
      assert.ok(main.includes(expected), `main.cf lacks: ${expected}`);
    }
    const dovecot = render()["/etc/dovecot/dovecot.conf"];
    assert.match(dovecot, /^ {2}args = scheme=SHA512-CRYPT \/etc\/dovecot\/users$/m);
    assert.match(dovecot, /^ {2}inet_listener postfix \{\n {4}address = 127\.0\.0\.1\n {4}port = 12345\n {2}\}$/m);
  });

  it("routes by the header: explicit true to the internet, everything else securely", () => {
    const files = render();
    assert.equal(files["/etc/postfix/header_checks"].split("\n")[2], "/^x-ezorg-secbypass:[[:space:]]*true[[:space:]]*$/ FILTER internet:");
    const main = files["/etc/postfix/main.cf"].split("\n");
    for (const expected of ["header_checks = regexp:/etc/postfix/header_checks", "nested_header_checks =", "mime_header_checks =", "default_transport = portal:[portal.ezorg.nl]:25"]) {
      assert.ok(main.includes(expected), `main.cf lacks: ${expected}`);
    }
    assert.equal(files["/etc/postfix/transport"], "# customer domains: on the provider's network, straight to the relay\nkliniek-noord.example.nl secure:[10.254.253.199]:25\nzorggroep-noord.example.nl secure:[10.254.253.199]:25\n");
    const master = files["/etc/postfix/master.cf"];
    assert.match(master, /^secure {5}unix .* smtp\n {2}-o smtp_tls_security_level=encrypt$/m);
    assert.match(master, /^portal {5}unix .* smtp\n {2}-o smtp_tls_security_level=encrypt$/m);
    assert.match(master, /^587 {8}inet /m);
  });

  it("takes the portal and internet next hops from the options", () => {
    const files = renderSecureNode(platform, sampleCustomers(), node, { portalNextHop: "[portal.internal]:2525", internetNextHop: "[10.0.0.9]:25" });
    assert.ok(files["/etc/postfix/main.cf"].split("\n").includes("default_transport = portal:[portal.internal]:2525"));
    assert.match(files["/etc/postfix/header_checks"], / FILTER internet:\[10\.0\.0\.9\]:25$/m);
  });

  it("refuses a platform where a missing header would mean bypass", () => {
    const open = samplePlatform();
    open.secureHeader.default = "true";
    assert.throws(() => render(undefined, open), /^Error: platform\.secureHeader\.default: got "true"; a message without the header must go securely/);
  });

  it("refuses a node that is not in platform.secureNodes.nodes", () => {
    assert.throws(() => renderSecureNode(platform, sampleCustomers(), { ...node, name: "smtpnode9" }), /^Error: node: got "smtpnode9"; it must be one of platform\.secureNodes\.nodes \(smtpnode1, smtpnode2\)/);
  });
});

describe("Table 2", () => {
  it("has the guide's six rows plus the user in both groups", () => {
    assert.equal(TABLE_2.length, 7);
  });

  for (const row of TABLE_2) {
    it(`${row.row}: header ${row.header ?? "absent"}, ${row.secure ? "secure" : "not secure"}`, () => {
      assert.equal(headerReachingNode(row.sources), row.header);
      assert.equal(routesSecurely(row.header), row.secure);
    });
  }
});

describe("renderSecureNode during a credential rotation", () => {
  const previousHash = "{SHA512-CRYPT}$6$oldsalt$olderhash";
  const rotating = (): Customer => ({ ...zuidAt("live"), credential: { ...zuidCredential, previous: { passwordHash: previousHash, until: "2026-07-01" } } });

  it("adds a second passdb on users.previous after the first, so both passwords authenticate", () => {
    const files = render([sampleCustomers()[0], rotating()]);
    const passdbs = [...files["/etc/dovecot/dovecot.conf"].matchAll(/^passdb \{\n {2}driver = passwd-file\n {2}args = scheme=SHA512-CRYPT (\S+)\n\}$/gm)].map((m) => m[1]);
    assert.deepEqual(passdbs, ["/etc/dovecot/users", "/etc/dovecot/users.previous"]);
    assert.equal(files["/etc/dovecot/users.previous"], `huisarts-zuid:${previousHash}\n`);
    assert.match(files["/etc/dovecot/users"], /^huisarts-zuid:\{SHA512-CRYPT\}\$6\$zuidsalt\$abc$/m);
  });

  it("renders neither the file nor the passdb when no overlap runs", () => {
    const files = render([sampleCustomers()[0], zuidAt("live")]);
    assert.equal("/etc/dovecot/users.previous" in files, false);
    assert.equal(files["/etc/dovecot/dovecot.conf"].match(/^passdb \{$/gm)?.length, 1);
  });

  it("leaves out the previous hash of a customer before secure-switch", () => {
    const early = { ...rotating(), stage: "x-header-test" as const };
    assert.equal("/etc/dovecot/users.previous" in render([sampleCustomers()[0], early]), false);
  });

  it("refuses a previous value that is not a SHA512-CRYPT hash", () => {
    const c = rotating();
    c.credential!.previous!.passwordHash = "hunter2";
    assert.throws(() => render([c]), /^Error: customer huisarts-zuid: credential\.previous\.passwordHash must be a \{SHA512-CRYPT\}\$6\$\.\.\. hash, never a password/);
  });
});
