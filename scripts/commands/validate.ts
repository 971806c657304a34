import { listStacks, loadStack, PROJECT_ROOT } from "../../components/config/load";
import { ConfigError, formatViolation, Violation } from "../../components/config/violations";
import { CommonOptions, loadOptions } from "./options";

/** Validates every stack (and through them every descriptor); each violation once. */
export function validateAll(opts: CommonOptions): { stacks: string[]; errors: Violation[]; warnings: Violation[] } {
  const load = loadOptions(opts);
  const stacks = listStacks(load.root ?? PROJECT_ROOT);
  const errors = new Map<string, Violation>();
  const warnings = new Map<string, Violation>();
  for (const stack of stacks) {
    try {
      loadStack(stack, load).warnings.forEach((w) => warnings.set(formatViolation(w), w));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      err.violations.forEach((v) => errors.set(formatViolation(v), v));
    }
  }
  const byPlace = (a: Violation, b: Violation) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0));
  return { stacks, errors: [...errors.values()].sort(byPlace), warnings: [...warnings.values()].sort(byPlace) };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function validateCommand(opts: CommonOptions & { json?: boolean }): void {
  const result = validateAll(opts);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    for (const w of result.warnings) process.stdout.write(`warning: ${formatViolation(w)}\n`);
    for (const e of result.errors) process.stdout.write(`✗ ${formatViolation(e)}\n`);
    process.stdout.write(
      result.errors.length === 0
        ? `✓ ${result.stacks.length} stacks and their customer descriptors are valid (${plural(result.warnings.length, "warning")})\n`
        : `${plural(result.errors.length, "error")} in ${plural(new Set(result.errors.map((e) => e.file)).size, "file")}; nothing may be planned or applied until they are fixed\n`,
    );
  }
  if (result.errors.length > 0) process.exitCode = 1;
}
