/**
 * The customer's own Postfix in the lab, configured the way the customer's administrator
 * would: a plain existing main.cf (the lab plumbing below: listen and bind address, the
 * lab's CA, its own domains delivered to the lab's customer mailbox, a certificate for the
 * SMTP service), then each stage's script from the toolkit's Postfix instructions run with
 * `sh`, and the SASL password table filled in by hand where the secure-switch script asks.
 * Nothing else touches its configuration.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Customer, Stage, STAGES } from "../../components/config/model";
import { instructionsFor, PASSWORD_PLACEHOLDER, POSTFIX_TABLES, USERNAME_PLACEHOLDER } from "../../components/onboarding/instructions";
import { baseServices, inetService, renderMasterCf } from "../../components/postfix/cf";
import { LabPostfix } from "./postfix";
import { run } from "./proc";
import { CustomerServer, CustomerServerEnv } from "./servers";

export async function postfixCustomerServer(env: CustomerServerEnv): Promise<CustomerServer> {
  const pf = new LabPostfix(env.dir, env.listen.host, env.tls);
  const o = pf.options;
  const dir = o.configDirectory;
  const domains = env.customer.domains;
  const main = [
    "# The customer's existing main.cf before onboarding (lab plumbing only): the onboarding",
    "# scripts edit it with postconf.",
    "compatibility_level = 3.6",
    `queue_directory = ${o.queueDirectory}`,
    `data_directory = ${o.dataDirectory}`,
    `maillog_file = ${o.maillogFile}`,
    "inet_interfaces = all",
    "inet_protocols = ipv4",
    `smtp_bind_address = ${env.listen.host}`,
    `myhostname = mail.${domains[0]}`,
    `mydomain = ${domains[0]}`,
    "mydestination =",
    "local_transport = error:5.1.1 local delivery is disabled",
    "alias_maps =",
    "alias_database =",
    // Its own domains go to the mailbox the lab reads (standing in for the customer's mail store).
    `relay_domains = ${domains.join(", ")}`,
    `relay_transport = smtp:[${env.mailbox.host}]:${env.mailbox.port}`,
    `mynetworks = ${env.listen.host}/32`,
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
    `smtpd_tls_cert_file = ${o.tlsCertFile}`,
    `smtpd_tls_key_file = ${o.tlsKeyFile}`,
    `smtp_tls_CAfile = ${env.caFile}`,
    "smtp_tls_loglevel = 1",
    "",
  ].join("\n");
  const master = renderMasterCf("lab customer Postfix: master.cf", [
    { name: inetService(o, env.listen.port), type: "inet", private: "n", command: "smtpd" },
    ...baseServices(),
  ]);
  await pf.prepare({ [join(dir, "main.cf")]: main, [join(dir, "master.cf")]: master });
  await pf.start();

  /** Runs the stage's generated script as the administrator would: `sh` on the server. */
  async function apply(customer: Customer, stage: Stage): Promise<void> {
    const script = instructionsFor(env.platform, customer, stage, { postfixDirectory: dir }).script;
    if (!script) return;
    if (script.language !== "postfix") throw new Error(`lab customer Postfix: ${stage} has a ${script.language} script, not a Postfix one`);
    let r = await run("sh", ["-c", script.content], undefined, 60_000);
    const sasl = join(dir, POSTFIX_TABLES.passwords);
    const table = await readFile(sasl, "utf8").catch(() => undefined);
    if (r.code !== 0 && table?.includes(PASSWORD_PLACEHOLDER)) {
      // What the administrator does by hand: the password goes into the file, then the script runs again.
      const user = customer.credential?.username ?? customer.slug;
      await writeFile(sasl, table.split(PASSWORD_PLACEHOLDER).join(env.password).split(USERNAME_PLACEHOLDER).join(user), { mode: 0o600 });
      r = await run("sh", ["-c", script.content], undefined, 60_000);
    }
    if (r.code !== 0) throw new Error(`lab customer Postfix: the ${stage} script failed (${r.code}):\n${r.stdout}${r.stderr}\n${(await pf.log()).split("\n").slice(-20).join("\n")}`);
  }

  let applied = -1;
  const server: CustomerServer = {
    // A user's mail client on the server's own network.
    submit: { host: env.listen.host, port: env.listen.port, localAddress: env.listen.host },
    async setStage(customer) {
      const target = STAGES.indexOf(customer.stage);
      // Forward: every stage's script in order, as the administrator runs them; back: the target's alone.
      const from = target > applied ? applied + 1 : target;
      for (let i = from; i <= target; i++) await apply(customer, STAGES[i]);
      applied = target;
    },
    pidFiles: [pf.pidFile],
    stop: () => pf.stop(),
  };
  await server.setStage(env.customer);
  return server;
}
