/**
 * Dovecot as the secure node's SASL service, started from the rendered dovecot.conf.
 * Dovecot daemonises and its children keep any inherited pipes open, so it is started
 * with no standard streams and watched through its pid file and listening port.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { waitFor } from "./run";

export class Dovecot {
  constructor(
    readonly configFile: string,
    readonly baseDir: string,
    readonly address: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    await this.stop();
    await new Promise<void>((ok, fail) => {
      const child = spawn("dovecot", ["-c", this.configFile], { stdio: "ignore" });
      child.on("error", fail);
      child.on("exit", (code) => (code === 0 ? ok() : fail(new Error(`dovecot -c ${this.configFile} exited ${code}; see its log_path`))));
    });
    await waitFor(`dovecot auth on ${this.address}:${this.port}`, () => this.listening());
  }

  /** Stops the master by the pid it wrote; its children follow it. */
  async stop(): Promise<void> {
    const pid = Number((await readFile(join(this.baseDir, "master.pid"), "utf8").catch(() => "")).trim());
    if (!pid || !alive(pid)) return;
    process.kill(pid, "SIGTERM");
    await waitFor(`dovecot ${pid} to exit`, () => (alive(pid) ? undefined : true));
  }

  private listening(): Promise<true | undefined> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, this.address);
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(undefined));
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
