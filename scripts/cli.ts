import { Command, Option } from "commander";

// Commands load their modules on first use: `validate` never pays for Pulumi's runtime.
const program = new Command("ezorg")
  .description("Provision and check the NTA 7516 secure mail platform and its customers")
  .addOption(new Option("--root <dir>", "project folder holding Pulumi.yaml and stacks/").hideHelp())
  .addOption(new Option("--customers-dir <dir>", "folder of customer descriptors (default: <root>/stacks/customers)").hideHelp())
  .showHelpAfterError();

program
  .command("plan")
  .description("print the desired state of a stack, computed by the real program under Pulumi's mocks (no CLI, no credentials)")
  .requiredOption("-s, --stack <name>", "stack to plan: test, prod or customer-<slug>")
  .option("--json", "print an array of {urn, type, name, parent, inputs}, secrets as \"[secret]\"")
  .action((opts) => (require("./commands/plan") as typeof import("./commands/plan")).planCommand({ ...program.opts(), ...opts }));

program
  .command("validate")
  .description("check every stack file and customer descriptor; print every error and exit non-zero if any")
  .option("--json", "print the violations as JSON")
  .action((opts) => (require("./commands/validate") as typeof import("./commands/validate")).validateCommand({ ...program.opts(), ...opts }));

program
  .command("preview")
  .description("run `pulumi preview` for a stack (needs the Pulumi CLI)")
  .requiredOption("-s, --stack <name>", "stack to preview")
  .action((opts) => (require("./commands/preview") as typeof import("./commands/preview")).previewCommand({ ...program.opts(), ...opts }));

program
  .command("review")
  .description("a reviewer's report of what a change does: per stack and component, with risk flags (Markdown, or JSON)")
  .option("--base <git-ref>", "compare the planned state at this git ref with the working tree (no Pulumi CLI, no secrets)")
  .option("-s, --stack <name>", "only this stack; without --base, a live preview of it through the Pulumi CLI")
  .option("--json", "print the report as JSON")
  .option("-o, --output <file>", "write the report to a file")
  .option("--strict", "exit 1 on any high-risk flag, not only on a broken policy rule")
  .action((opts) => (require("./commands/review") as typeof import("./commands/review")).reviewCommand({ ...program.opts(), ...opts }));

// Every operation: --dry-run changes nothing, a journal in .ezorg/journal/ makes --resume
// skip the steps already done, and the exit status is 0 done, 1 a step failed, 2 refused.
const operation = (c: Command) =>
  c
    .option("--dry-run", "print the steps without changing anything (needs no Pulumi CLI)")
    .option("--resume", "continue a stopped run from its journal, skipping the steps it completed")
    .option("--concurrency <n>", "customer stacks handled at once in fleet steps", "4")
    .option("--ca <file>", "PEM file of extra CA certificates the health probes trust");

operation(
  program
    .command("rollout")
    .description("apply a platform stack one datacentre at a time, each only after the previous one passed its health probes; or --customers as a fleet")
    .option("-s, --stack <name>", "platform stack to roll out (test, prod), or one customer stack")
    .option("--customers <list>", "`all` or slugs separated by commas: pulumi up on each customer stack"),
).action((opts) => (require("./commands/rollout") as typeof import("./commands/rollout")).rolloutCommand({ ...program.opts(), ...opts }));

const rotate = program.command("rotate").description("replace a credential, DKIM key or TLS certificate without an interruption");
const rotateCommands = () => require("./commands/rotate") as typeof import("./commands/rotate");
operation(
  rotate
    .command("credential")
    .description("a new SMTP password per customer; both work during the overlap; the customer is told; --finish revokes the old one")
    .argument("[customers...]", "customer slugs")
    .option("--all", "every customer with a credential (with --finish: every overlap that has ended)")
    .option("--finish", "revoke the previous password once its overlap has ended")
    .option("--overlap-days <n>", "days both passwords work", "14"),
).action((customers: string[], opts) => rotateCommands().rotateCredentialCommand(customers, { ...program.opts(), ...opts }));
operation(
  rotate
    .command("dkim")
    .description("a new DKIM selector published, a wait for the TTL, signing switched; --finish removes the old selector")
    .argument("[customers...]", "customer slugs")
    .option("--all", "every customer with a DKIM key (with --finish: every old selector whose date has come)")
    .option("--finish", "remove the previous selector once its date has come")
    .option("--retain-days <n>", "days the old selector stays published after the switch", "7"),
).action((customers: string[], opts) => rotateCommands().rotateDkimCommand(customers, { ...program.opts(), ...opts }));
operation(
  rotate
    .command("certificate")
    .description("new relay and/or secure-node TLS certificates, set as secrets and rolled out one datacentre at a time")
    .requiredOption("-s, --stack <name>", "platform stack: test or prod")
    .option("--relay-cert <file>", "PEM certificate for the relay")
    .option("--relay-key <file>", "PEM private key for the relay")
    .option("--secure-node-cert <file>", "PEM certificate for the secure nodes")
    .option("--secure-node-key <file>", "PEM private key for the secure nodes"),
).action((opts) => rotateCommands().rotateCertificateCommand({ ...program.opts(), ...opts }));

program
  .command("onboard <customer>")
  .description("walk a customer through the onboarding stages: instructions, checks that prove the current stage, and moving on")
  .option("--status", "where the customer stands, and whether the audit log is intact")
  .option("--json", "machine-readable output")
  .option("--advance", "move the descriptor to the next stage once every check passed (a change to review and apply)")
  .option("--rollback", "move the descriptor back to the stage's rollback target (e.g. cutover back to the test domain)")
  .option("--confirm <text...>", "confirm what no check can see, e.g. the router installation; recorded in the audit log")
  .option("--script", "print only the current stage's script for the customer's mail platform")
  .option("--resolver <address:port>", "DNSSEC-validating resolver for the DNS checks", "127.0.0.1:53")
  .option("--operator <name>", "who is acting (default: EZORG_OPERATOR, git user.email, login name)")
  .option("--dry-run", "run the checks and print, but write nothing")
  .action((customer, opts) => (require("./commands/onboard") as typeof import("./commands/onboard")).onboardCommand(customer, { ...program.opts(), ...opts }));

program
  .command("lab")
  .description("the whole onboarding on this machine: DNSSEC DNS, relay, secure nodes and mailboxes on loopback, a customer walked to live")
  .option("--customer <slug>", "the example customer to onboard", "zorggroep-noord")
  .option("--break <fault>", "break one thing to see the walkthrough stop: spf-include-missing, dnssec-off, wrong-auth-password, header-overwritten")
  .action((opts) => (require("./commands/lab") as typeof import("./commands/lab")).labCommand({ ...program.opts(), ...opts }));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`ezorg: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
