import { loadStack } from "../../components/config/load";
import { PreflightError } from "../ops/common";
import { allCustomers, execute, namedCustomers, OpsOptions } from "../ops/command";
import { Operation } from "../ops/engine";
import { customerFleetOperation, customerUpStep, rolloutOperation } from "../ops/rollout";

// Pulumi's runtime loads only once a plan is needed: a refusal or the missing-CLI line stays quick.
const planStack: typeof import("../plan/run").planStack = (...args) => (require("../plan/run") as typeof import("../plan/run")).planStack(...args);

/** `ezorg rollout --stack <platform>` one datacentre at a time, or `--customers` as a fleet. */
export async function rolloutCommand(opts: OpsOptions & { stack?: string; customers?: string }): Promise<void> {
  await execute("rollout", opts, async (ctx): Promise<Operation> => {
    if (Boolean(opts.stack) === Boolean(opts.customers)) {
      throw new PreflightError(["give either --stack <platform stack> or --customers <all|slug,slug,...>, not both"]);
    }
    if (opts.customers) {
      const slugs = opts.customers === "all" ? allCustomers(ctx.customersDir) : namedCustomers(opts.customers.split(","), ctx.customersDir);
      return customerFleetOperation(slugs, ctx.runner, opts.customers);
    }
    const stack = opts.stack!;
    const model = loadStack(stack, ctx.load);
    if (model.kind === "customer") {
      return { id: `rollout-${stack}`, title: `rollout ${stack}`, resumeHint: `npx ezorg rollout --stack ${stack} --resume`, phases: [{ name: stack, mode: "sequence", steps: [customerUpStep(stack, ctx.runner)] }] };
    }
    const plan = await planStack(stack, ctx.load);
    return rolloutOperation({ stack, platform: model.platform, resources: plan.resources, runner: ctx.runner });
  });
}
