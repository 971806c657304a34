import { load } from "js-yaml";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { $ } from "zx";
import { listStacks } from "../../components/config/load";
import { PlanEntry } from "./changes";

/** Code and shared data: a change here can alter every stack's desired state. */
const AFFECTS_ALL = [/^components\//, /^policy\//, /^scripts\/plan\//, /^index\.ts$/, /^package(-lock)?\.json$/, /^stacks\/schemas\//, /^stacks\/customers\//];

/** A checkout of `ref` beside the repository, sharing its node_modules; removed by `close`. */
export async function checkout(root: string, ref: string): Promise<{ dir: string; close: () => Promise<void> }> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "ezorg-review-")), "base");
  await $({ cwd: root, quiet: true })`git worktree add --detach ${dir} ${ref}`;
  if (!existsSync(path.join(dir, "node_modules"))) symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  return {
    dir,
    close: async () => {
      await $({ cwd: root, quiet: true, nothrow: true })`git worktree remove --force ${dir}`;
      rmSync(path.dirname(dir), { recursive: true, force: true });
    },
  };
}

/** Files that differ between `ref` and the working tree, uncommitted and untracked ones included. */
export async function changedFiles(root: string, ref: string): Promise<string[]> {
  const tracked = (await $({ cwd: root, quiet: true })`git diff --name-only ${ref}`).stdout;
  const untracked = (await $({ cwd: root, quiet: true })`git ls-files --others --exclude-standard`).stdout;
  return [...tracked.split("\n"), ...untracked.split("\n")].filter(Boolean);
}

/**
 * Stacks whose desired state may differ: all of them when code or the registry changed,
 * otherwise those whose stack file changed, and customer stacks on a changed platform.
 */
export function stacksToCompare(files: string[], baseStacks: string[], workStacks: string[], platformOf: (stack: string) => string): string[] {
  const all = [...new Set([...baseStacks, ...workStacks])].sort();
  if (files.some((f) => AFFECTS_ALL.some((re) => re.test(f)))) return all;
  const changedStacks = new Set(files.map((f) => /^stacks\/Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter(Boolean) as string[]);
  return all.filter((s) => changedStacks.has(s) || (s.startsWith("customer-") && changedStacks.has(platformOf(s))));
}

/** Which platform a customer's descriptor names (default prod). */
export function platformOf(root: string, stack: string): string {
  const file = path.join(root, "stacks", "customers", `${stack.slice("customer-".length)}.yaml`);
  if (!existsSync(file)) return "prod";
  const doc = load(readFileSync(file, "utf8")) as { platform?: string } | undefined;
  return doc?.platform ?? "prod";
}

/** True when the descriptor behind a customer stack says `stage: live` in that tree. */
export function isLiveIn(root: string, stack: string): boolean {
  if (!stack.startsWith("customer-")) return false;
  const file = path.join(root, "stacks", "customers", `${stack.slice("customer-".length)}.yaml`);
  if (!existsSync(file)) return false;
  return (load(readFileSync(file, "utf8")) as { stage?: string } | undefined)?.stage === "live";
}

/**
 * The desired state of a stack in a tree, planned by that tree's own code in its own
 * process. Undefined when the tree has no such stack; throws with the plan's message
 * when the tree's configuration is broken.
 */
export async function planIn(root: string, stack: string): Promise<PlanEntry[] | undefined> {
  if (!listStacks(root).includes(stack) && !stack.startsWith("customer-")) return undefined;
  if (stack.startsWith("customer-") && !existsSync(path.join(root, "stacks", "customers", `${stack.slice(9)}.yaml`))) return undefined;
  const r = await $({ cwd: root, quiet: true, nothrow: true })`node ${path.join(root, "scripts/bin/ezorg.js")} plan --stack ${stack} --json`;
  try {
    // A plan that breaks a policy rule exits 1 but is still the desired state.
    return JSON.parse(r.stdout) as PlanEntry[];
  } catch {
    throw new Error(`cannot plan ${stack} in ${root}: ${r.stderr.trim().split("\n").slice(0, 6).join(" / ") || `exit ${r.exitCode}`}`);
  }
}
