import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Stage } from "../../components/config/model";
import { CheckResult } from "./types";

/** What the walkthrough remembers of one customer between runs. */
export interface OnboardingState {
  customer: string;
  /** The last verdict per stage. */
  stages: Partial<Record<Stage, { at: string; passed: boolean; results: CheckResult[]; confirmations: string[] }>>;
}

/** Per-customer state in `<dir>/<slug>.json`, written atomically so a crash never leaves half a file. */
export class StateStore {
  constructor(private readonly dir: string) {}

  private file(slug: string): string {
    return path.join(this.dir, `${slug}.json`);
  }

  load(slug: string): OnboardingState {
    const file = this.file(slug);
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as OnboardingState) : { customer: slug, stages: {} };
  }

  save(state: OnboardingState): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(state.customer);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}
