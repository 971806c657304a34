// One measured plan in a fresh process (Pulumi's runtime is process-global).
// Usage: tsx bench/plan-once.ts <stack> <customers-dir>; prints one JSON line.
import { planStack } from "../scripts/plan/run";

async function run(): Promise<void> {
  const [stack, customersDir] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  const plan = await planStack(stack, { customersDir });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMiB, resources: plan.resources.length })}\n`);
}

run().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
