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
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => toViolation(e, file, pathPrefix));
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
    const props = parent.properties as Record<string, Record<string, unknown>> | undefined;
    const childFix = props?.[missing]?.["x-fix"];
    fix = `add ${missing}${typeof childFix === "string" ? `: ${childFix}` : ""}`;
  } else if (e.keyword === "additionalProperties") {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    path = `${path}/${extra}`;
    value = (e.data as Record<string, unknown>)[extra];
    fix = `remove ${extra} or correct its spelling; allowed here: ${Object.keys(
      (parent.properties as object) ?? {},
    ).join(", ")}`;
  } else if (e.keyword === "propertyNames") {
    value = (e.params as { propertyName: string }).propertyName;
  }
  return {
    file,
    path: joinPath(pathPrefix, path),
    value,
    rule: e.keyword === "pattern" && typeof parent["x-rule"] === "string" ? (parent["x-rule"] as string) : ruleText(e),
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
      return `must be of type ${p.type}`;
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
