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

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`ezorg: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
