/**
 * Builds `promtool test rules` files from scenarios written in plain seconds, and reads
 * the rendered rules back so expected alerts carry exactly the labels and annotations
 * the rules would give them.
 *
 * promtool's clock starts at 1970-01-01T00:00:00Z. The rendered rules apply today's EU
 * summer-time rule to every year, and 1970 has the same calendar as 2026 (both start on
 * a Thursday and are not leap years), so the wall clock a 1970 instant has under those
 * rules is the wall clock the tz database gives the same date and time in 2026.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { run, RunResult } from "./procs-run";

export type Labels = Record<string, string>;

export const MIN = 60;
export const HOUR = 3600;
export const DAY = 86400;

/** Seconds since promtool's time 0 for a UTC date in 1970 (`month` 1-based). */
export function at1970(month: number, day: number, hour = 0, minute = 0): number {
  return Date.UTC(1970, month - 1, day, hour, minute) / 1000;
}

/** Compresses one value per step into promtool's notation (`v+0xN` is N+1 equal values). */
export function valuesNotation(values: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < values.length) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[i]) j++;
    parts.push(`${values[i]}+0x${j - i}`);
    i = j + 1;
  }
  return parts.join(" ");
}

export interface InputSeries {
  series: string;
  values: string;
}

/** A series sampled every `step` seconds from 0 to `end` inclusive. */
export function sampled(metric: string, labels: Labels, step: number, end: number, valueAt: (t: number) => number): InputSeries {
  const values: number[] = [];
  for (let t = 0; t <= end; t += step) values.push(valueAt(t));
  return { series: selector(metric, labels), values: valuesNotation(values) };
}

/** A series rising by `step` each step from `start` (an age in seconds, say). */
export function rising(metric: string, labels: Labels, step: number, end: number, start = 0): InputSeries {
  return { series: selector(metric, labels), values: `${start}+${step}x${Math.floor(end / step)}` };
}

export function selector(metric: string, labels: Labels): string {
  const inner = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
  return `${metric}{${inner}}`;
}

export interface RuleDoc {
  groups: { name: string; interval?: string; rules: RuleDef[] }[];
}

export interface RuleDef {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Labels;
  annotations?: Labels;
}

export function parseRules(text: string): RuleDoc {
  return parse(text) as RuleDoc;
}

/** The one rule named `name` (alert or record) whose static labels include `where`. */
export function findRule(doc: RuleDoc, name: string, where: Labels = {}): RuleDef {
  const found = doc.groups
    .flatMap((g) => g.rules)
    .filter((r) => (r.alert ?? r.record) === name)
    .filter((r) => Object.entries(where).every(([k, v]) => r.labels?.[k] === v));
  if (found.length !== 1) throw new Error(`expected one rule ${name} ${JSON.stringify(where)}, found ${found.length}`);
  return found[0];
}

/** Expands the only template construct the rules use, `{{ $labels.NAME }}`. */
export function expandTemplate(template: string, labels: Labels): string {
  const out = template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in labels)) throw new Error(`template uses $labels.${name}, which the alert does not have`);
    return labels[name];
  });
  if (out.includes("{{")) throw new Error(`template construct not understood by the test: ${template}`);
  return out;
}

export interface ExpectedAlert {
  exp_labels: Labels;
  exp_annotations: Labels;
}

/** The alert `rule` raises for a series with `seriesLabels` (its metric name dropped). */
export function expectedAlert(rule: RuleDef, seriesLabels: Labels): ExpectedAlert {
  const labels = { ...seriesLabels, ...(rule.labels ?? {}) };
  const annotations: Labels = {};
  for (const [k, v] of Object.entries(rule.annotations ?? {})) annotations[k] = expandTemplate(v, labels);
  return { exp_labels: labels, exp_annotations: annotations };
}

export interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpectedAlert[];
}

export interface ExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}

export interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test?: AlertTest[];
  promql_expr_test?: ExprTest[];
}

export const seconds = (s: number): string => `${s}s`;

/** One alert check: at `t`, alert `name` fires exactly `alerts`. */
export function alertAt(t: number, name: string, alerts: ExpectedAlert[]): AlertTest {
  return { eval_time: seconds(t), alertname: name, exp_alerts: alerts };
}

