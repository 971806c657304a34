import { execFile } from "node:child_process";
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

