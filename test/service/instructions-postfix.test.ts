/**
 * The Postfix instructions, run for real: a Postfix instance standing in for the customer's
 * server (127.0.11.1) gets each stage's generated sh script exactly as an administrator
 * would run it. The relay is an SMTP sink on 127.0.11.70:587 offering STARTTLS; the secure
 * node is the platform's own, started from renderSecureNode with Dovecot (127.0.11.2), the
 * second node's address (127.0.11.3) has nothing listening; the portal is a sink.
 */
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Customer, Stage, STAGES } from "../../components/config/model";
import { baseServices, inetService, renderMasterCf } from "../../components/postfix/cf";
import { renderSecureNode } from "../../components/postfix/secure-node";
import {
  instructionsFor, PASSWORD_PLACEHOLDER, postfixChanges, POSTFIX_TABLES, USERNAME_PLACEHOLDER,
} from "../../components/onboarding/instructions";
import { sampleCustomers, samplePlatform } from "../fixtures";
import { Dovecot } from "../support/dovecot";
import { message } from "../support/messages";
import { PostfixInstance } from "../support/postfix";
import { mustRun, run, RunResult } from "../support/run";
import { sha256, SmtpSink, splitTrace } from "../support/smtp-sink";
import { swaks } from "../support/swaks";
import { CertFiles, makeCertificate, sha512Crypt } from "../support/tls";

const CUSTOMER = "127.0.11.1";
const NODE = "127.0.11.2";
const SILENT_NODE = "127.0.11.3";
const PORTAL = "127.0.11.50";
const INTERNET = "127.0.11.60";
const RELAY = "127.0.11.70";
const SASL_PORT = 12345;
const PASSWORD = "zuid-Onboarding-Secret-7";

const platform = samplePlatform();
platform.relay = { ...platform.relay, address: RELAY };
platform.secureNodes = {
  ...platform.secureNodes,
  nodes: [
    { ...platform.secureNodes.nodes[0], address: NODE },
    { ...platform.secureNodes.nodes[1], address: SILENT_NODE },
  ],
};
const zuid: Customer = { ...sampleCustomers()[1], stage: "secure-switch" };
zuid.mailServer = { ...zuid.mailServer, address: CUSTOMER };
const from = "arts@huisarts-zuid.example.nl";

