import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** One line of the audit log: who did what, when, to which customer, with what result. */
export interface AuditEntry {
  time: string;
  operator: string;
  customer: string;
  stage: string;
  action: "check" | "advance" | "rollback" | "confirm" | "instructions" | "apply" | "refused";
  subject: string;
  result: "ok" | "fail" | "info";
  detail: string;
  /** SHA-256 of the previous line (the empty string for the first), chaining the log. */
  prev: string;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * An append-only audit log per customer (NEN 7513: every action and its result, with
 * time and operator). Each line carries the hash of the line before it, so a removed or
 * edited line breaks the chain and `verify` names where.
 */
export class AuditLog {
  constructor(readonly file: string, private readonly operator: string, private readonly clock: () => Date = () => new Date()) {}

  private lastLine(): string {
    if (!existsSync(this.file)) return "";
    const lines = readFileSync(this.file, "utf8").split("\n").filter(Boolean);
    return lines[lines.length - 1] ?? "";
  }

  append(e: Omit<AuditEntry, "time" | "operator" | "prev">): AuditEntry {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const last = this.lastLine();
    const entry: AuditEntry = { time: this.clock().toISOString(), operator: this.operator, ...e, prev: last ? sha256(last) : "" };
    // O_APPEND: concurrent writers never overwrite each other's lines.
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { flag: "a", mode: 0o600 });
    return entry;
  }

  entries(): AuditEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
  }

  /** The 1-based line numbers whose hash link is broken; empty when the log is intact. */
  verify(): number[] {
    if (!existsSync(this.file)) return [];
    const lines = readFileSync(this.file, "utf8").split("\n").filter(Boolean);
    const broken: number[] = [];
    lines.forEach((line, i) => {
      const expected = i === 0 ? "" : sha256(lines[i - 1]);
      let prev: string | undefined;
      try {
        prev = (JSON.parse(line) as AuditEntry).prev;
      } catch {
        prev = undefined;
      }
      if (prev !== expected) broken.push(i + 1);
    });
    return broken;
  }
}
