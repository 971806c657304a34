/**
 * The journal of one operation: which steps are done, written after every step, so a
 * stopped or crashed run resumes where it left off. It holds no secret: step details and
 * facts such as a new password's hash or a DKIM selector, never a password or a key.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export interface StepRecord {
  status: "done" | "failed";
  at: string;
  detail: string;
}

export interface JournalState {
  operation: string;
  /** Digest of the desired state the operation started from, when it depends on one. */
  fingerprint?: string;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  steps: Record<string, StepRecord>;
  /** Facts steps hand to later steps or to a resumed run. */
  data: Record<string, unknown>;
}

/** Raised when a journal cannot be resumed; the message says what to do instead. */
export class JournalMismatch extends Error {}

/** `<root>/.ezorg/journal`; `.ezorg/` is gitignored. */
export function journalDir(root: string): string {
  return path.join(root, ".ezorg", "journal");
}

export class Journal {
  private state: JournalState;

  private constructor(
    readonly file: string,
    private readonly found: JournalState | undefined,
    private readonly now: () => Date,
  ) {
    this.state = found ?? fresh("", undefined, now());
  }

  /** Reads `<dir>/<id>.json` if it exists; nothing is written until {@link begin}. */
  static open(dir: string, id: string, now: () => Date = () => new Date()): Journal {
    const file = path.join(dir, `${id}.json`);
    const found = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as JournalState) : undefined;
    return new Journal(file, found, now);
  }

  /** The journal left by an earlier run, if any. */
  get previous(): JournalState | undefined {
    return this.found;
  }

  /**
   * Starts writing. With `resume`, continues the earlier run (refused when the desired state
   * changed since); without it, starts over. Returns a note for the operator, if any.
   */
  begin(operation: string, options: { resume: boolean; fingerprint?: string; data?: Record<string, unknown> }): string | undefined {
    const old = this.found;
    if (options.resume && old) {
      if (options.fingerprint && old.fingerprint && old.fingerprint !== options.fingerprint) {
        throw new JournalMismatch(`the desired state changed since the journal ${this.file} was written; run without --resume to start ${operation} over from its first step`);
      }
      this.state = { ...old, finishedAt: undefined };
      return `resuming ${operation} journaled at ${old.startedAt}`;
    }
    this.state = fresh(operation, options.fingerprint, this.now());
    Object.assign(this.state.data, options.data);
    this.save();
    if (options.resume) return `nothing to resume (no journal at ${this.file}); starting ${operation}`;
    return old && !old.finishedAt ? `an unfinished journal of ${old.startedAt} was replaced; --resume would have continued it` : undefined;
  }

  isDone(step: string): boolean {
    return this.state.steps[step]?.status === "done";
  }

  record(step: string, status: StepRecord["status"], detail: string): void {
    this.state.steps[step] = { status, at: this.now().toISOString(), detail };
    this.save();
  }

  get<T>(key: string): T | undefined {
    return this.state.data[key] as T | undefined;
  }

  /** Saved at once: a fact must be on disk before the change it describes is made. */
  set(key: string, value: unknown): void {
    this.state.data[key] = value;
    this.save();
  }

  finish(): void {
    this.state.finishedAt = this.now().toISOString();
    this.save();
  }

  /*
   * Written to a temporary file and renamed over the journal: a crash leaves the old or the
   * new journal, never half of one. Synchronous, so concurrent fleet steps never interleave.
   */
  private save(): void {
    this.state.updatedAt = this.now().toISOString();
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}

function fresh(operation: string, fingerprint: string | undefined, at: Date): JournalState {
  const t = at.toISOString();
  return { operation, ...(fingerprint ? { fingerprint } : {}), startedAt: t, updatedAt: t, steps: {}, data: {} };
}
