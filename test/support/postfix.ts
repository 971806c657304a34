/**
 * A real Postfix instance on loopback, started and stopped by the test that owns it.
 * Each instance lives in a fixed folder per name under /var/tmp (maillog_file must sit
 * under a maillog_file_prefixes entry, and the default `/var` covers it), so the list of
 * alternate_config_directories in the machine's main.cf stays bounded across runs.
 */
import { chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InstanceOptions } from "../../components/postfix/cf";
import { makeCertificate } from "./tls";
import { allowConfigDirectory, removeTree } from "../../scripts/lab/postfix";
import { mustRun, run, waitFor } from "./run";

export const TEST_ROOT = "/var/tmp/ezorg-postfix";

export interface QueueEntry {
  queue_name: string;
  queue_id: string;
  sender: string;
  recipients: Array<{ address: string; delay_reason?: string }>;
}

export class PostfixInstance {
  readonly base: string;
  /** The renderer options that move this instance into its folder and onto its address. */
  readonly options: Required<InstanceOptions>;

  private constructor(name: string, readonly address: string) {
    this.base = join(TEST_ROOT, name);
    this.options = {
      configDirectory: join(this.base, "etc"),
      queueDirectory: join(this.base, "spool"),
      dataDirectory: join(this.base, "lib"),
      maillogFile: join(this.base, "log", "postfix.log"),
      listenAddress: address,
      tlsCertFile: join(this.base, "tls", "cert.pem"),
      tlsKeyFile: join(this.base, "tls", "key.pem"),
    };
  }

  /** Wipes the instance folder left by an earlier run and prepares a fresh one. */
  static async create(name: string, address: string, certName: string): Promise<PostfixInstance> {
    const p = new PostfixInstance(name, address);
    await PostfixInstance.stopLeftover(p);
    await removeTree(p.base);
    const { configDirectory, queueDirectory, maillogFile } = p.options;
    for (const d of [configDirectory, queueDirectory, dirname(maillogFile)]) await mkdir(d, { recursive: true });
    await mkdir(p.options.dataDirectory, { recursive: true });
    await chown(p.options.dataDirectory, ...(await postfixIds()));
    await makeCertificate(join(p.base, "tls"), certName);
    await allowConfigDirectory(p.options.configDirectory);
    return p;
  }

  private static async stopLeftover(p: PostfixInstance): Promise<void> {
    const pid = await readFile(join(p.options.queueDirectory, "pid", "master.pid"), "utf8").catch(() => "");
    if (pid.trim()) await run("postfix", ["-c", p.options.configDirectory, "stop"]);
  }

  /** Writes a renderer's file set; every key must lie inside this instance. */
  async writeFiles(files: Record<string, string>): Promise<void> {
    for (const [path, text] of Object.entries(files)) {
      if (!path.startsWith(this.base + "/")) throw new Error(`${path} is outside the instance folder ${this.base}: pass the instance options to the renderer`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
  }

  /** Test-only deviations (timers), applied with postconf so they show in the file. */
  async postconf(settings: Record<string, string>): Promise<void> {
    const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    await mustRun("postconf", ["-c", this.options.configDirectory, "-e", ...args]);
  }

  /** Starts the instance; errors before logging starts only reach a terminal, hence `script`. */
  async start(): Promise<void> {
    const r = await run("script", ["-qec", `postfix -c ${this.options.configDirectory} start`, "/dev/null"]);
    if (r.code !== 0) throw new Error(`postfix start failed (${r.code}):\n${r.stdout}${r.stderr}\n${await this.log()}`);
    await waitFor("postfix master pid", async () => ((await this.running()) ? true : undefined));
  }

  async stop(): Promise<void> {
    await run("postfix", ["-c", this.options.configDirectory, "stop"]);
    await waitFor("postfix master to exit", async () => ((await this.running()) ? undefined : true));
  }

  async running(): Promise<boolean> {
    return (await run("postfix", ["-c", this.options.configDirectory, "status"])).code === 0;
  }

  /** Asks the queue manager to retry deferred mail now. */
  async flush(): Promise<void> {
    await mustRun("postqueue", ["-c", this.options.configDirectory, "-f"]);
  }

  async queue(): Promise<QueueEntry[]> {
    const out = await mustRun("postqueue", ["-c", this.options.configDirectory, "-j"]);
    return out.split("\n").filter(Boolean).map((l) => JSON.parse(l) as QueueEntry);
  }

  async log(): Promise<string> {
    return readFile(this.options.maillogFile, "utf8").catch(() => "");
  }

  async waitForLog(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(`log line ${pattern} in ${this.options.maillogFile}`, async () => (await this.log()).split("\n").find((l) => pattern.test(l)), timeoutMs);
  }
}

let ids: [number, number] | undefined;
async function postfixIds(): Promise<[number, number]> {
  if (!ids) {
    const uid = Number((await mustRun("id", ["-u", "postfix"])).trim());
    const gid = Number((await mustRun("id", ["-g", "postfix"])).trim());
    ids = [uid, gid];
  }
  return ids;
}
