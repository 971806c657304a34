/**
 * Runs an operation: phases in order, each either a sequence (stops at the first failure)
 * or a fleet (every step runs, bounded concurrency). A ✓/✗ line per step, the journal
 * after each one, and a closing tally. Knows nothing of Pulumi: steps close over a runner.
 */
import { runFleet, Reporter } from "./fleet";
import { Journal } from "./journal";

export interface Step {
  /** Journal key, unique in the operation, e.g. `up:ams1`. */
  id: string;
  /** What the ✓/✗ line names, e.g. `up ams1`. */
  title: string;
  /** What the step would do, for --dry-run. */
  would: string;
  /** Does the work and returns the ✓ line's detail; throws to fail. Must be safe to rerun. */
  run(): Promise<string>;
}

export interface Phase {
  name: string;
  /** `sequence`: stop at the first failure. `fleet`: run all, then stop if any failed. */
  mode: "sequence" | "fleet";
  steps: Step[];
}

export interface Operation {
  /** Journal file name, e.g. `rollout-prod`. */
  id: string;
  /** e.g. `rollout prod`. */
  title: string;
  /** The command that continues it, printed when it stops. */
  resumeHint: string;
  /** Digest of the desired state; a resume over a changed one is refused. */
  fingerprint?: string;
  /** Facts a fresh journal starts with, e.g. the customers a `--all` selected. */
  seed?: Record<string, unknown>;
  phases: Phase[];
}

export interface RunOptions {
  journal: Journal;
  resume: boolean;
  dryRun: boolean;
  /** Fleet phases run at most this many steps at once. */
  concurrency: number;
  reporter: Reporter;
  /** Milliseconds, for the durations on the lines. */
  clock?: () => number;
}

export interface Outcome {
  succeeded: number;
  failed: number;
  skipped: number;
  /** Title of the step or phase the operation stopped at. */
  stoppedAt?: string;
  exitCode: 0 | 1;
}

export async function runOperation(op: Operation, o: RunOptions): Promise<Outcome> {
  const all = op.phases.flatMap((p) => p.steps);
  const ids = new Set(all.map((s) => s.id));
  if (ids.size !== all.length) throw new Error(`${op.title}: two steps share a journal id; every step id must be unique`);
  if (o.dryRun) return dryRun(op, o);

  const note = o.journal.begin(op.title, { resume: o.resume, fingerprint: op.fingerprint, data: op.seed });
  if (note) o.reporter.line(note);
  const clock = o.clock ?? Date.now;
  const out: Outcome = { succeeded: 0, failed: 0, skipped: 0, exitCode: 0 };

  const attempt = async (step: Step): Promise<boolean> => {
    const start = clock();
    try {
      const detail = await step.run();
      o.journal.record(step.id, "done", detail);
      o.reporter.line(`✓ ${step.title}: ${detail}${elapsed(clock() - start)}`);
      return true;
    } catch (err) {
      const reason = firstLine(err);
      o.journal.record(step.id, "failed", reason);
      o.reporter.line(`✗ ${step.title}: ${reason}${elapsed(clock() - start)}`);
      return false;
    }
  };

  for (const [i, phase] of op.phases.entries()) {
    const pending = phase.steps.filter((s) => !o.journal.isDone(s.id));
    reportDone(phase, phase.steps.length - pending.length, o);
    out.skipped += phase.steps.length - pending.length;
    if (phase.mode === "fleet") {
      const r = await runFleet(phase.name, pending, o.concurrency, attempt, o.reporter);
      out.succeeded += r.succeeded;
      out.failed += r.failed;
      if (r.failed > 0) out.stoppedAt = `${phase.name} (${r.failed} of ${phase.steps.length} failed)`;
    } else {
      for (const [j, step] of pending.entries()) {
        if (await attempt(step)) {
          out.succeeded++;
          continue;
        }
        out.failed++;
        out.stoppedAt = step.title;
        notRun(pending.slice(j + 1), o);
        out.skipped += pending.length - j - 1;
        break;
      }
    }
    if (out.stoppedAt) {
      const later = op.phases.slice(i + 1);
      later.forEach((p) => notRun(p.steps, o, p));
      out.skipped += later.reduce((n, p) => n + p.steps.length, 0);
      break;
    }
  }

  const tally = `${out.succeeded} succeeded, ${out.failed} failed, ${out.skipped} skipped`;
  if (out.stoppedAt) {
    o.reporter.line(`✗ ${op.title} stopped at ${out.stoppedAt}: ${tally}`);
    o.reporter.line(`  after fixing the cause, continue with: ${op.resumeHint}`);
    return { ...out, exitCode: 1 };
  }
  o.journal.finish();
  o.reporter.line(`✓ ${op.title}: ${tally}`);
  return out;
}

function dryRun(op: Operation, o: RunOptions): Outcome {
  const done = (s: Step) => o.resume && o.journal.previous?.steps[s.id]?.status === "done";
  let would = 0;
  for (const step of op.phases.flatMap((p) => p.steps)) {
    if (done(step)) {
      o.reporter.line(`· ${step.title}: done earlier, would be skipped`);
    } else {
      o.reporter.line(`· ${step.title}: would ${step.would}`);
      would++;
    }
  }
  const total = op.phases.reduce((n, p) => n + p.steps.length, 0);
  o.reporter.line(`dry run of ${op.title}: ${would} step${would === 1 ? "" : "s"} would run, ${total - would} skipped; nothing was changed`);
  return { succeeded: 0, failed: 0, skipped: total, exitCode: 0 };
}

/** Steps done in an earlier run: one line each in a sequence, one line for a whole fleet. */
function reportDone(phase: Phase, count: number, o: RunOptions): void {
  if (count === 0) return;
  if (phase.mode === "fleet") {
    o.reporter.line(`- ${phase.name}: ${count} of ${phase.steps.length} done earlier, skipped`);
    return;
  }
  for (const s of phase.steps.filter((x) => o.journal.isDone(x.id))) o.reporter.line(`- ${s.title}: done earlier, skipped`);
}

function notRun(steps: Step[], o: RunOptions, phase?: Phase): void {
  if (steps.length === 0) return;
  if (phase?.mode === "fleet") o.reporter.line(`- ${phase.name}: ${steps.length} steps not run`);
  else for (const s of steps) o.reporter.line(`- ${s.title}: not run`);
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n").find((l) => l.trim()) ?? "failed without a message";
}

function elapsed(ms: number): string {
  return ms >= 1000 ? ` (${(ms / 1000).toFixed(1)} s)` : "";
}
