/**
 * The fleet form: one operation over many customer stacks at once, at most `limit` at a
 * time, a progress bar on a terminal, a ✓/✗ line per stack. The journal and the closing
 * summary are the engine's (engine.ts), shared with the one-at-a-time form.
 */
import { MultiBar, Presets } from "cli-progress";

/** Where an operation's lines and progress go. */
export interface Reporter {
  line(text: string): void;
  progress(label: string, total: number): Progress;
}

export interface Progress {
  tick(): void;
  stop(): void;
}

/*
 * A small queue rather than p-limit: p-limit is ESM-only since v4 and this project is
 * CommonJS on Node 20; what is needed here is a dozen lines.
 */
/** Runs `fn` over `items`, never more than `limit` at once; `fn` must not throw. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency: got ${limit}; it must be a whole number of at least 1`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Runs every step, `limit` at a time, whatever the others' outcome: one customer's failure
 * must not hold back the rest. `attempt` runs one step and reports whether it succeeded.
 */
export async function runFleet<S extends { title: string }>(
  label: string,
  steps: readonly S[],
  limit: number,
  attempt: (step: S) => Promise<boolean>,
  reporter: Reporter,
): Promise<{ succeeded: number; failed: number }> {
  const bar = reporter.progress(label, steps.length);
  let succeeded = 0;
  let failed = 0;
  try {
    await pool(steps, limit, async (step) => {
      if (await attempt(step)) succeeded++;
      else failed++;
      bar.tick();
    });
  } finally {
    bar.stop();
  }
  return { succeeded, failed };
}

/**
 * Lines to `stream`; a progress bar only when it is a terminal (a log file or a CI job gets
 * the lines alone, which already say everything).
 */
export function terminalReporter(stream: NodeJS.WriteStream = process.stdout): Reporter {
  let bars: MultiBar | undefined;
  return {
    line: (text) => (bars ? bars.log(`${text}\n`) : stream.write(`${text}\n`)),
    progress: (label, total) => {
      if (!stream.isTTY || total < 2) return { tick: () => undefined, stop: () => undefined };
      bars = new MultiBar({ stream, format: "{label} [{bar}] {value}/{total} | {duration_formatted} elapsed, about {eta_formatted} left", hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
      const bar = bars.create(total, 0, { label });
      return {
        tick: () => bar.increment(),
        stop: () => {
          bars?.stop();
          bars = undefined;
        },
      };
    },
  };
}