/** `expr` at `t` is within `tolerance` of `value` for the series `labels` (name dropped). */
export function approxAt(t: number, expr: string, value: number, labels: Labels, tolerance = 1e-9): ExprTest {
  return {
    expr: `abs((${expr}) - ${value}) <= bool ${tolerance}`,
    eval_time: seconds(t),
    exp_samples: [{ labels: selector("", labels), value: 1 }],
  };
}

/**
 * Writes a promtool test file and returns its path. `groupOrder` fixes the order rule
 * groups run in at each step; without it promtool's order is not guaranteed, and an
 * alert may read the recorded ratios of the step before.
 */
export function writeTestFile(
  dir: string,
  file: string,
  ruleFile: string,
  evaluationSeconds: number,
  groups: TestGroup[],
  groupOrder: string[] = [],
): string {
  const path = join(dir, file);
  const doc = {
    rule_files: [ruleFile],
    evaluation_interval: seconds(evaluationSeconds),
    ...(groupOrder.length ? { group_eval_order: groupOrder } : {}),
    tests: groups,
  };
  writeFileSync(path, stringify(doc, { lineWidth: 0 }));
  return path;
}

export function promtoolTest(files: string[]): Promise<RunResult> {
  return run("promtool", ["test", "rules", ...files], { timeoutMs: 180_000 });
}

/** The date and time 2026 shares with a 1970 instant (same calendar, see above). */
function as2026(t: number): Date {
  const d = new Date(t * 1000);
  if (d.getUTCFullYear() !== 1970) throw new Error(`instant ${t} is not in 1970`);
  return new Date(Date.UTC(2026, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
}

/** Minutes after midnight on the Amsterdam wall clock, from the tz database (via 2026). */
export function amsterdamMinuteOfDay(t: number): number {
  return amsterdamMinuteAt(as2026(t));
}

/** True when 1970 instant `t` is inside [start, end) on the Amsterdam wall clock. */
export function inAmsterdamWindow(t: number, startMinute: number, endMinute: number): boolean {
  const local = amsterdamMinuteOfDay(t);
  return local >= startMinute && local < endMinute;
}

/** The UTC instant (seconds, 1970) at which Amsterdam's wall clock reads `minute` on that date. */
export function utcForAmsterdam1970(month: number, day: number, minuteOfDay: number): number {
  const midnightUtc = at1970(month, day);
  for (const offsetMinutes of [60, 120]) {
    const t = midnightUtc + (minuteOfDay - offsetMinutes) * 60;
    if (amsterdamMinuteOfDay(t) === minuteOfDay) return t;
  }
  throw new Error(`no UTC instant reads ${minuteOfDay} min on ${month}/${day}`);
}

/**
 * `expr` with every series recorded by `group` replaced by the rule's own expression,
 * recursively, so it can be evaluated where the recording rules never ran (a subquery).
 */
export function inlineRecorded(doc: RuleDoc, group: string, expr: string): string {
  const g = doc.groups.find((x) => x.name === group);
  if (!g) throw new Error(`no rule group ${group}`);
  const recorded = g.rules.filter((r) => r.record);
  let out = expr;
  for (let pass = 0; pass < recorded.length; pass++) {
    for (const r of recorded) out = out.split(r.record!).join(`(${r.expr})`);
  }
  if (recorded.some((r) => out.includes(r.record!))) throw new Error(`recording rules in ${group} refer to each other in a cycle`);
  return out;
}

/** A rules file holding only the named groups of `doc`, as rendered. */
export function onlyGroups(doc: RuleDoc, names: string[]): string {
  const groups = doc.groups.filter((g) => names.includes(g.name));
  if (groups.length !== names.length) throw new Error(`rule groups ${names.join(", ")} not all found`);
  return stringify({ groups }, { lineWidth: 0 });
}

export const NO_RULES = "groups: []\n";

const amsterdamDate = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Amsterdam",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/** Minutes after midnight on Amsterdam's wall clock at a real instant (tz database). */
export function amsterdamMinuteAt(instant: Date): number {
  const parts = amsterdamDate.formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return get("hour") * 60 + get("minute");
}
