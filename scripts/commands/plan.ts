import { ConfigError } from "../../components/config/violations";
import { blocks } from "../../policy/rules";
import { formatPlan, formatPolicy, planJson } from "../plan/format";
import { planStack } from "../plan/run";
import { CommonOptions, loadOptions } from "./options";

export async function planCommand(opts: CommonOptions & { stack: string; json?: boolean }): Promise<void> {
  try {
    const plan = await planStack(opts.stack, loadOptions(opts));
    process.stdout.write(opts.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : `${formatPlan(plan)}\n`);
    if (opts.json && plan.policy.length > 0) process.stderr.write(`${formatPolicy(plan.policy).join("\n")}\n`);
    // A mandatory NTA 7516 rule broken: the plan is shown, but nothing may be applied.
    if (blocks(plan.policy)) process.exitCode = 1;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nNothing was planned.\n`);
    process.exitCode = 1;
  }
}
