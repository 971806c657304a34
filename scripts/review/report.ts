import { createTwoFilesPatch } from "diff";
import { Change, FileChange, PropertyChange } from "./changes";
import { RiskFlag } from "./flags";

export interface StackReport {
  stack: string;
  changes: Change[];
  flags: RiskFlag[];
  /** Rendered configuration files that change (plans only: engine events do not carry them). */
  files?: FileChange[];
}

export interface Report {
  /** What was compared, e.g. `main..working tree` or `preview`. */
  source: string;
  stacks: StackReport[];
}

const ICON: Record<Change["op"], string> = { create: "+", update: "~", replace: "±", delete: "-" };

/** A value short enough for a table cell. */
function cell(value: unknown): string {
  if (value === undefined) return "∅";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const oneLine = text.replace(/\n/g, "⏎");
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}… (${text.length} chars)` : oneLine;
}

function propertyLine(p: PropertyChange): string {
  return `\`${p.path}\`: ${cell(p.before)} → ${cell(p.after)}`;
}

/** Changed rendered files as unified diffs. */
function fileDiffs(stack: StackReport): string[] {
  return (stack.files ?? []).map((f) => createTwoFilesPatch(`${f.component} ${f.file}`, `${f.component} ${f.file}`, f.before ?? "", f.after ?? "", "", "", { context: 2 }));
}

/** The report as Markdown for a pull request: flags first, then each stack's changes. */
export function toMarkdown(report: Report): string {
  const flags = report.stacks.flatMap((s) => s.flags);
  const high = flags.filter((f) => f.severity === "high").length;
  const changed = report.stacks.filter((s) => s.changes.length > 0 || (s.files ?? []).length > 0);
  const lines = [`## ezorg review (${report.source})`, "", `${changed.length} stack${changed.length === 1 ? "" : "s"} changed, ${flags.length} risk flag${flags.length === 1 ? "" : "s"} (${high} high).`, ""];
  if (flags.length) {
    lines.push("### Risk flags", "");
    for (const f of flags) lines.push(`- ${f.severity === "high" ? "🛑 **high**" : "⚠️ medium"} \`${f.code}\` in \`${f.stack}\`${f.resource ? ` (${f.resource})` : ""}: ${f.message}`);
    lines.push("");
  }
  for (const s of report.stacks.filter((x) => x.changes.length > 0 || (x.files ?? []).length > 0)) {
    const count = (op: Change["op"]) => s.changes.filter((c) => c.op === op).length;
    lines.push(`### Stack \`${s.stack}\``, "", `${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete.`, "");
    lines.push("| | component | resource | changed properties |", "|---|---|---|---|");
    for (const c of s.changes) {
      const props = c.properties.map(propertyLine).join("<br>") || (c.op === "create" ? "new" : c.op === "delete" ? "removed" : "");
      lines.push(`| ${ICON[c.op]} ${c.op} | ${c.component} | ${c.type.replace(/:index\/[^:]+:/, ":")} \`${c.name}\` | ${props.replace(/\|/g, "\\|")} |`);
    }
    lines.push("");
    const diffs = fileDiffs(s);
    if (diffs.length) lines.push("<details><summary>Rendered configuration files that change</summary>", "", "```diff", ...diffs.map((d) => d.trimEnd()), "```", "</details>", "");
  }
  return lines.join("\n");
}

/** The report for machines: the same content; long strings keep their length, not their text. */
export function toJson(report: Report): object {
  const shorten = (v: unknown): unknown =>
    typeof v === "string" && v.length > 200 ? `${v.slice(0, 60)}… (${v.length} chars)` : Array.isArray(v) ? v.map(shorten) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x)])) : v;
  return {
    source: report.source,
    stacks: report.stacks.map((s) => ({
      stack: s.stack,
      flags: s.flags,
      changes: s.changes.map((c) => ({ urn: c.urn, type: c.type, name: c.name, component: c.component, op: c.op, properties: shorten(c.properties) })),
      files: (s.files ?? []).map((f) => ({ component: f.component, file: f.file })),
    })),
  };
}
