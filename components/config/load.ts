import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { load as loadYaml, YAMLException } from "js-yaml";
import { LineCounter, parseDocument } from "yaml";
import { Customer, PlatformConfig } from "./model";
import { certificationCurrent, CUSTOMER_RULES, PLATFORM_RULES, placeholderAddresses, privateEgress, registryRules } from "./rules";
import { checkSchema } from "./schemas";
import { ConfigError, Violation } from "./violations";

/** What `--stack` may be: Pulumi's own stack names, and no path tricks. */
const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The platform a descriptor names (default prod), read before the descriptor is validated. */
function peekPlatform(file: string): string {
  try {
    const doc = loadYaml(readFileSync(file, "utf8")) as { platform?: unknown } | undefined;
    return typeof doc?.platform === "string" ? doc.platform : "prod";
  } catch {
    return "prod";
  }
}

/** The folder holding Pulumi.yaml. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface LoadOptions {
  /** Project folder; defaults to the one this file lives in. */
  root?: string;
  /** Folder of customer descriptors; defaults to `<root>/stacks/customers`. */
  customersDir?: string;
}

export type StackModel =
  | { kind: "platform"; stack: string; platform: PlatformConfig; customers: Customer[]; warnings: Violation[] }
  | { kind: "customer"; stack: string; platformStack: string; platform: PlatformConfig; customer: Customer; customers: Customer[]; warnings: Violation[] };

interface YamlFile {
  file: string;
  text: string;
  data: unknown;
  parseError?: Violation;
}

/*
 * Two YAML libraries, each for what it does best: js-yaml parses (six times faster than
 * `yaml` on a registry of 10,000 descriptors), `yaml` keeps node positions, so a
 * violation can name its line. Both read YAML 1.2, so they agree on every value.
 */
function readYaml(absolute: string, root: string): YamlFile {
  const file = path.relative(root, absolute) || absolute;
  const text = readFileSync(absolute, "utf8");
  try {
    return { file, text, data: loadYaml(text, { filename: file }) };
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    return {
      file,
      text,
      data: undefined,
      parseError: { file, path: "", line: err.mark ? err.mark.line + 1 : undefined, rule: `is not valid YAML (${err.reason})`, fix: "correct the YAML syntax at that line" },
    };
  }
}

/**
 * Adds line numbers to violations. Only runs when something is wrong, so the fast path
 * (every file valid) never builds a YAML syntax tree.
 */
function addLines(violations: Violation[], files: Map<string, { text: string; prefix: string[] }>): Violation[] {
  const docs = new Map<string, { doc: ReturnType<typeof parseDocument>; lines: LineCounter }>();
  return violations.map((v) => {
    const source = files.get(v.file);
    if (!source || v.line) return v;
    let entry = docs.get(v.file);
    if (!entry) {
      const lines = new LineCounter();
      entry = { doc: parseDocument(source.text, { lineCounter: lines }), lines };
      docs.set(v.file, entry);
    }
    // Stack-file schema paths start at the file's top (`config/...`); platform paths at `ezorg:platform`.
    const own = v.path.split("/").filter(Boolean);
    const segments = (own[0] === source.prefix[0] ? own : [...source.prefix, ...own]).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    for (let n = segments.length; n >= 0; n--) {
      const node = entry.doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return { ...v, line: entry.lines.linePos(node.range[0]).line };
    }
    return v;
  });
}

function stackFilePath(root: string, stack: string): string {
  return path.join(root, "stacks", `Pulumi.${stack}.yaml`);
}

/** Names of the stacks that have a file in `stacks/`. */
export function listStacks(root = PROJECT_ROOT): string[] {
  return readdirSync(path.join(root, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s))
    .sort();
}

/** True when `stacks/Pulumi.<stack>.yaml` exists. */
export function hasStackFile(stack: string, root = PROJECT_ROOT): boolean {
  return existsSync(stackFilePath(root, stack));
}

