import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import customerSchema from "../../stacks/schemas/customer.schema.json";
import platformSchema from "../../stacks/schemas/platform.schema.json";
import stackSchema from "../../stacks/schemas/stack.schema.json";
import { Violation } from "./violations";

export type SchemaName = "platform" | "customer" | "stack";

let compiled: Record<SchemaName, ValidateFunction> | undefined;

/** Compiles the three schemas once per process. */
function validators(): Record<SchemaName, ValidateFunction> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
  addFormats(ajv, ["hostname", "ipv4", "email"]);
  // The schemas carry a fix next to every rule (and words for some patterns); ajv only
  // needs to know the keywords exist.
  ajv.addKeyword({ keyword: "x-fix", schemaType: "string" });
  ajv.addKeyword({ keyword: "x-rule", schemaType: "string" });
  compiled = {
    platform: ajv.compile(platformSchema),
    customer: ajv.compile(customerSchema),
    stack: ajv.compile(stackSchema),
  };
  return compiled;
}

/**
 * Validates `data` against a schema and returns every violation, each with the rule in
 * words and the fix the schema gives for that field.
 */
export function checkSchema(
  name: SchemaName,
  data: unknown,
  file: string,
  pathPrefix = "",
): Violation[] {
  const validate = validators()[name];
  if (data === null || data === undefined) {
    return [{ file, path: pathPrefix, rule: "is empty", fix: name === "customer" ? "fill it in from an example in stacks/customers/" : "write the stack's config in it, as in stacks/Pulumi.prod.yaml" }];
  }
  if (validate(data)) return [];
  return tidy((validate.errors ?? []).map((e) => toViolation(e, file, pathPrefix)));
}

const ANY_OF_RULE = "is not a key this toolkit reads";

/** Values that must never be printed, even when they are wrong. */
const SECRET_PATH = /(Key|Password|Token|Certificate|passwordHash|publicKey)$/;

/**
 * One mistake, one line: a wrong type hides the enum or range errors of the same field,
 * and a misspelt key is reported once, as the key it probably should be.
 */
function tidy(violations: Violation[]): Violation[] {
  const typed = new Set(violations.filter((v) => v.rule.startsWith("must be of type") || v.rule.startsWith("must be a")).map((v) => v.path));
  let out = violations.filter((v, i) => {
    const first = violations.findIndex((w) => w.path === v.path);
    return first === i || !typed.has(v.path);
  });
  // A key that matches no allowed name fails several sub-schemas; the anyOf line says it all.
  const anyOf = new Set(out.filter((v) => v.rule === ANY_OF_RULE).map((v) => v.path));
  out = out.filter((v) => v.rule === ANY_OF_RULE || !anyOf.has(v.path));
  const split = (p: string) => {
    const i = p.lastIndexOf("/");
    return { parent: i >= 0 ? p.slice(0, i) : "", key: p.slice(i + 1) };
  };
  const missing = out.filter((v) => v.rule === "is required");
  for (const unknown of out.filter((v) => v.rule === "is not a known field")) {
    const { parent, key } = split(unknown.path);
    const match = missing.find((m) => split(m.path).parent === parent && editDistance(split(m.path).key, key) <= 2);
    if (match) {
      const wanted = split(match.path).key;
      out = out.filter((v) => v !== match);
      unknown.rule = `is not a known field; ${wanted} is required here`;
      unknown.fix = `rename ${key} to ${wanted}`;
    }
  }
  return out.map((v) => (SECRET_PATH.test(v.path) && v.value !== undefined ? { ...v, value: "[hidden]" } : v));
}

/** Levenshtein distance, for spotting a misspelt key. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function toViolation(e: ErrorObject, file: string, pathPrefix: string): Violation {
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  let path = e.instancePath;
  let value: unknown = e.data;
  let fix = typeof parent["x-fix"] === "string" ? (parent["x-fix"] as string) : "see the schema";
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    path = `${path}/${missing}`;
    value = undefined;
    const child = (parent.properties as Record<string, Record<string, unknown>> | undefined)?.[missing];
    const fields = child?.type === "object" ? (child.required as string[] | undefined) : undefined;
    fix = fields?.length ? `add ${missing} with its fields ${fields.join(", ")}` : `add ${missing}${typeof child?.["x-fix"] === "string" ? `: ${child["x-fix"]}` : ""}`;
  } else if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    path = `${path}/${extra}`;
    value = (e.data as Record<string, unknown>)[extra];
    fix = `remove ${extra} or correct its spelling; allowed here: ${Object.keys(
      (parent.properties as object) ?? {},
    ).join(", ")}`;
  }
  // Errors about a key's name carry the key; report them at the key, not at its parent.
  const keyName = (e as ErrorObject & { propertyName?: string }).propertyName ?? (e.keyword === "propertyNames" ? (e.params as { propertyName: string }).propertyName : undefined);
  if (keyName !== undefined) {
    path = `${path}/${keyName}`;
    value = keyName;
    if (e.keyword === "anyOf") {
      return { file, path: joinPath(pathPrefix, path), value, rule: ANY_OF_RULE, fix };
    }
  }
  return {
    file,
    path: joinPath(pathPrefix, path),
    value,
    rule: typeof parent["x-rule"] === "string" && e.keyword !== "required" && e.keyword !== "additionalProperties" ? (parent["x-rule"] as string) : ruleText(e),
    fix,
  };
}

function joinPath(prefix: string, pointer: string): string {
  const tail = pointer.replace(/^\//, "").replace(/~1/g, "/").replace(/~0/g, "~");
  if (!prefix) return tail;
  return tail ? `${prefix}/${tail}` : prefix;
}

function ruleText(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return "is required";
    case "additionalProperties":
      return "is not a known field";
    case "format":
      return `must be a valid ${p.format}`;
    case "pattern":
      return `must match ${p.pattern}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).join(", ")}`;
    case "type":
      return p.type === "object" ? "must be a mapping of key: value lines" : p.type === "array" ? "must be a list (lines starting with -)" : `must be of type ${p.type}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `must be ${p.comparison} ${p.limit}`;
    case "minItems":
      return `must list at least ${p.limit} item${p.limit === 1 ? "" : "s"}`;
    case "uniqueItems":
      return `must not repeat an item (items ${p.j} and ${p.i} are the same)`;
    default:
      return e.message ?? e.keyword;
  }
}
