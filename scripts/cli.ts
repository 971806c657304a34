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

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`ezorg: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