/** Reads and schema-checks one stack file; returns its `config` map. */
export function readStackConfig(stack: string, root = PROJECT_ROOT): { file: string; text: string; config: Record<string, unknown>; violations: Violation[] } {
  const y = readYaml(stackFilePath(root, stack), root);
  if (y.parseError) return { file: y.file, text: y.text, config: {}, violations: [y.parseError] };
  const violations = checkSchema("stack", y.data, y.file);
  const config = ((y.data as { config?: Record<string, unknown> })?.config ?? {}) as Record<string, unknown>;
  return { file: y.file, text: y.text, config, violations };
}

/** Schema and rules for a platform configuration value. */
export function checkPlatform(value: unknown, file: string): { errors: Violation[]; warnings: Violation[] } {
  const prefix = "ezorg:platform";
  const errors = checkSchema("platform", value, file, prefix);
  if (errors.length > 0) return { errors, warnings: [] };
  const p = value as PlatformConfig;
  const at = (sub: string) => ({ file, path: sub ? `${prefix}/${sub}` : prefix });
  const warnings = [...(p.environment === "prod" ? placeholderAddresses(p, at) : []), ...privateEgress(p, at)];
  return { errors: [...PLATFORM_RULES, certificationCurrent(new Date())].flatMap((rule) => rule(p, at)), warnings };
}

type Texts = Map<string, { text: string; prefix: string[] }>;
type Entry = { customer: Customer; at: (p: string) => { file: string; path: string } };

/**
 * Reads, schema-checks and rule-checks the customer descriptors of a folder. With
 * `focus` (a slug), that descriptor is checked in full and the others only where their
 * text names one of its domains or its login: enough for the registry rules that
 * concern it, without parsing thousands of files. `ezorg validate` reads them all.
 */
export function readCustomers(dir: string, root: string, platform?: PlatformConfig, focus?: string): { customers: Customer[]; violations: Violation[]; texts: Texts } {
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && /\.ya?ml$/.test(e.name));
  const violations: Violation[] = [];
  // One spelling, so one slug can never have two descriptors (x.yaml and x.yml).
  for (const e of entries.filter((x) => x.name.endsWith(".yml"))) {
    violations.push({ file: path.relative(root, path.join(dir, e.name)), path: "", rule: "descriptors end in .yaml", fix: `rename it to ${e.name.replace(/\.yml$/, ".yaml")} (and remove any other descriptor of that slug)` });
  }
  const names = entries.map((e) => e.name).filter((n) => n.endsWith(".yaml")).sort();
  const texts: Texts = new Map();
  const valid: Entry[] = [];
  const check = (name: string): Entry | undefined => {
    const y = readYaml(path.join(dir, name), root);
    texts.set(y.file, { text: y.text, prefix: [] });
    if (y.parseError) {
      violations.push(y.parseError);
      return undefined;
    }
    const schemaErrors = checkSchema("customer", y.data, y.file);
    if (schemaErrors.length > 0) {
      violations.push(...schemaErrors);
      return undefined;
    }
    const entry = { customer: y.data as Customer, at: (p: string) => ({ file: y.file, path: p }) };
    violations.push(...CUSTOMER_RULES.flatMap((rule) => rule(entry.customer, entry.at, platform)));
    valid.push(entry);
    return entry;
  };

  if (focus === undefined) {
    names.forEach(check);
  } else {
    const own = names.find((n) => n === `${focus}.yaml`);
    const mine = own ? check(own) : undefined;
    if (mine) {
      const needles = [...mine.customer.domains, ...(mine.customer.credential ? [mine.customer.credential.username] : [])];
      for (const name of names) {
        if (name === own) continue;
        const text = readFileSync(path.join(dir, name), "utf8");
        if (needles.some((n) => text.includes(n))) check(name);
      }
    }
  }
  // File order, so a conflict is reported at the same place whichever stack is loaded.
  valid.sort((a, b) => a.at("").file.localeCompare(b.at("").file));
  violations.push(...registryRules(valid));
  return { customers: valid.map((e) => e.customer), violations, texts };
}

/**
 * Loads a stack's whole model: the platform configuration and the customer registry,
 * validated. Throws a ConfigError listing every violation; nothing is half-loaded.
 */
