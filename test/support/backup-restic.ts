/**
 * Helpers for running the rendered backup job against a real restic repository on the
 * local disk (the stand-in for the rest-server in the other datacentre).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { BackupJob, BACKUP_SCRIPT } from "../../components/backup/render";
import { run, runOk, RunResult } from "./procs-run";

/** restic and the job see only this environment: no inherited RESTIC_* variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TZ: "UTC", ...extra };
}

export function restic(repo: string, passwordFile: string, args: string[], cacheDir: string): Promise<RunResult> {
  return run("restic", ["--repo", repo, "--cache-dir", cacheDir, ...args], {
    env: cleanEnv({ RESTIC_PASSWORD_FILE: passwordFile }),
  });
}

export async function initRepository(repo: string, passwordFile: string, cacheDir: string): Promise<void> {
  const r = await restic(repo, passwordFile, ["init"], cacheDir);
  if (r.code !== 0) throw new Error(`restic init ${repo}: ${r.stderr}`);
}

/** Writes the job's files into its directory with their modes. */
export function installJob(job: BackupJob): void {
  mkdirSync(job.directory, { recursive: true });
  for (const f of job.files) {
    const path = join(job.directory, f.name);
    writeFileSync(path, f.content);
    chmodSync(path, f.mode);
  }
}

/** Runs the job the way cron does (`/bin/sh <script>`), with a bare environment. */
export function runJob(job: BackupJob): Promise<RunResult> {
  assert.equal(job.command, `/bin/sh ${join(job.directory, BACKUP_SCRIPT)}`);
  return run("/bin/sh", [join(job.directory, BACKUP_SCRIPT)], { env: cleanEnv(), timeoutMs: 120_000 });
}

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  tags?: string[];
  paths: string[];
}

export async function snapshots(repo: string, passwordFile: string, cacheDir: string): Promise<Snapshot[]> {
  const r = await restic(repo, passwordFile, ["snapshots", "--json"], cacheDir);
  if (r.code !== 0) throw new Error(`restic snapshots: ${r.stderr}`);
  return JSON.parse(r.stdout) as Snapshot[];
}

/** Backs up `paths` as if an earlier run of the job had done so at `time` (UTC). */
export async function seedSnapshot(
  repo: string,
  passwordFile: string,
  cacheDir: string,
  host: string,
  pathsFile: string,
  time: string,
): Promise<void> {
  const args = ["backup", "--host", host, "--tag", "ezorg", "--time", time, "--files-from-verbatim", pathsFile];
  await runOk("restic", ["--repo", repo, "--cache-dir", cacheDir, ...args], {
    env: cleanEnv({ RESTIC_PASSWORD_FILE: passwordFile }),
  });
}

/**
 * restic's keep policy (0.14, internal/restic/snapshot_policy.go), restated: newest
 * first, a snapshot is kept when it opens a new day/ISO week/month bucket while that
 * rule still has a count left.
 */
export function expectedKept(list: Snapshot[], keep: { daily: number; weekly: number; monthly: number }): Set<string> {
  const isoWeek = (d: Date): number => {
    const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    const day = t.getUTCDay() || 7;
    t.setUTCDate(t.getUTCDate() + 4 - day);
    const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
    return t.getUTCFullYear() * 100 + Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  };
  const buckets = [
    { count: keep.daily, last: -1, key: (d: Date) => d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate() },
    { count: keep.weekly, last: -1, key: isoWeek },
    { count: keep.monthly, last: -1, key: (d: Date) => d.getUTCFullYear() * 100 + d.getUTCMonth() + 1 },
  ];
  const kept = new Set<string>();
  const newestFirst = [...list].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  for (const s of newestFirst) {
    const d = new Date(Date.parse(s.time));
    for (const b of buckets) {
      if (b.count <= 0) continue;
      const k = b.key(d);
      if (k !== b.last) {
        kept.add(s.id);
        b.last = k;
        b.count--;
      }
    }
  }
  return kept;
}

/** SHA-256 of every regular file under `root`, by path relative to it. */
export function hashTree(root: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) out.set(rel, createHash("sha256").update(readFileSync(path)).digest("hex"));
    }
  };
  walk(root);
  return out;
}

/**
 * A Postfix-like queue: message files in hashed subfolders of `deferred`, `active` and
 * `hold`, random binary content (one of 3 MiB so the data spans several packs), and the
 * pid file and pickup FIFO Postfix rebuilds itself.
 */
export async function makeQueue(root: string): Promise<void> {
  const messages: [string, number][] = [
    ["deferred/A/A1B2C3D4E5", 4096],
    ["deferred/A/A9F8E7D6C5", 73_000],
    ["deferred/3/3C4D5E6F70", 3 * 1024 * 1024],
    ["active/B/B0C1D2E3F4", 1200],
    ["hold/7/7E8F9A0B1C", 250_000],
    ["incoming/.keep", 0],
  ];
  for (const [path, size] of messages) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), randomBytes(size));
  }
  mkdirSync(join(root, "pid"), { recursive: true });
  writeFileSync(join(root, "pid", "master.pid"), "         1234\n");
  mkdirSync(join(root, "public"), { recursive: true });
  await runOk("mkfifo", [join(root, "public", "pickup")]);
}

export function makeConfig(root: string): void {
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "main.cf"), "myhostname = inside-relay.ezorg.nl\nsmtpd_tls_security_level = encrypt\n");
  writeFileSync(join(root, "master.cf"), "587 inet n - n - - smtpd\n");
}

/** Flips bytes in the middle of the largest data pack, as disk rot would. */
export function corruptLargestPack(repo: string): string {
  let largest = { path: "", size: -1 };
  const dataDir = join(repo, "data");
  for (const sub of readdirSync(dataDir)) {
    for (const name of readdirSync(join(dataDir, sub))) {
      const path = join(dataDir, sub, name);
      const size = statSync(path).size;
      if (size > largest.size) largest = { path, size };
    }
  }
  const bytes = readFileSync(largest.path);
  const mid = Math.floor(bytes.length / 2);
  for (let i = 0; i < 64; i++) bytes[mid + i] ^= 0xff;
  chmodSync(largest.path, 0o600); // restic writes packs read-only
  writeFileSync(largest.path, bytes);
  return largest.path;
}
