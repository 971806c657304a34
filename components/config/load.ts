import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { load as loadYaml, YAMLException } from "js-yaml";
import { LineCounter, parseDocument } from "yaml";
import { Customer, PlatformConfig } from "./model";
import { CUSTOMER_RULES, PLATFORM_RULES, placeholderAddresses, registryRules } from "./rules";
import { checkSchema } from "./schemas";
import { ConfigError, Violation } from "./violations";

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
    const segments = [...source.prefix, ...v.path.split("/").filter(Boolean)].map((s) => (/^\d+$/.test(s) ? Number(s) : s));
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
  const violations = checkSchema("stack", y.data ?? {}, y.file);
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
  const warnings = p.environment === "prod" ? placeholderAddresses(p, at) : [];
  return { errors: PLATFORM_RULES.flatMap((rule) => rule(p, at)), warnings };
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
  const names = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const violations: Violation[] = [];
  const texts: Texts = new Map();
  const valid: Entry[] = [];
  const check = (name: string): Entry | undefined => {
    const y = readYaml(path.join(dir, name), root);
    texts.set(y.file, { text: y.text, prefix: [] });
    if (y.parseError) {
      violations.push(y.parseError);
      return undefined;
    }
    const schemaErrors = checkSchema("customer", y.data ?? {}, y.file);
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
    const own = names.find((n) => n.replace(/\.ya?ml$/, "") === focus);
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
  // A customer stack needs no file of its own until it sets config: it defaults to prod.
  const own = isCustomer && !hasStackFile(stack, root)
    ? { file: "", text: "", config: {} as Record<string, unknown>, violations: [] as Violation[] }
    : readStackConfig(stack, root);
  texts.set(own.file, { text: own.text, prefix: ["config"] });
  errors.push(...own.violations);
  const platformStack = isCustomer ? String(own.config["ezorg:platformStack"] ?? "prod") : stack;
  const platformSource = isCustomer ? readStackConfig(platformStack, root) : own;
  if (isCustomer) {
    texts.set(platformSource.file, { text: platformSource.text, prefix: ["config"] });
    errors.push(...platformSource.violations);
  }
  const platformValue = platformSource.config["ezorg:platform"];
  const checked = checkPlatform(platformValue, platformSource.file);
  errors.push(...checked.errors);
  const platform = checked.errors.length === 0 ? (platformValue as PlatformConfig) : undefined;

  const slug = stack.replace(/^customer-/, "");
  const registry = readCustomers(customersDir, root, platform, isCustomer ? slug : undefined);
  registry.texts.forEach((t, f) => texts.set(f, t));
  errors.push(...registry.violations);
  const customer = registry.customers.find((c) => c.slug === slug);
  if (isCustomer && !customer && !registry.violations.some((v) => v.file.endsWith(`/${slug}.yaml`))) {
    errors.push({ file: path.relative(root, customersDir) || customersDir, path: "", value: `${slug}.yaml`, rule: `stack ${stack} needs the descriptor ${slug}.yaml`, fix: `create ${slug}.yaml from an example in that folder, or check the stack name` });
  }

  if (errors.length > 0 || !platform) throw new ConfigError(addLines(errors, texts));
  const warnings = addLines(checked.warnings, texts);
  return isCustomer
    ? { kind: "customer", stack, platformStack, platform, customer: customer!, customers: registry.customers, warnings }
    : { kind: "platform", stack, platform, customers: registry.customers, warnings };
}
