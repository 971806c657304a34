/**
 * A Postfix instance of the lab, started from a renderer's files. It lives in a fixed folder
 * per lab and instance name under /var/tmp: maillog_file must sit under a
 * maillog_file_prefixes entry (the default `/var` covers it), and the machine's list of
 * alternate_config_directories stays bounded across runs.
 */
import { chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InstanceOptions } from "../../components/postfix/cf";
import { alive, mustRun, readPid, run, waitFor } from "./proc";

export const LAB_ROOT = "/var/tmp/ezorg-lab";

/**
 * Lets `postfix -c DIR` use DIR; serialised with flock because several labs (and the service
 * tests' own instances) may add theirs at the same moment.
 */
export async function allowConfigDirectory(dir: string): Promise<void> {
  const script = [
    `cur=$(postconf -h alternate_config_directories)`,
    `case ", $cur," in *", ${dir},"*) exit 0;; esac`,
    `postconf -e "alternate_config_directories = \${cur:+$cur, }${dir}"`,
  ].join("\n");
  await mustRun("flock", ["/etc/postfix/main.cf", "sh", "-c", script]);
}

/** Root may not write into folders it does not own here: take the tree back first. */
export async function removeTree(path: string): Promise<void> {
  await run("chown", ["-R", "root:root", path]);
  await rm(path, { recursive: true, force: true });
}

export class LabPostfix {
  /** Paths and listen address to pass to the renderer. */
  readonly options: Required<InstanceOptions>;

  constructor(readonly base: string, address: string, tls: { cert: string; key: string }) {
    this.options = {
      configDirectory: join(base, "etc"),
      queueDirectory: join(base, "spool"),
      dataDirectory: join(base, "lib"),
      maillogFile: join(base, "log", "postfix.log"),
      listenAddress: address,
      tlsCertFile: tls.cert,
      tlsKeyFile: tls.key,
    };
  }

  get pidFile(): string {
    return join(this.options.queueDirectory, "pid", "master.pid");
  }

  /** Stops what an earlier run left in this folder, wipes it and writes the renderer's files. */
  async prepare(files: Record<string, string>): Promise<void> {
    if (await this.running()) await this.stop();
    await removeTree(this.base);
    for (const d of [this.options.configDirectory, this.options.queueDirectory, dirname(this.options.maillogFile), this.options.dataDirectory]) {
      await mkdir(d, { recursive: true });
    }
    const [uid, gid] = await Promise.all(["-u", "-g"].map(async (f) => Number((await mustRun("id", [f, "postfix"])).trim())));
    await chown(this.options.dataDirectory, uid, gid);
    await this.write(files);
    await allowConfigDirectory(this.options.configDirectory);
  }

  /** Writes a renderer's file set; every path must lie inside this instance. */
  async write(files: Record<string, string>): Promise<void> {
    for (const [path, text] of Object.entries(files)) {
      if (!path.startsWith(this.base + "/")) throw new Error(`lab: ${path} is outside ${this.base}; pass the instance options to the renderer`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
    }
  }

  /** Lab-only deviations, applied with postconf so they show in main.cf. */
  async postconf(settings: Record<string, string>): Promise<void> {
    await mustRun("postconf", ["-c", this.options.configDirectory, "-e", ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
  }

  /** Errors before logging starts only reach a terminal, hence `script`. */
  async start(): Promise<void> {
    const r = await run("script", ["-qec", `postfix -c ${this.options.configDirectory} start`, "/dev/null"]);
    if (r.code !== 0) throw new Error(`lab: postfix start in ${this.base} failed (${r.code}):\n${r.stdout}${r.stderr}\n${await this.log()}`);
    await waitFor(`postfix master in ${this.base}`, async () => ((await this.running()) ? true : undefined));
  }

  /**
   * Re-reads main.cf and the texthash maps (read at process start). The signal `postfix
   * reload` sends, without its wrapper's two seconds of permission checks.
   */
  async reload(): Promise<void> {
    const pid = await readPid(this.pidFile);
    if (!pid || !alive(pid)) throw new Error(`lab: postfix in ${this.base} is not running, so it cannot reload`);
    const reloads = async () => (await this.log()).split("\n").filter((l) => /\/master\[\d+\]: reload -- /.test(l)).length;
    const before = await reloads();
    process.kill(pid, "SIGHUP");
    // The master logs the reload once it has read the new configuration.
    await waitFor(`postfix in ${this.base} to reload`, async () => ((await reloads()) > before ? true : undefined));
  }

  async stop(): Promise<void> {
    const pid = await readPid(this.pidFile);
    await run("postfix", ["-c", this.options.configDirectory, "stop"]);
    if (pid) await waitFor(`postfix master ${pid} to exit`, () => (alive(pid) ? undefined : true));
  }

  async running(): Promise<boolean> {
    const pid = await readPid(this.pidFile);
    return pid !== undefined && alive(pid);
  }

  log(): Promise<string> {
    return readFile(this.options.maillogFile, "utf8").catch(() => "");
  }
}
