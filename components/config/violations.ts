/** One broken rule in one configuration file. */
export interface Violation {
  /** File the value lives in, relative to the project, e.g. `stacks/customers/x.yaml`. */
  file: string;
  /** Path to the field inside the file, e.g. `ezorg:platform/datacenters/1/city`. */
  path: string;
  /** 1-based line of the field in the file, when it could be found. */
  line?: number;
  /** The value received (absent when the field is missing). */
  value?: unknown;
  /** The rule that does not hold. */
  rule: string;
  /** What to change. */
  fix: string;
}

/** Thrown before any resource is registered when the configuration breaks a rule. */
export class ConfigError extends Error {
  constructor(readonly violations: Violation[]) {
    super(
      `${violations.length} configuration error${violations.length === 1 ? "" : "s"}:\n` +
        violations.map((v) => `  ${formatViolation(v)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Renders a value short enough for one line; secrets never reach here. */
export function showValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** `file:line path = value: rule. Fix: fix.` */
export function formatViolation(v: Violation): string {
  const where = v.line ? `${v.file}:${v.line}` : v.file;
  return `${where} ${v.path || "(top)"} = ${showValue(v.value)}: ${v.rule}. Fix: ${v.fix}.`;
}
