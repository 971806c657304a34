import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../components/config/load";

const run = promisify(execFile);
const EZORG = path.join(PROJECT_ROOT, "scripts/bin/ezorg.js");

/** Runs the CLI as a user would; never throws on a non-zero exit. */
export async function ezorg(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [EZORG, ...args], { cwd: PROJECT_ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}


/** One text replacement in a copied stacks file: `[file under the root, from, to]`. */
export type Edit = [file: string, from: string, to: string];

/**
 * Runs `fn` on a temporary copy of the project's `stacks/` with `edits` applied, then
 * removes it. Fails when an edit's text is not in its file, so a test never passes on a
 * replacement that silently did nothing.
 */
export async function withEditedStacks(edits: Edit[], fn: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), "ezorg-stacks-"));
  try {
    cpSync(path.join(PROJECT_ROOT, "stacks"), path.join(root, "stacks"), { recursive: true });
    for (const [file, from, to] of edits) {
      const full = path.join(root, file);
      const text = readFileSync(full, "utf8");
      if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
      writeFileSync(full, text.replace(from, to));
    }
    await fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** huisarts-zuid claims kliniek-noord.example.nl, which zorggroep-noord already holds. */
export const CLAIM_KLINIEK: Edit = ["stacks/customers/huisarts-zuid.yaml", "  - huisarts-zuid.example.nl", "  - huisarts-zuid.example.nl\n  - kliniek-noord.example.nl"];
