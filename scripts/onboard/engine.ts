import { readFileSync, writeFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { Customer, PlatformConfig, Stage } from "../../components/config/model";
import { AuditLog } from "./audit";
import { nextStage, planFor } from "./stages";
import { StateStore } from "./state";
import { Check, CheckResult, CheckTargets, Instructions, MailFlowProbe } from "./types";

/** How a mail-flow check says it had no probe to send with (scripts/checks/mail-flow.ts). */
export const NO_PROBE = "no mail-flow probe";

export interface WalkDeps {
  /**
   * The checks a customer's current stage calls for: every check whose stage has been
   * reached, so each run proves again what earlier stages set up.
   */
  checksFor: (customer: Customer) => Check[];
  targets: CheckTargets;
  mailFlow?: MailFlowProbe;
  audit: AuditLog;
  state: StateStore;
  /** One line of output for the operator. */
  out: (line: string) => void;
  now: () => Date;
  /** Instructions for the customer's administrator; none printed when absent. */
  instructions?: (platform: PlatformConfig, customer: Customer, stage: Stage) => Instructions;
}

export interface WalkOptions {
  /** The customer's descriptor, edited by --advance and --rollback. */
  descriptorFile: string;
  /** Move the descriptor to the next stage once every check passed. */
  advance?: boolean;
  /** Move the descriptor back to the stage's rollback target. */
  rollback?: boolean;
  /** Confirmations the operator gives for what no check can see. */
  confirm?: string[];
  /** Run the checks and print, but write nothing: no state, no audit line, no descriptor edit. */
  dryRun?: boolean;
}

export interface StageOutcome {
  stage: Stage;
  results: CheckResult[];
  missingConfirmations: string[];
  passed: boolean;
  /** Set when the descriptor was moved. */
  movedTo?: Stage;
}

/**
 * Runs the checks of the customer's current stage, one after the other (mail-flow
 * checks share mailboxes); a check that throws is a failed check, not a crash.
 */
export async function verifyStage(platform: PlatformConfig, customer: Customer, deps: Pick<WalkDeps, "checksFor" | "targets" | "mailFlow" | "now">): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of deps.checksFor(customer)) {
    try {
      results.push(...(await check.run({ platform, customer, targets: deps.targets, mailFlow: deps.mailFlow, now: deps.now })));
    } catch (err) {
      results.push({ id: check.id, ok: false, detail: `the check failed to run: ${err instanceof Error ? err.message : String(err)}`, fix: "see the message; the check is retried on the next run" });
    }
  }
  return results;
}

/** Sets `stage:` in a descriptor, keeping its comments and layout. */
export function setDescriptorStage(file: string, stage: Stage): void {
  const doc = parseDocument(readFileSync(file, "utf8"));
  doc.set("stage", stage);
  writeFileSync(file, doc.toString());
}

/**
 * One pass of the walkthrough for one customer: instructions for the current stage,
 * its checks with a ✓/✗ line each and a tally, and, when asked and allowed, the move
 * of the descriptor to the next (or the rollback) stage. Every check result and every
 * move is written to the audit log, unless it is a dry run.
 */
