import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import * as path from "node:path";
import { loadStack, PROJECT_ROOT } from "../../components/config/load";
import { Customer, PlatformConfig, STAGES } from "../../components/config/model";
import { ConfigError, formatViolation } from "../../components/config/violations";
import { instructionsFor } from "../../components/onboarding/instructions";
import { checksFor } from "../checks";
import { AuditLog } from "../onboard/audit";
import { walk } from "../onboard/engine";
import { planFor } from "../onboard/stages";
import { StateStore } from "../onboard/state";
import { CheckTargets } from "../onboard/types";
import { CommonOptions, loadOptions } from "./options";

export interface OnboardOptions extends CommonOptions {
  status?: boolean;
  json?: boolean;
  dryRun?: boolean;
  advance?: boolean;
  rollback?: boolean;
  script?: boolean;
  confirm?: string[];
  operator?: string;
  resolver?: string;
}

/** Who is acting: --operator, EZORG_OPERATOR, git's user.email, or the login name. */
export function operatorName(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.EZORG_OPERATOR) return process.env.EZORG_OPERATOR;
  try {
    const email = execFileSync("git", ["config", "user.email"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (email) return email;
  } catch {
    // no git identity: fall back to the login name
  }
  return userInfo().username;
}

/** Where the checks look, from the platform's own addresses; the resolver from --resolver. */
export function targetsFor(platform: PlatformConfig, resolver = "127.0.0.1:53"): CheckTargets {
  const m = /^(.+):(\d+)$/.exec(resolver);
  if (!m) throw new Error(`--resolver is "${resolver}": give it as address:port of a DNSSEC-validating resolver, e.g. 127.0.0.1:53`);
  return {
    resolver: { host: m[1], port: Number(m[2]) },
    relay: { host: platform.relay.address, port: platform.relay.port },
    secureNodes: platform.secureNodes.nodes.map((n) => ({ host: n.address, port: platform.secureNodes.port })),
  };
}

function status(root: string, customer: Customer, json: boolean, audit: AuditLog, state: StateStore): void {
  const s = state.load(customer.slug);
  const broken = audit.verify();
  const position = STAGES.indexOf(customer.stage) + 1;
  if (json) {
    process.stdout.write(`${JSON.stringify({ customer: customer.slug, stage: customer.stage, position, of: STAGES.length, stages: s.stages, audit: { file: path.relative(root, audit.file), entries: audit.entries().length, intact: broken.length === 0, broken } }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${customer.organisation} (${customer.slug}): stage ${position}/${STAGES.length} ${customer.stage}, ${planFor(customer.stage).title}\n`);
  for (const stage of STAGES) {
    const last = s.stages[stage];
    if (last) process.stdout.write(`  ${last.passed ? "✓" : "✗"} ${stage}: ${last.results.filter((r) => r.ok).length}/${last.results.length} checks passed at ${last.at}\n`);
  }
  process.stdout.write(`audit log ${path.relative(root, audit.file)}: ${audit.entries().length} entries, ${broken.length === 0 ? "chain intact" : `chain broken at line ${broken.join(", ")}`}\n`);
}

export async function onboardCommand(slug: string, opts: OnboardOptions): Promise<void> {
  const load = loadOptions(opts);
  const root = load.root ?? PROJECT_ROOT;
  let model;
  try {
    model = loadStack(`customer-${slug}`, load);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.violations.map((v) => `✗ ${formatViolation(v)}\n`).join("")}nothing was checked or changed.\n`);
    process.exitCode = 1;
    return;
  }
  if (model.kind !== "customer") return;
  const { platform, customer } = model;
  const audit = new AuditLog(path.join(root, ".ezorg", "audit", `${slug}.jsonl`), operatorName(opts.operator));
  const state = new StateStore(path.join(root, ".ezorg", "onboarding"));

  if (opts.status) return status(root, customer, Boolean(opts.json), audit, state);
  if (opts.script) {
    const script = instructionsFor(platform, customer, customer.stage).script;
    process.stdout.write(script ? script.content : `# stage ${customer.stage} has no script for ${customer.mailServer.software}; follow the steps of \`ezorg onboard ${slug}\`\n`);
    return;
  }

  const outcome = await walk(
    platform,
    customer,
    {
      checksFor: (c) => checksFor(c),
      targets: targetsFor(platform, opts.resolver),
      audit,
      state,
      out: (line) => process.stdout.write(`${line}\n`),
      now: () => new Date(),
      instructions: instructionsFor,
    },
    { descriptorFile: path.join(load.customersDir ?? path.join(root, "stacks", "customers"), `${slug}.yaml`), advance: opts.advance, rollback: opts.rollback, confirm: opts.confirm, dryRun: opts.dryRun },
  );
  if (opts.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  if (!outcome.passed) process.exitCode = 1;
}