export function loadStack(stack: string, options: LoadOptions = {}): StackModel {
  const root = options.root ?? PROJECT_ROOT;
  const customersDir = options.customersDir ?? path.join(root, "stacks", "customers");
  const texts = new Map<string, { text: string; prefix: string[] }>();
  const errors: Violation[] = [];

  const isCustomer = stack.startsWith("customer-");
  const slug = stack.replace(/^customer-/, "");
  const fail = (v: Omit<Violation, "file"> & { file?: string }): never => {
    throw new ConfigError([{ file: v.file ?? "stacks/", ...v }]);
  };
  if (!STACK_NAME.test(stack)) {
    fail({ file: "(command line)", path: "--stack", value: stack, rule: "is not a stack name (lower-case letters, digits and hyphens)", fix: `use one of ${listStacks(root).join(", ")}, or customer-<slug>` });
  }
  const descriptorFile = path.join(customersDir, `${slug}.yaml`);
  if (isCustomer && !existsSync(descriptorFile)) {
    fail({ file: "(command line)", path: "--stack", value: stack, rule: `needs the descriptor ${path.relative(root, descriptorFile)}, which does not exist`, fix: `create it from an example in ${path.relative(root, customersDir)}/, or use one of ${listStacks(root).filter((s) => s.startsWith("customer-")).join(", ")}` });
  }
  if (!isCustomer && !hasStackFile(stack, root)) {
    fail({ file: "(command line)", path: "--stack", value: stack, rule: `has no stack file stacks/Pulumi.${stack}.yaml`, fix: `use one of ${listStacks(root).join(", ")}` });
  }

  // A customer stack needs no file of its own until it sets config; its descriptor names the platform.
  const own = isCustomer && !hasStackFile(stack, root)
    ? { file: "", text: "", config: {} as Record<string, unknown>, violations: [] as Violation[] }
    : readStackConfig(stack, root);
  texts.set(own.file, { text: own.text, prefix: ["config"] });
  errors.push(...own.violations);
  const platformStack = isCustomer ? peekPlatform(descriptorFile) : stack;
  if (isCustomer && !hasStackFile(platformStack, root)) {
    fail({ file: path.relative(root, descriptorFile), path: "platform", value: platformStack, rule: `names a platform without a stack file (stacks/Pulumi.${platformStack}.yaml)`, fix: "use test or prod" });
  }
  const platformSource = isCustomer ? readStackConfig(platformStack, root) : own;
  if (isCustomer) {
    texts.set(platformSource.file, { text: platformSource.text, prefix: ["config"] });
    errors.push(...platformSource.violations);
    if ("ezorg:platform" in own.config) {
      errors.push({ file: own.file, path: "config/ezorg:platform", rule: "a customer stack carries no platform configuration", fix: `remove it; the platform comes from stacks/Pulumi.${platformStack}.yaml` });
    }
  }
  const platformValue = platformSource.config["ezorg:platform"];
  // A file that did not parse has no platform to check; its syntax error says enough.
  const unreadable = platformSource.violations.some((v) => v.rule.startsWith("is not valid YAML"));
  const checked = unreadable ? { errors: [], warnings: [] } : checkPlatform(platformValue, platformSource.file);
  errors.push(...checked.errors);
  const platform = !unreadable && checked.errors.length === 0 ? (platformValue as PlatformConfig) : undefined;
  if (platform && platform.environment !== platformStack) {
    errors.push({ file: platformSource.file, path: "ezorg:platform/environment", value: platform.environment, rule: `the file is stack ${platformStack}; its environment must say so`, fix: `set environment to ${platformStack}` });
  }

  const registry = readCustomers(customersDir, root, platform, isCustomer ? slug : undefined);
  registry.texts.forEach((t, f) => texts.set(f, t));
  errors.push(...registry.violations);
  const customer = registry.customers.find((c) => c.slug === slug);

  if (errors.length > 0 || !platform) throw new ConfigError(addLines(errors, texts));
  const warnings = addLines(checked.warnings, texts);
  return isCustomer
    ? { kind: "customer", stack, platformStack, platform, customer: customer!, customers: registry.customers, warnings }
    : { kind: "platform", stack, platform, customers: registry.customers.filter((c) => (c.platform ?? "prod") === stack), warnings };
}
