/**
 * Dovecot as a secure node's SASL service, from the rendered dovecot.conf. It daemonises and
 * its children keep inherited pipes open, so it starts with no standard streams and is
 * watched through its pid file and listening port.
 */
import net from "node:net";
import { join } from "node:path";
import { daemon, stopByPidFile, waitFor } from "./proc";

export class LabDovecot {
  constructor(readonly configFile: string, readonly baseDir: string, readonly address: string, readonly port: number) {}

  get pidFile(): string {
    return join(this.baseDir, "master.pid");
  }

  async start(): Promise<void> {
    await this.stop();
    await daemon("dovecot", ["-c", this.configFile]);
    await waitFor(`dovecot auth on ${this.address}:${this.port}`, () => this.listening());
  }

  stop(): Promise<void> {
    return stopByPidFile(this.pidFile, "dovecot");
  }

  private listening(): Promise<true | undefined> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, this.address);
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(undefined));
    });
  }
}
