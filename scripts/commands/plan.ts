import { ConfigError } from "../../components/config/violations";
import { formatPlan, planJson } from "../plan/format";
import { planStack } from "../plan/run";
import { CommonOptions, loadOptions } from "./options";

export async function planCommand(opts: CommonOptions & { stack: string; json?: boolean }): Promise<void> {
  try {
    const plan = await planStack(opts.stack, loadOptions(opts));
    process.stdout.write(opts.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : `${formatPlan(plan)}\n`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nNothing was planned.\n`);
    process.exitCode = 1;
  }
}