describe("Postfix customer instructions (real Postfix on 127.0.11.1, real secure node on 127.0.11.2)", () => {
  let customer: PostfixInstance;
  let node: PostfixInstance;
  let dovecot: Dovecot;
  let relayCerts: CertFiles;
  let wrongCerts: CertFiles;
  let relay: SmtpSink;
  let portal: SmtpSink;
  let dir: string;

  /** Runs the stage's generated script as the administrator would: `sh` on the server. */
  async function apply(stage: Stage): Promise<RunResult> {
    const i = instructionsFor(platform, zuid, stage, { postfixDirectory: dir });
    assert.equal(i.script?.language, "postfix", `${stage} has a sh script`);
    return run("sh", ["-c", i.script!.content]);
  }

  /** `postconf -n` of the customer's instance: every line, and nothing on stderr. */
  async function postconfN(): Promise<string[]> {
    const r = await run("postconf", ["-c", dir, "-n"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "postconf -n warns about no line");
    return r.stdout.split("\n").filter(Boolean);
  }

  /** Submits one message to the customer's Postfix, as a user's mail client would. */
  async function send(to: string, subject: string): Promise<string> {
    const data = message({ from, to, subject });
    const r = await swaks({ server: CUSTOMER, port: 25, localInterface: CUSTOMER, from, to, data });
    assert.equal(r.code, 0, r.output);
    return data;
  }

  async function startRelay(certs?: CertFiles): Promise<void> {
    await relay?.stop();
    relay = await new SmtpSink(RELAY, platform.relay.port, certs).start();
  }

  before(async () => {
    zuid.credential = { username: "huisarts-zuid", passwordHash: await sha512Crypt(PASSWORD) };

    node = await PostfixInstance.create("customer-instructions-node", NODE, platform.secureNodes.hostname);
    const dovecotDir = `${node.base}/dovecot`;
    await node.writeFiles(renderSecureNode(platform, [zuid], platform.secureNodes.nodes[0], {
      ...node.options,
      dovecotDirectory: dovecotDir,
      dovecotBaseDir: `${dovecotDir}/run`,
      dovecotLogFile: `${node.base}/log/dovecot.log`,
      saslAddress: NODE,
      saslPort: SASL_PORT,
      portalNextHop: `[${PORTAL}]:25`,
      internetNextHop: `[${INTERNET}]:25`,
    }));
    dovecot = new Dovecot(`${dovecotDir}/dovecot.conf`, `${dovecotDir}/run`, NODE, SASL_PORT);
    await dovecot.start();

    customer = await PostfixInstance.create("customer-instructions", CUSTOMER, "mail.huisarts-zuid.example.nl");
    dir = customer.options.configDirectory;
    relayCerts = await makeCertificate(`${customer.base}/relay-tls`, platform.relay.hostname);
    const wrong = await makeCertificate(`${customer.base}/wrong-tls`, "wrong-name.example.net");
    const portalCerts = await makeCertificate(`${customer.base}/portal-tls`, platform.portal.hostname);
    // The customer trusts all three certificates, so a refusal below is about the name alone.
    const bundle = `${customer.base}/ca.pem`;
    const pems = await Promise.all([relayCerts.cert, wrong.cert, `${node.base}/tls/cert.pem`].map((f) => readFile(f, "utf8")));
    await writeFile(bundle, pems.join(""));
    await customer.writeFiles(customerBase(customer, bundle));

    await startRelay(relayCerts);
    portal = await new SmtpSink(PORTAL, 25, portalCerts).start();
    await node.start();
    await customer.start();
    wrongCerts = wrong;
  });

  after(async () => {
    await Promise.all([customer?.stop(), node?.stop(), dovecot?.stop(), relay?.stop(), portal?.stop()]);
  });

  it("every generated script parses with sh -n, for each stage and Postfix version", async () => {
    for (const version of ["3.7", "3.5.24", "3.10.1"]) {
      const c = { ...zuid, mailServer: { ...zuid.mailServer, version } };
      for (const stage of STAGES) {
        const s = instructionsFor(platform, c, stage, { postfixDirectory: "/srv/post'fix" }).script;
        if (!s) continue;
        const r = await run("sh", ["-n", "-c", s.content]);
        assert.equal(r.code, 0, `${version} ${stage}: ${r.stderr}`);
      }
    }
  });

  it("receive-connector: turns STARTTLS on, and the relay's TLS 1.3 handshake succeeds", async () => {
    const r = await apply("receive-connector");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ smtpd_tls_security_level = may: STARTTLS is offered/);
    assert.ok((await postconfN()).includes("smtpd_tls_security_level = may"));
    const tls = await swaks({ server: CUSTOMER, port: zuid.mailServer.port, localInterface: RELAY, tls: "tlsv1_3", quitAfter: "TLS" });
    assert.equal(tls.code, 0, tls.output);
  });

  it("test-send-connector: the test domain and both helpdesk domains leave through the relay next hop, TLS 1.3", async () => {
    const r = await apply("test-send-connector");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = await postconfN();
    assert.ok(lines.includes(`transport_maps = hash:${dir}/${POSTFIX_TABLES.transport}`), lines.join("\n"));
    assert.ok(lines.includes(`smtp_tls_policy_maps = hash:${dir}/${POSTFIX_TABLES.tlsPolicy}`), lines.join("\n"));

    // No byte comparison on this hop: the sink offers no 8BITMIME, so the customer's Postfix
    // (its own settings, not ours) re-encodes the 8-bit body. The real relay offers 8BITMIME;
    // the secure-switch test below compares bytes through the real secure node.
    for (const to of [platform.helpdesk.to, platform.helpdesk.cc, `postmaster@${zuid.testDomain}`]) {
      await send(to, `route test ${to}`);
      const got = await relay.waitFor((m) => m.to.includes(to));
      assert.equal(got.tls, "TLSv1.3", `${to}: TLS on the relay hop`);
      assert.equal(got.from, from);
      assert.match(got.data.toString("latin1"), new RegExp(`^Subject: route test ${to.replace(/\./g, "\\.")}\r$`, "m"));
    }
    await customer.waitForLog(new RegExp(`Verified TLS connection established to ${RELAY.replace(/\./g, "\\.")}\\[${RELAY.replace(/\./g, "\\.")}\\]:587: TLSv1\\.3`));
  });

  it("route-test: the read-only script finds the helpdesk deliveries through the relay", async () => {
    const r = await apply("route-test");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Expected: relay=\.\.\.\[127\.0\.11\.70\]:587, status=sent$/m);
    assert.match(r.stdout, /to=<helpdesk@e-zorg\.nl>, relay=127\.0\.11\.70\[127\.0\.11\.70\]:587.*status=sent/);
    assert.match(r.stdout, /to=<helpdesk@ezorg\.nl>, relay=127\.0\.11\.70\[127\.0\.11\.70\]:587.*status=sent/);
  });

  it("keeps mail queued while the relay's certificate names another host, or STARTTLS is missing, and delivers once it is right", async () => {
    await startRelay(wrongCerts);
    const to = `wrong-name@${zuid.testDomain}`;
    await send(to, "wrong certificate name");
    await customer.waitForLog(/to=<wrong-name@test\.huisarts-zuid\.example\.nl>.*status=deferred \(Server certificate not verified\)/);
    assert.equal(relay.messages.length, 0);

    await startRelay();
    const plain = `plain@${zuid.testDomain}`;
    await send(plain, "no starttls");
    await customer.waitForLog(/to=<plain@test\.huisarts-zuid\.example\.nl>.*status=deferred .*TLS is required, but was not offered/);
    assert.equal(relay.messages.length, 0);

    await startRelay(relayCerts);
    await mustRun("postfix", ["-c", dir, "reload"]);
    await customer.flush();
    for (const t of [to, plain]) assert.equal((await relay.waitFor((m) => m.to.includes(t))).tls, "TLSv1.3");
  });

  it("secure-switch: the first run leaves a placeholder password table and changes nothing else", async () => {
    const r = await apply("secure-switch");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /✗ wrote .*ezorg_sasl_passwd: replace ENTER-PASSWORD on each line, then run this script again/);
    const file = `${dir}/${POSTFIX_TABLES.passwords}`;
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const table = await readFile(file, "utf8");
    assert.match(table, /^\[127\.0\.11\.2\]:587 huisarts-zuid:ENTER-PASSWORD$/m);
    assert.match(table, /^\[127\.0\.11\.3\]:587 huisarts-zuid:ENTER-PASSWORD$/m);
    assert.ok(!(await postconfN()).some((l) => l.startsWith("smtp_sasl")), "nothing switched before the password is in");

    const again = await apply("secure-switch");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /still holds a placeholder/);
  });

  it("secure-switch: with the password filled in, test mail logs in on the secure node over verified TLS 1.3", async () => {
    const file = `${dir}/${POSTFIX_TABLES.passwords}`;
    // What the administrator does by hand: the password goes into the file, never the script.
    await writeFile(file, (await readFile(file, "utf8")).split(PASSWORD_PLACEHOLDER).join(PASSWORD));
    const r = await apply("secure-switch");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await stat(`${file}.db`)).mode & 0o777, 0o600);
    const lines = await postconfN();
    for (const l of [
      `smtp_sasl_password_maps = hash:${file}`,
      "smtp_sasl_auth_enable = yes",
      "smtp_sasl_tls_security_options = noanonymous",
      `transport_maps = hash:${dir}/${POSTFIX_TABLES.transport}`,
    ]) assert.ok(lines.includes(l), `${l}\n${lines.join("\n")}`);

    const to = platform.helpdesk.to;
    const data = await send(to, "final route test");
    const got = await portal.waitFor((m) => m.to.includes(to) && m.data.includes("final route test"));
    assert.equal(sha256(splitTrace(got.data).rest), sha256(Buffer.from(data)));
    await customer.waitForLog(/Verified TLS connection established to 127\.0\.11\.2\[127\.0\.11\.2\]:587: TLSv1\.3/);
    await node.waitForLog(/sasl_method=PLAIN, sasl_username=huisarts-zuid/);
  });

  it("cutover: stops while default_transport names its own next hop, then sends all outbound mail to the secure nodes", async () => {
    await customer.postconf({ default_transport: "smtp:[192.0.2.1]:25" });
    const stopped = await apply("cutover");
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /✗ default_transport = smtp:\[192\.0\.2\.1\]:25 names its own next hop, which wins over relayhost/);
    assert.ok(!(await postconfN()).some((l) => l.startsWith("relayhost")));

    await customer.postconf({ default_transport: "smtp" });
    const r = await apply("cutover");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok((await postconfN()).includes("relayhost = [127.0.11.2]:587, [127.0.11.3]:587"));
    const to = "colleague@example.org";
    await send(to, "after cutover");
    assert.equal((await portal.waitFor((m) => m.to.includes(to))).from, from);
  });

  it("postconf -n accepts every line the scripts set", async () => {
    const lines = await postconfN();
    for (const stage of ["test-send-connector", "secure-switch", "cutover"] as const) {
      const plan = postfixChanges(platform, zuid, stage)!;
      for (const [name, value] of plan.set) assert.ok(lines.includes(`${name} = ${value}`), `${stage}: ${name}`);
      for (const [name, file] of plan.prepend) assert.ok(lines.some((l) => l.startsWith(`${name} = hash:${dir}/${file}`)), `${stage}: ${name}`);
    }
    const check = await run("postfix", ["-c", dir, "check"]);
    assert.equal(check.code, 0, check.stderr);
    assert.doesNotMatch(await readFile(`${dir}/${POSTFIX_TABLES.passwords}`, "utf8"), new RegExp(`${PASSWORD_PLACEHOLDER}|${USERNAME_PLACEHOLDER}`));
  });
});

