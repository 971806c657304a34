/**
 * A credential rotation against the real secure node: Postfix and Dovecot started from
 * renderSecureNode's output on 127.0.9.1, the rotation's own orchestration driving them
 * through a runner whose `up` renders the descriptor and reloads both, and whose health
 * probe is the real STARTTLS probe. Throughout, the customer keeps logging in with the
 * password it was last told; not one of those logins may be refused.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../components/config/load";
import { renderSecureNode } from "../../components/postfix/secure-node";
import { Descriptor } from "../../scripts/ops/descriptor";
import { Operation, runOperation } from "../../scripts/ops/engine";
import { HealthResult, probeAll, probeStartTls } from "../../scripts/ops/health";
import { Journal } from "../../scripts/ops/journal";
import { rolloutPhase } from "../../scripts/ops/rollout";
import { credentialFinishOperation, credentialStartOperation, CredentialDeps, randomPassword, sha512Crypt, SMTP_PASSWORD_KEY, verifySha512Crypt } from "../../scripts/ops/rotate-credential";
import { Changes, StackRunner } from "../../scripts/ops/runner";
import { samplePlatform } from "../fixtures";
import { Dovecot } from "../support/dovecot";
import { collectingReporter, sitePlan } from "../support/fake-runner";
import { PostfixInstance } from "../support/postfix";
import { mustRun, waitFor } from "../support/run";
import { swaks } from "../support/swaks";

const NODE = "127.0.9.1";
// Refused logins are delayed by Dovecot per client address: they get one of their own.
const REFUSED_CLIENT = "127.0.9.99";
const SASL_PORT = 12345;
const SLUG = "zorggroep-noord";
const USER = "zorggroep-noord";

const platform = samplePlatform();
platform.datacenters = platform.datacenters.slice(0, 1);
platform.secureNodes.nodes = platform.secureNodes.nodes.slice(0, 1);
const node = platform.secureNodes.nodes[0];

/** The platform stack as far as this node goes: render from the descriptors, reload, probe. */
class NodeRunner implements StackRunner {
  readonly secrets = new Map<string, string>();
  readonly ups: string[] = [];

  constructor(
    private readonly pf: PostfixInstance,
    private readonly dovecot: Dovecot,
    private readonly customersDir: string,
    private readonly after: (what: string) => Promise<void>,
  ) {}

  async preview(): Promise<Changes> {
    return {};
  }

  async up(stack: string): Promise<Changes> {
    const files = renderSecureNode(platform, [Descriptor.read(this.customersDir, SLUG).customer], node, nodeOptions(this.pf));
    const dir = `${this.pf.base}/dovecot`;
    // On the platform a node's container is re-created with all its files at once. Changed in
    // place, the passwd-file must come last: an auth process still on the old dovecot.conf
    // would otherwise check the old password against the new file alone, and refuse it.
    const { [`${dir}/users`]: users, ...rest } = files;
    await this.pf.writeFiles(rest);
    if (!(`${dir}/users.previous` in files)) await rm(`${dir}/users.previous`, { force: true });
    await reloadDovecot(this.dovecot, () => mustRun("postfix", ["-c", this.pf.options.configDirectory, "reload"]));
    // Renamed into place: Dovecot re-reads a changed passwd-file and must never see it half written.
    await writeFile(`${dir}/users.new`, users);
    await rename(`${dir}/users.new`, `${dir}/users`);
    this.ups.push(stack);
    await this.after(`up ${stack}`);
    return { update: 1 };
  }

  async health(): Promise<HealthResult> {
    const endpoint = { label: node.name, address: NODE, port: platform.secureNodes.port, hostname: platform.secureNodes.hostname, service: "secureNode" as const };
    return probeAll([endpoint], { minVersion: platform.tls.minimumVersion, ca: readFileSync(this.pf.options.tlsCertFile, "utf8") });
  }

  async setSecret(stack: string, key: string, value: string): Promise<void> {
    this.secrets.set(`${stack} ${key}`, value);
  }

  async getSecret(stack: string, key: string): Promise<string | undefined> {
    return this.secrets.get(`${stack} ${key}`);
  }

  async removeConfig(stack: string, key: string): Promise<void> {
    this.secrets.delete(`${stack} ${key}`);
  }
}