export async function walk(platform: PlatformConfig, customer: Customer, deps: WalkDeps, opts: WalkOptions): Promise<StageOutcome> {
  const plan = planFor(customer.stage);
  const write = !opts.dryRun;
  const log = (e: Parameters<AuditLog["append"]>[0]) => (write ? deps.audit.append(e) : undefined);
  const base = { customer: customer.slug, stage: customer.stage };
  deps.out(`${customer.organisation} (${customer.slug}): stage ${customer.stage}, ${plan.title}`);

  if (opts.rollback) {
    if (!plan.rollbackTo) {
      log({ ...base, action: "refused", subject: "rollback", result: "fail", detail: "stage has no rollback" });
      deps.out(`✗ stage ${customer.stage} has no rollback: going back would not undo anything the customer did; fix forward instead`);
      return { stage: customer.stage, results: [], missingConfirmations: [], passed: false };
    }
    if (write) setDescriptorStage(opts.descriptorFile, plan.rollbackTo);
    log({ ...base, action: "rollback", subject: `${customer.stage} -> ${plan.rollbackTo}`, result: "ok", detail: opts.descriptorFile });
    deps.out(`↩ ${opts.dryRun ? "would move" : "moved"} ${opts.descriptorFile} back to stage ${plan.rollbackTo}; review and apply the stacks to undo: ${planFor(customer.stage).infrastructure ?? "nothing in the stacks"}`);
    return { stage: customer.stage, results: [], missingConfirmations: [], passed: true, movedTo: plan.rollbackTo };
  }

  const instructions = deps.instructions?.(platform, customer, customer.stage);
  if (instructions) {
    for (const w of instructions.warnings) deps.out(`! ${w}`);
    instructions.steps.forEach((s, i) => deps.out(`  ${i + 1}. ${s}`));
  }

  const confirmations = [...new Set([...(deps.state.load(customer.slug).stages[customer.stage]?.confirmations ?? []), ...(opts.confirm ?? [])])];
  for (const c of opts.confirm ?? []) log({ ...base, action: "confirm", subject: c, result: "info", detail: "confirmed by the operator" });
  const missingConfirmations = plan.confirmations.filter((c) => !confirmations.includes(c));

  // A route test without a probe (production) is proven by the helpdesk; the operator
  // confirms it by the check's id, and the confirmation is audited like a result.
  const results = (await verifyStage(platform, customer, deps)).map((r) =>
    !r.ok && r.detail.startsWith(NO_PROBE) && confirmations.includes(r.id) ? { ...r, ok: true, detail: `confirmed by the operator (${r.fix ?? r.detail})`, fix: undefined } : r,
  );
  for (const r of results) {
    deps.out(`${r.ok ? "✓" : "✗"} ${r.id}: ${r.detail}${!r.ok && r.fix ? `\n    fix: ${r.fix}` : ""}`);
    log({ ...base, action: "check", subject: r.id, result: r.ok ? "ok" : "fail", detail: r.detail });
  }
  for (const c of missingConfirmations) deps.out(`✗ confirmation: ${c}\n    fix: confirm it with --confirm "${c}"`);
  const failed = results.filter((r) => !r.ok).length + missingConfirmations.length;
  const passed = failed === 0;
  deps.out(`${results.length - results.filter((r) => !r.ok).length} passed, ${failed} failed`);

  if (write) {
    const state = deps.state.load(customer.slug);
    state.stages[customer.stage] = { at: deps.now().toISOString(), passed, results, confirmations };
    deps.state.save(state);
  }

  const next = nextStage(customer.stage);
  if (opts.advance) {
    if (!passed || !next) {
      log({ ...base, action: "refused", subject: "advance", result: "fail", detail: next ? `${failed} failed` : "last stage" });
      deps.out(next ? `✗ not advancing: stage ${customer.stage} is not proven; fix the failures above and run again` : "✓ the customer is live; there is no next stage");
      return { stage: customer.stage, results, missingConfirmations, passed };
    }
    if (write) setDescriptorStage(opts.descriptorFile, next);
    log({ ...base, action: "advance", subject: `${customer.stage} -> ${next}`, result: "ok", detail: opts.descriptorFile });
    const infra = planFor(next).infrastructure;
    deps.out(`→ ${opts.dryRun ? "would move" : "moved"} ${opts.descriptorFile} to stage ${next}${infra ? `; after review, apply: ${infra}` : ""}`);
    return { stage: customer.stage, results, missingConfirmations, passed, movedTo: next };
  }
  if (passed && next) deps.out(`stage ${customer.stage} is proven; run again with --advance to move to ${next}`);
  return { stage: customer.stage, results, missingConfirmations, passed };
}