/** The customer's own configuration before onboarding: a plain Postfix with a certificate and a CA bundle. */
function customerBase(pf: PostfixInstance, caFile: string): Record<string, string> {
  const o = pf.options;
  const main = [
    "# Stand-in for the customer's existing main.cf: the onboarding scripts edit it with postconf.",
    "compatibility_level = 3.6",
    `queue_directory = ${o.queueDirectory}`,
    `data_directory = ${o.dataDirectory}`,
    `maillog_file = ${o.maillogFile}`,
    "inet_interfaces = all",
    "inet_protocols = ipv4",
    "myhostname = mail.huisarts-zuid.example.nl",
    "mydomain = huisarts-zuid.example.nl",
    "mydestination =",
    "local_transport = error:5.1.1 local delivery is disabled",
    "alias_maps =",
    "alias_database =",
    "mynetworks = 127.0.11.0/24",
    "smtpd_relay_restrictions = permit_mynetworks, reject",
    `smtpd_tls_cert_file = ${o.tlsCertFile}`,
    `smtpd_tls_key_file = ${o.tlsKeyFile}`,
    `smtp_tls_CAfile = ${caFile}`,
    "smtp_tls_loglevel = 1",
    "",
  ].join("\n");
  const master = renderMasterCf("customer stand-in: master.cf", [
    { name: inetService(o, 25), type: "inet", private: "n", command: "smtpd" },
    ...baseServices(),
  ]);
  return { [`${o.configDirectory}/main.cf`]: main, [`${o.configDirectory}/master.cf`]: master };
}
