import { ConfigError, formatViolation } from "../../components/config/violations";
import { blocks } from "../../policy/rules";
import { formatPlan, formatPolicy, planJson } from "../plan/format";
import { planStack } from "../plan/run";
import { CommonOptions, loadOptions } from "./options";

export async function planCommand(opts: CommonOptions & { stack: string; json?: boolean }): Promise<void> {
  try {
    const plan = await planStack(opts.stack, loadOptions(opts));
    process.stdout.write(opts.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : `${formatPlan(plan)}\n`);
    // JSON on stdout stays parseable; what a person should still see goes to stderr.
    if (opts.json) {
      for (const w of plan.warnings) process.stderr.write(`warning: ${formatViolation(w)}\n`);
      if (plan.unsetSecrets.length) process.stderr.write(`secrets not set in the stack file (stand-ins used): ${plan.unsetSecrets.join(", ")}\n`);
      if (plan.policy.length > 0) process.stderr.write(`${formatPolicy(plan.policy).join("\n")}\n`);
    }
    // A mandatory NTA 7516 rule broken: the plan is shown, but nothing may be applied.
    if (blocks(plan.policy)) process.exitCode = 1;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const n = err.violations.length;
    process.stderr.write(`${err.violations.map((v) => `✗ ${formatViolation(v)}\n`).join("")}${n} error${n === 1 ? "" : "s"}; nothing was planned.\n`);
    process.exitCode = 1;
  }
}
