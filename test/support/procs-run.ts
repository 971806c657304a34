/**
 * Running real programs from service tests: one-shot commands, daemons the test starts
 * and stops by their own process id, loopback ports, root-owned temporary folders.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** Runs a program to completion without a shell; never rejects on a non-zero exit. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on("error", () => undefined); // a program may exit without reading its input
      child.stdin.end(options.input);
    }
  });
}

/** Like `run`, but throws with the program's output unless it exits 0. */
export async function runOk(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** A program started by a test; `stop` ends exactly this process. */
export interface Daemon {
  pid: number;
  logFile: string;
  stop(): Promise<void>;
  log(): string;
}

/** Starts a long-running program with its output in `logFile`. */
export function startDaemon(command: string, args: string[], logFile: string): Daemon {
  const fd = openSync(logFile, "a");
  const child: ChildProcess = spawn(command, args, { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let exited = false;
  const done = new Promise<void>((resolve) => child.on("exit", () => ((exited = true), resolve())));
  child.on("error", () => (exited = true));
  return {
    pid: child.pid ?? -1,
    logFile,
    log: () => readFileSync(logFile, "utf8"),
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5000).unref());
      if ((await Promise.race([done, timeout])) === "timeout") {
        child.kill("SIGKILL");
        await done;
      }
    },
  };
}

/** A free TCP port on `host`, found by binding port 0. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Waits until something accepts connections on host:port (or until it stops, with `closed`). */
export async function waitForPort(host: string, port: number, what: string, closed = false, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await canConnect(host, port)) !== closed) return;
    await sleep(100);
  }
  throw new Error(`${what}: ${host}:${port} ${closed ? "still accepts connections" : "accepts no connections"} after ${timeoutMs} ms`);
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${last})` : ""}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fresh folder under the system temp folder, owned by the user running the tests (root). */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `ezorg-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
