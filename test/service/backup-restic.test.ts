/**
 * The rendered backup job, run for real with /bin/sh and restic 0.14 against a local
 * repository standing in for the rest-server in the other datacentre.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BackupJobOptions, BACKUP_METRIC, METRICS_FILE, PATHS_FILE, renderBackupJob } from "../../components/backup/render";
import { PlatformConfig } from "../../components/config/model";
import { samplePlatform } from "../fixtures";
import {
  corruptLargestPack,
  expectedKept,
  hashTree,
  initRepository,
  installJob,
  makeConfig,
  makeQueue,
  restic,
  runJob,
  seedSnapshot,
  snapshots,
} from "../support/backup-restic";
import { RunResult, tempDir } from "../support/procs-run";

/** The job's promise: exit 1 and exactly one line on stderr, naming the problem. */
function assertFailsLoudly(r: RunResult, reason: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `stderr should be one line:\n${r.stderr}`);
  assert.match(lines[0], /^ezorg-backup ams1: FAILED: /);
  assert.match(lines[0], reason);
}

describe("rendered backup job with real restic", () => {
  const platform = samplePlatform();
  const dc = platform.datacenters[0];
  const tmp = tempDir("backup-restic");
  const p = (...parts: string[]) => join(tmp.path, ...parts);
  const repo = p("repo");
  const passwordFile = p("secrets", "restic-password");
  const cacheDir = p("cache");

  const queueDir = p("spool", "postfix");
  const configDir = p("etc", "postfix");
  const base: BackupJobOptions = {
    queueDir,
    configDir,
    passwordFile,
    metricsDir: p("metrics"),
    cacheDir,
  };
  const job = (name: string, options: BackupJobOptions = {}, plat: PlatformConfig = platform, repository = repo) => {
    const j = renderBackupJob(plat, dc, repository, { ...base, jobDir: p("jobs", name), ...options });
    installJob(j);
    return j;
  };
  const metricFile = p("metrics", METRICS_FILE);
  const list = () => snapshots(repo, passwordFile, cacheDir);
  const metric = () => readFileSync(metricFile, "utf8");
  /** Puts a marker in the metric file; a failed run must leave it untouched. */
  const plantMetric = () => {
    const marker = `# marker ${Math.random()}\n`;
    writeFileSync(metricFile, marker);
    return marker;
  };

  before(async () => {
    await makeQueue(queueDir);
    makeConfig(configDir);
    for (const d of ["secrets", "metrics", "cache"]) mkdirSync(p(d), { recursive: true });
    writeFileSync(passwordFile, "correct horse battery staple\n", { mode: 0o600 });
    await initRepository(repo, passwordFile, cacheDir);
  });

  after(() => tmp.remove());

  test("a run backs up queue and configuration, reads the configured share of the data, and records success", async () => {
    const started = Math.floor(Date.now() / 1000);
    const r = await runJob(job("first"));
    const finished = Math.ceil(Date.now() / 1000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /read 10\.0% of data packs/, "restic check must read backup.checkReadSubset of the data");
    assert.match(r.stdout, /no errors were found/);

    const text = metric();
    assert.match(text, new RegExp(`^# TYPE ${BACKUP_METRIC} gauge$`, "m"));
    const m = new RegExp(`^${BACKUP_METRIC}\\{datacenter="ams1"\\} (\\d+)$`, "m").exec(text);
    assert.ok(m, text);
    assert.ok(Number(m[1]) >= started && Number(m[1]) <= finished, `timestamp ${m[1]} not within the run`);

    const [snap] = await list();
    assert.equal(snap.hostname, "ams1");
    assert.deepEqual(snap.tags, ["ezorg"]);
    assert.deepEqual([...snap.paths].sort(), [configDir, queueDir].sort());
  });

  test("a restore into an empty folder gives back every message and configuration file byte for byte", async () => {
    const target = p("restore");
    const r = await restic(repo, passwordFile, ["restore", "latest", "--target", target], cacheDir);
    assert.equal(r.code, 0, r.stderr);
    for (const source of [queueDir, configDir]) {
      // Postfix rebuilds its pid file and sockets; the job leaves them out on purpose.
      const rebuilt = (rel: string) => /^(pid|private|public)(\/|$)/.test(rel);
      const original = hashTree(source, rebuilt);
      const restored = hashTree(join(target, source));
      assert.ok(original.size >= 2, `test data missing in ${source}`);
      assert.deepEqual(restored, original, `restored ${source} differs`);
    }
    assert.equal(existsSync(join(target, queueDir, "pid", "master.pid")), false);
  });

  test("retention keeps exactly what keepDaily, keepWeekly and keepMonthly say", async () => {
    const keep = { daily: 2, weekly: 2, monthly: 3 };
    const plat = {
      ...platform,
      backup: { ...platform.backup, keepDaily: keep.daily, keepWeekly: keep.weekly, keepMonthly: keep.monthly },
    };
    const j = job("retention", {}, plat);
    const pathsFile = join(j.directory, PATHS_FILE);
    const earlierRuns = ["2025-06-15", "2025-07-15", "2025-08-01", "2025-08-20", "2025-09-03"];
    earlierRuns.push("2025-09-05", "2025-09-10", "2025-09-11", "2025-09-12");
    for (const day of earlierRuns) {
      await seedSnapshot(repo, passwordFile, cacheDir, "ams1", pathsFile, `${day} 12:00:00`);
    }
    const beforeRun = await list();

    const r = await runJob(j);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const afterRun = await list();
    const created = afterRun.filter((s) => !beforeRun.some((b) => b.id === s.id));
    assert.equal(created.length, 1, "the run adds one snapshot");

    const expected = expectedKept([...beforeRun, ...created], keep);
    assert.deepEqual(new Set(afterRun.map((s) => s.id)), expected);
    // Spelled out for these dates: today's run (daily, weekly, monthly), 12 September 2025
    // (daily, weekly, monthly) and 20 August 2025 (monthly).
    assert.deepEqual(afterRun.map((s) => s.time.slice(0, 10)).sort().slice(0, 2), ["2025-08-20", "2025-09-12"]);
    assert.equal(afterRun.length, 3);
  });

  test("a wrong password fails loudly and records nothing", async () => {
    const wrong = p("secrets", "wrong-password");
    writeFileSync(wrong, "not the password\n", { mode: 0o600 });
    const [before, metricBefore] = [await list(), plantMetric()];
    const r = await runJob(job("wrong-password", { passwordFile: wrong }));
    assertFailsLoudly(r, /wrong password for repository/);
    assert.equal(metric(), metricBefore);
    assert.equal((await list()).length, before.length);
  });

  test("a missing repository fails loudly and records nothing", async () => {
    const metricBefore = plantMetric();
    const r = await runJob(job("missing-repository", {}, platform, p("no-such-repo")));
    assertFailsLoudly(r, /no repository at .*no-such-repo/);
    assert.equal(metric(), metricBefore);
    assert.equal(existsSync(p("no-such-repo")), false, "the job must not create a repository");
  });

  test("a missing source path fails loudly before restic runs, where restic itself would exit 0", async () => {
    const [before, metricBefore] = [await list(), plantMetric()];
    const missingQueue = p("spool", "not-mounted");
    const r = await runJob(job("missing-source", { queueDir: missingQueue }));
    assertFailsLoudly(r, new RegExp(`source path ${missingQueue} does not exist`));
    assert.equal((await list()).length, before.length, "no snapshot may be taken");
    assert.equal(metric(), metricBefore);

    // An empty folder where the configuration volume should be: main.cf is required.
    const emptyConfig = p("etc", "empty");
    mkdirSync(emptyConfig, { recursive: true });
    const r2 = await runJob(job("empty-config", { configDir: emptyConfig }));
    assertFailsLoudly(r2, new RegExp(`source path ${emptyConfig}/main.cf does not exist`));

    // What the preflight protects against: restic alone skips the path and succeeds.
    const bare = await restic(repo, passwordFile, ["backup", "--host", "probe", configDir, missingQueue], cacheDir);
    assert.equal(bare.code, 0, "restic 0.14 no longer exits 0 on a missing path: the preflight note can go");
    assert.match(bare.stderr, /does not exist, skipping/);
  });

  test("a corrupted data pack makes the check fail loudly and records nothing", async () => {
    const plat = { ...platform, backup: { ...platform.backup, checkReadSubset: "100%" } };
    const metricBefore = plantMetric();
    const pack = corruptLargestPack(repo);
    try {
      const r = await runJob(job("corrupt", {}, plat));
      assertFailsLoudly(r, /check failed \(restic exit 1\)/);
      assert.equal(metric(), metricBefore);
    } finally {
      renameSync(pack, `${pack}.corrupt`);
    }
  });
});
