/**
 * What `rollout` and every `rotate` share: the Pulumi CLI preflight, refusals before any
 * change, the journal, the run and the exit status (0 done, 1 a step failed or the
 * configuration is invalid, 2 refused before starting).
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { LoadOptions, PROJECT_ROOT } from "../../components/config/load";
import { ConfigError } from "../../components/config/violations";
import { CommonOptions, loadOptions } from "../commands/options";
import { PreflightError } from "./common";
import { Operation, runOperation } from "./engine";
import { Reporter, terminalReporter } from "./fleet";
import { Journal, journalDir, JournalMismatch } from "./journal";
import { DRY_RUNNER, noCliMessage, pulumiRunner, StackRunner } from "./runner";

export interface OpsOptions extends CommonOptions {
  dryRun?: boolean;
  resume?: boolean;
  concurrency?: string;
  /** PEM file of extra CAs the health probes trust. */
  ca?: string;
}

export interface OpsContext {
  root: string;
  load: LoadOptions;
  customersDir: string;
  runner: StackRunner;
  reporter: Reporter;
  resume: boolean;
  dryRun: boolean;
  /** The journal of operation `id`, as left by an earlier run. */
  journal(id: string): Journal;
}

export async function execute(command: string, opts: OpsOptions, build: (ctx: OpsContext) => Promise<Operation>): Promise<void> {
  const concurrency = Number(opts.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1) return refuse(`ezorg ${command}: --concurrency: got ${JSON.stringify(opts.concurrency)}; give a whole number of at least 1`);
  const load = loadOptions(opts);
  const root = load.root ?? PROJECT_ROOT;
  const ca = opts.ca ? readFileSync(path.resolve(opts.ca), "utf8") : undefined;
  const runner = opts.dryRun ? DRY_RUNNER : await pulumiRunner({ root, load, ca });
  if (!runner) return refuse(noCliMessage(command));

  const journals = new Map<string, Journal>();
  const ctx: OpsContext = {
    root,
    load,
    customersDir: load.customersDir ?? path.join(root, "stacks", "customers"),
    runner,
    reporter: terminalReporter(),
    resume: Boolean(opts.resume),
    dryRun: Boolean(opts.dryRun),
    journal: (id) => journals.get(id) ?? journals.set(id, Journal.open(journalDir(root), id)).get(id)!,
  };
  try {
    const op = await build(ctx);
    const outcome = await runOperation(op, { journal: ctx.journal(op.id), resume: ctx.resume, dryRun: ctx.dryRun, concurrency, reporter: ctx.reporter });
    process.exitCode = outcome.exitCode;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nNothing was changed.\n`);
      process.exitCode = 1;
    } else if (err instanceof PreflightError) {
      for (const p of err.problems) process.stderr.write(`✗ ${p}\n`);
      refuse(`ezorg ${command}: refused before any change (${err.problems.length} problem${err.problems.length === 1 ? "" : "s"})`);
    } else if (err instanceof JournalMismatch) {
      refuse(`ezorg ${command}: ${err.message}`);
    } else {
      throw err;
    }
  }
}

function refuse(line: string): void {
  process.stderr.write(`${line}\n`);
  process.exitCode = 2;
}

/** Slugs named on the command line, each checked to have a descriptor. */
export function namedCustomers(names: readonly string[], customersDir: string): string[] {
  const known = new Set(allCustomers(customersDir));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new PreflightError(unknown.map((n) => `${n}: no descriptor ${path.join(customersDir, `${n}.yaml`)}; check the slug`));
  if (names.length === 0) throw new PreflightError(["name at least one customer slug, or give --all"]);
  return [...new Set(names)];
}

export function allCustomers(customersDir: string): string[] {
  return readdirSync(customersDir).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();
}
