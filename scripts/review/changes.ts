import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import diff from "microdiff";
import { maskSecrets, PlannedResource } from "../plan/run";

/** A resource as both sources describe it: a plan entry, or an engine event's state. */
export interface ResourceState {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  inputs: Record<string, unknown>;
  /** A component's registered outputs (its rendered files), from plans only. */
  outputs?: Record<string, unknown>;
}

export type Op = "create" | "update" | "replace" | "delete";

export interface PropertyChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface Change {
  urn: string;
  type: string;
  name: string;
  /** The top-level component the resource belongs to, or `(stack)`. */
  component: string;
  op: Op;
  properties: PropertyChange[];
  before?: ResourceState;
  after?: ResourceState;
}

/*
 * Whether a changed input replaces the resource. Plans carry no provider schema, so this
 * table mirrors the providers': Docker containers, volumes, networks and images are
 * replaced on any input change; a Cloudflare record only when its zone, name or type
 * changes; provider configuration is updated in place.
 */
const REPLACE_ON: Record<string, "any" | string[]> = {
  "cloudflare:index/dnsRecord:DnsRecord": ["zoneId", "name", "type"],
  "cloudflare:index/zoneDnssec:ZoneDnssec": ["zoneId"],
};

function replaces(type: string, paths: string[]): boolean {
  if (type.startsWith("pulumi:providers:")) return false;
  const rule = REPLACE_ON[type] ?? "any";
  return rule === "any" ? paths.length > 0 : paths.some((p) => rule.includes(p.split(".")[0]));
}

function pathOf(parts: (string | number)[]): string {
  return parts.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "");
}

/** Docker's `labels: [{label, value}]` as a map, so a change names its label, not its index. */
function byLabel(inputs: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(inputs.labels)) return inputs;
  const labels = Object.fromEntries((inputs.labels as { label: string; value: unknown }[]).map((l) => [l.label, l.value]));
  return { ...inputs, labels };
}

/** Changed input paths, shallowest first. */
export function propertyChanges(before: Record<string, unknown>, after: Record<string, unknown>): PropertyChange[] {
  return diff(byLabel(before), byLabel(after)).map((d) => ({
    path: pathOf(d.path),
    ...("oldValue" in d ? { before: d.oldValue } : {}),
    ...("value" in d ? { after: d.value } : {}),
  }));
}

/** Name of the top-level component above a resource, following parent URNs. */
function componentOf(urn: string, parents: Map<string, ResourceState>): string {
  let current = parents.get(urn);
  let name = "(stack)";
  while (current?.parent && parents.has(current.parent)) {
    current = parents.get(current.parent)!;
    name = current.name;
  }
  return name;
}

/** A resource of a plan, from `planStack` or from `ezorg plan --json`. */
export type PlanEntry = Omit<PlannedResource, "custom" | "parent"> & { custom?: boolean; parent?: string | null };

/** A rendered configuration file a component registered, where it differs between two plans. */
export interface FileChange {
  component: string;
  file: string;
  before?: string;
  after?: string;
}

/** Files of the components' registered `files` outputs that differ between two plans. */
export function diffFiles(before: PlanEntry[], after: PlanEntry[]): FileChange[] {
  const files = (plan: PlanEntry[]) => {
    const out = new Map<string, { component: string; file: string; text: string }>();
    for (const r of plan) {
      for (const [k, v] of Object.entries((r.outputs?.files ?? {}) as Record<string, unknown>)) {
        // Multi-node components register files per node: {node: {path: text}}.
        const entries = typeof v === "string" ? [[k, v] as const] : Object.entries(v as Record<string, string>).map(([f, t]) => [`${k}:${f}`, t] as const);
        for (const [file, text] of entries) out.set(`${r.name} ${file}`, { component: r.name, file, text });
      }
    }
    return out;
  };
  const [b, a] = [files(before), files(after)];
  return [...new Set([...b.keys(), ...a.keys()])]
    .sort()
    .filter((key) => b.get(key)?.text !== a.get(key)?.text)
    .map((key) => ({ component: (a.get(key) ?? b.get(key))!.component, file: (a.get(key) ?? b.get(key))!.file, before: b.get(key)?.text, after: a.get(key)?.text }));
}

/** Changes between two plans of one stack, by URN; unchanged resources are left out. */
export function diffPlans(before: PlanEntry[], after: PlanEntry[]): Change[] {
  const all = new Map<string, ResourceState & { custom?: boolean }>();
  for (const r of [...before, ...after]) all.set(r.urn, { ...r, parent: r.parent ?? undefined });
  const old = new Map(before.map((r) => [r.urn, { ...r, parent: r.parent ?? undefined }]));
  const now = new Map(after.map((r) => [r.urn, { ...r, parent: r.parent ?? undefined }]));
  const changes: Change[] = [];
  for (const urn of new Set([...old.keys(), ...now.keys()])) {
    const b = old.get(urn);
    const a = now.get(urn);
    const r = (a ?? b)!;
    // Plan JSON leaves `custom` out; the project's own component tokens start with `ezorg:`.
    if (r.custom === false || (r.custom === undefined && r.type.startsWith("ezorg:"))) continue;
    const base = { urn, type: r.type, name: r.name, component: componentOf(urn, all), before: b, after: a };
    if (!b) changes.push({ ...base, op: "create", properties: [] });
    else if (!a) changes.push({ ...base, op: "delete", properties: [] });
    else {
      const properties = propertyChanges(b.inputs, a.inputs);
      if (properties.length) changes.push({ ...base, op: replaces(r.type, properties.map((p) => p.path)) ? "replace" : "update", properties });
    }
  }
  return changes;
}

const OPS: Partial<Record<OpType, Op>> = {
  create: "create",
  update: "update",
  delete: "delete",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
};

function stateOf(s: { urn: string; type: string; parent: string; inputs: Record<string, unknown> } | undefined): ResourceState | undefined {
  if (!s) return undefined;
  const name = s.urn.slice(s.urn.lastIndexOf("::") + 2);
  return { urn: s.urn, type: s.type, name, parent: s.parent || undefined, inputs: maskSecrets(s.inputs ?? {}) as Record<string, unknown> };
}

/** Changes from the engine events of a real preview (Automation API), one per resource. */
export function changesFromEvents(events: EngineEvent[]): Change[] {
  const states = new Map<string, ResourceState>();
  const steps = events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata] : []));
  for (const m of steps) for (const s of [stateOf(m.old), stateOf(m.new)]) if (s) states.set(s.urn, s);
  const byUrn = new Map<string, Change>();
  for (const m of steps) {
    const op = OPS[m.op];
    if (!op || byUrn.has(m.urn) || m.type.startsWith("pulumi:pulumi:")) continue;
    const before = stateOf(m.old);
    const after = stateOf(m.new);
    const properties = before && after ? propertyChanges(before.inputs, after.inputs) : [];
    const listed = m.diffs ?? Object.keys(m.detailedDiff ?? {});
    const known = new Set(properties.map((p) => p.path.split(/[.[]/)[0]));
    for (const key of listed) if (!known.has(key.split(/[.[]/)[0])) properties.push({ path: key });
    const name = m.urn.slice(m.urn.lastIndexOf("::") + 2);
    byUrn.set(m.urn, { urn: m.urn, type: m.type, name, component: componentOf(m.urn, states), op, properties, before, after });
  }
  return [...byUrn.values()];
}
