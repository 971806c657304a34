import * as path from "node:path";
import { loadStack, PROJECT_ROOT } from "../../components/config/load";
import { ConfigError, formatViolation } from "../../components/config/violations";
import { LabBreak, runWalkthrough } from "../lab/walkthrough";
import { CommonOptions, loadOptions } from "./options";

export interface LabOptions extends CommonOptions {
  customer: string;
  break?: LabBreak;
}

export const BREAKS: LabBreak[] = ["spf-include-missing", "dnssec-off", "wrong-auth-password", "header-overwritten"];

export async function labCommand(opts: LabOptions): Promise<void> {
  if (opts.break && !BREAKS.includes(opts.break)) throw new Error(`--break is "${opts.break}": use one of ${BREAKS.join(", ")}`);
  if (process.getuid?.() !== 0) {
    process.stderr.write("ezorg lab: the lab starts Postfix, Knot and Unbound on loopback and needs root (as in CI); run it as root.\n");
    process.exitCode = 2;
    return;
  }
  const load = loadOptions(opts);
  const root = load.root ?? PROJECT_ROOT;
  let model;
  try {
    model = loadStack(`customer-${opts.customer}`, load);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.violations.map((v) => `✗ ${formatViolation(v)}\n`).join("")}the lab did not start.\n`);
    process.exitCode = 1;
    return;
  }
  if (model.kind !== "customer") return;
  const started = Date.now();
  process.stdout.write(`Lab: onboarding ${model.customer.organisation} on loopback, from the first stage to live${opts.break ? `, with ${opts.break}` : ""}\n`);
  const result = await runWalkthrough({
    platform: model.platform,
    customer: model.customer,
    descriptorFile: path.join(load.customersDir ?? path.join(root, "stacks", "customers"), `${opts.customer}.yaml`),
    breakWith: opts.break,
    out: (line) => process.stdout.write(`${line}\n`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(`\nlab: ${result.passed} passed, ${result.failed} failed\n`);
  if (result.stoppedAt) {
    process.stdout.write(`✗ the walkthrough stopped at stage ${result.stoppedAt.stage} (${result.stoppedAt.failures.join(", ")}) after ${seconds} s; the lab was stopped and cleaned up. Fix what the ✗ lines name and run again.\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`✓ ${model.customer.slug} onboarded to live in ${seconds} s; the lab was stopped and cleaned up.\n`);
  }
}
