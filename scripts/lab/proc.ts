/**
 * Child processes of the lab: one-shot commands that never block the event loop (the lab's
 * SMTP sinks live in it), daemons started without inherited pipes and stopped by the pid
 * they wrote, and polling.
 */
import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws on a non-zero exit. */
export function run(cmd: string, args: string[], input?: string, timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // A program that exits without reading its input must not crash the lab with EPIPE.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input ?? "");
  });
}

/** Like {@link run}, but fails with the program's output unless it exits 0. */
export async function mustRun(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * Starts a program that daemonises itself. No standard streams: its children would hold
 * inherited pipes open and the caller would never see the end of them.
 */
export function daemon(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, { stdio: "ignore" });
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(" ")} exited ${code}`))));
  });
}

/** Polls `probe` until it returns something other than undefined. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid a daemon wrote, or undefined when there is no file. */
export async function readPid(pidFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
  return pid > 0 ? pid : undefined;
}

/** Stops the process named in `pidFile` (exactly that one) and waits until it is gone. */
export async function stopByPidFile(pidFile: string, what: string): Promise<void> {
  const pid = await readPid(pidFile);
  if (!pid || !alive(pid)) return;
  process.kill(pid, "SIGTERM");
  await waitFor(`${what} (pid ${pid}) to exit`, () => (alive(pid) ? undefined : true));
}