/**
 * SIGHUP to the master: Dovecot re-reads dovecot.conf (a new passdb) and keeps its listeners.
 * Resolves once the auth processes of the old configuration are gone; they leave when their
 * clients, Postfix's smtpd processes, do (hence the caller's `postfix reload`).
 */
async function reloadDovecot(d: Dovecot, reloadPostfix: () => Promise<unknown>): Promise<void> {
  const master = Number((await readFile(path.join(d.baseDir, "master.pid"), "utf8")).trim());
  const auth = () => children(master, "auth");
  const old = auth();
  process.kill(master, "SIGHUP");
  await reloadPostfix();
  await waitFor("the auth processes of the old dovecot.conf to exit", () => (auth().some((p) => old.includes(p)) ? undefined : true));
}

/** A process may exit between the listing of /proc and the read: it then has no stat. */
function readProcStat(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "";
  }
}

/** Process ids of `parent`'s children named `name`, from /proc. */
function children(parent: number, name: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      const stat = readProcStat(pid);
      const m = /^(\d+) \((.*)\) \S+ (\d+)/.exec(stat);
      return m && m[2] === name && Number(m[3]) === parent ? [Number(m[1])] : [];
    });
}

function nodeOptions(pf: PostfixInstance) {
  const dir = `${pf.base}/dovecot`;
  return { ...pf.options, dovecotDirectory: dir, dovecotBaseDir: `${dir}/run`, dovecotLogFile: `${pf.base}/log/dovecot.log`, saslAddress: NODE, saslPort: SASL_PORT };
}

/** One login up to AUTH from the customer's server: swaks' exit 0, or 28 when refused. */
const login = (password: string, localInterface?: string) => swaks({ server: NODE, port: platform.secureNodes.port, tls: true, localInterface, auth: { user: USER, password }, quitAfter: "AUTH" });

