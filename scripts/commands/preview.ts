import { $, which } from "zx";
import { PROJECT_ROOT } from "../../components/config/load";
import { CommonOptions, loadOptions } from "./options";

/** Path of the Pulumi CLI, or undefined when it is not installed. */
export async function findPulumi(): Promise<string | undefined> {
  return (await which("pulumi", { nothrow: true })) ?? undefined;
}

export async function previewCommand(opts: CommonOptions & { stack: string }): Promise<void> {
  const cli = await findPulumi();
  if (!cli) {
    process.stderr.write(`ezorg preview: the Pulumi CLI is not installed here; run \`npx ezorg plan --stack ${opts.stack}\` for the desired state without it.\n`);
    process.exitCode = 2;
    return;
  }
  const cwd = loadOptions(opts).root ?? PROJECT_ROOT;
  const result = await $({ cwd, stdio: "inherit", nothrow: true })`${cli} preview --stack ${opts.stack} --diff`;
  process.exitCode = result.exitCode ?? 1;
}