describe("credential rotation on the real secure node (Postfix + Dovecot on 127.0.9.1)", () => {
  let pf: PostfixInstance;
  let dovecot: Dovecot;
  let root: string;
  let runner: NodeRunner;
  const passwordA = randomPassword();
  /** The password the customer was last told, and every login made with it. */
  let told = passwordA;
  const logins: Array<{ when: string; code: number; output: string }> = [];
  let now = new Date("2026-06-11T09:00:00Z");

  const check = async (when: string) => {
    const r = await login(told);
    logins.push({ when, code: r.code, output: r.output });
  };

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), "ezorg-rotation-"));
    cpSync(path.join(PROJECT_ROOT, "stacks"), path.join(root, "stacks"), { recursive: true });
    const customersDir = path.join(root, "stacks", "customers");
    const descriptor = Descriptor.read(customersDir, SLUG);
    descriptor.set(["credential", "passwordHash"], await sha512Crypt(passwordA));
    descriptor.save();

    pf = await PostfixInstance.create("rotation", NODE, platform.secureNodes.hostname);
    dovecot = new Dovecot(`${pf.base}/dovecot/dovecot.conf`, `${pf.base}/dovecot/run`, NODE, SASL_PORT);
    runner = new NodeRunner(pf, dovecot, customersDir, check);
    await pf.writeFiles(renderSecureNode(platform, [descriptor.customer], node, nodeOptions(pf)));
    await dovecot.start();
    await pf.start();
  });

  after(async () => {
    await Promise.all([pf?.stop(), dovecot?.stop()]);
    rmSync(root, { recursive: true, force: true });
  });

  /** Runs an operation while a second client keeps logging in with the told password. */
  async function withSteadyLogins(op: (d: CredentialDeps) => Operation): Promise<number> {
    const journal = Journal.open(path.join(root, ".ezorg", "journal"), "rotation");
    const deps: CredentialDeps = {
      runner,
      journal,
      customersDir: path.join(root, "stacks", "customers"),
      now: () => now,
      newPassword: randomPassword,
      hash: (p) => sha512Crypt(p),
      verify: verifySha512Crypt,
      tell: async (m) => {
        if (m.kind === "credential") told = (await runner.getSecret(`customer-${SLUG}`, SMTP_PASSWORD_KEY))!;
        await check(`told ${m.kind}`);
        return "told";
      },
      reveal: () => "password handed over",
    };
    let running = true;
    const background = (async () => {
      while (running) await check("in between");
    })();
    const reporter = collectingReporter();
    const outcome = await runOperation(op(deps), { journal, resume: false, dryRun: false, concurrency: 1, reporter });
    running = false;
    await background;
    assert.equal(outcome.exitCode, 0, reporter.lines.join("\n"));
    return logins.length;
  }

  const refusedLogins = () => logins.filter((l) => l.code !== 0).map((l) => `${l.when}: ${l.output.split("\n").filter((x) => /^<[~-]\*? +5/.test(x)).join(" ")}`);

  it("passes the health probe: STARTTLS at TLS 1.3 with a certificate valid for the service's name", async () => {
    const h = await runner.health();
    assert.equal(h.ok, true, h.probes[0].detail);
    assert.match(h.probes[0].detail, /^STARTTLS TLSv1\.3, certificate valid until /);
  });

  it("fails the probe on a closed port, an untrusted certificate, or another certificate than expected", async () => {
    const endpoint = { label: node.name, address: NODE, port: platform.secureNodes.port, hostname: platform.secureNodes.hostname, service: "secureNode" as const };
    const ca = readFileSync(pf.options.tlsCertFile, "utf8");
    const closed = await probeStartTls({ ...endpoint, port: 2 }, { minVersion: "TLSv1.3", ca, timeoutMs: 2000 });
    assert.deepEqual([closed.ok, /ECONNREFUSED/.test(closed.detail)], [false, true], closed.detail);
    const untrusted = await probeStartTls(endpoint, { minVersion: "TLSv1.3", timeoutMs: 2000 });
    assert.deepEqual([untrusted.ok, /self[- ]signed/i.test(untrusted.detail)], [false, true], untrusted.detail);
    const other = await probeStartTls(endpoint, { minVersion: "TLSv1.3", ca, fingerprint256: "AA:".repeat(31) + "AA", timeoutMs: 2000 });
    assert.equal(other.ok, false);
    assert.match(other.detail, /^TLSv1\.3, but serves certificate [0-9A-F:]{23}…, not the expected AA:AA:AA:AA:AA:AA:AA:AA…$/);
  });

  it("accepts password A before the rotation", async () => {
    const r = await login(passwordA);
    assert.equal(r.code, 0, r.output);
  });

  it("rotates: A works throughout, B once told, and after the rollout both", async () => {
    const rollout = rolloutPhase({ stack: "test", platform, resources: sitePlan("test", ["ams1"]), runner });
    const count = await withSteadyLogins((d) => credentialStartOperation({ id: "rotation", resumeHint: "", slugs: [SLUG], platform, rollout, overlapDays: 14 }, d));
    assert.deepEqual(refusedLogins(), []);
    assert.ok(count >= 4, `only ${count} logins were tried`);
    assert.deepEqual(runner.ups, ["test", "test"], "the datacentre's targeted update, then the rest");
    const passwordB = told;
    assert.notEqual(passwordB, passwordA);
    assert.ok(logins.some((l) => l.when === "told credential"), "a login with B right after the customer was told");
    assert.match(readFileSync(`${pf.base}/dovecot/dovecot.conf`, "utf8"), /users\.previous/);
    assert.equal((await login(passwordA)).code, 0, "A during the overlap");
    assert.equal((await login(passwordB)).code, 0, "B during the overlap");
  });

  it("finishes after the overlap: B keeps working throughout, A is refused", async () => {
    const passwordB = told;
    now = new Date("2026-06-25T00:00:00Z");
    logins.length = 0;
    const rollout = rolloutPhase({ stack: "test", platform, resources: sitePlan("test", ["ams1"]), runner });
    await withSteadyLogins((d) => credentialFinishOperation({ id: "rotation-finish", resumeHint: "", slugs: [SLUG], platform, rollout }, d));
    assert.deepEqual(refusedLogins(), []);
    assert.equal((await login(passwordB)).code, 0, "B after the overlap");
    const a = await login(passwordA, REFUSED_CLIENT);
    assert.equal(a.code, 28, a.output);
    assert.match(a.output, /535 5\.7\.8 Error: authentication failed/);
    assert.doesNotMatch(readFileSync(`${pf.base}/dovecot/dovecot.conf`, "utf8"), /users\.previous/);
  });
});
