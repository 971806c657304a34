/**
 * Renders the backup job of one datacentre: a POSIX sh script that cron runs in the
 * restic container, the files it reads, and the crontab line. The repository lives in
 * the OTHER datacentre (NTA 7516 6.1.4: no data loss when a site is lost).
 * Pure functions: no Pulumi, no I/O.
 */
import { Datacenter, PlatformConfig } from "../config/model";

/** Gauge the job writes on success; `BackupStale` alerts on its age. Label: `datacenter`. */
export const BACKUP_METRIC = "ezorg_backup_last_success_timestamp_seconds";
/** Port the rest-server listens on in each datacentre. */
export const REST_SERVER_PORT = 8000;

/**
 * The internal DNS zone of a site, read from its Docker endpoint: the part after
 * `<site name>.` in the host name, e.g. `ssh://deploy@docker.ams1.ezorg.internal` → `ezorg.internal`.
 */
export function siteInternalZone(dc: Datacenter): string {
  let host: string;
  try {
    host = new URL(dc.dockerHost).hostname;
  } catch {
    throw new Error(`datacenters[${dc.name}].dockerHost is "${dc.dockerHost}": it is not a URL; use e.g. ssh://deploy@docker.${dc.name}.ezorg.internal`);
  }
  const labels = host.split(".");
  const at = labels.indexOf(dc.name);
  if (at < 0 || at === labels.length - 1) {
    throw new Error(
      `datacenters[${dc.name}].dockerHost is "${dc.dockerHost}": its host name must contain "${dc.name}." followed by the internal zone (e.g. docker.${dc.name}.ezorg.internal), so the site's internal names can be derived`,
    );
  }
  return labels.slice(at + 1).join(".");
}

function findDatacenter(platform: PlatformConfig, datacenter: Datacenter | string): number {
  const name = typeof datacenter === "string" ? datacenter : datacenter.name;
  const index = platform.datacenters.findIndex((d) => d.name === name);
  if (index < 0) {
    throw new Error(`datacenter "${name}" is not in platform.datacenters (${platform.datacenters.map((d) => d.name).join(", ")}); pass one of those`);
  }
  return index;
}

/** The datacentre that keeps `datacenter`'s backups: the next one in the list, wrapping round. */
export function backupSiteFor(platform: PlatformConfig, datacenter: Datacenter | string): Datacenter {
  const index = findDatacenter(platform, datacenter);
  if (platform.datacenters.length < 2) {
    throw new Error(
      `platform.datacenters has only "${platform.datacenters[index].name}": backups must go to another datacentre (NTA 7516 6.1.13, two separate sites); add the second site`,
    );
  }
  return platform.datacenters[(index + 1) % platform.datacenters.length];
}

/** Repository URL of `datacenter`'s backups, e.g. `rest:https://backup.gro1.ezorg.internal:8000/ams1`. */
export function backupRepositoryFor(platform: PlatformConfig, datacenter: Datacenter | string): string {
  const own = platform.datacenters[findDatacenter(platform, datacenter)];
  const other = backupSiteFor(platform, own);
  return `rest:https://backup.${other.name}.${siteInternalZone(other)}:${REST_SERVER_PORT}/${own.name}`;
}

export interface BackupJobOptions {
  /** Folder the job's files are installed in, inside the restic container. Default: `/etc/ezorg-backup`. */
  jobDir?: string;
  /** The Postfix queue, mounted read-only. Default: `/var/spool/postfix`. */
  queueDir?: string;
  /** Further Postfix queues on the same site (the secure nodes'), mounted read-only. Default: none. */
  extraQueueDirs?: string[];
  /** The Postfix configuration, mounted read-only. Default: `/etc/postfix`. */
  configDir?: string;
  /** File holding the repository password (a secret file). Default: `/run/secrets/restic-password`. */
  passwordFile?: string;
  /** Folder of the textfile collector that publishes the metric. Default: `/var/lib/ezorg-backup/metrics`. */
  metricsDir?: string;
  /** restic's cache. Default: `/var/cache/restic`. */
  cacheDir?: string;
  /** CA bundle for the rest-server's certificate. Default: none (the system's trust store). */
  caCertFile?: string;
  /** The restic program. Default: `restic` from PATH. */
  restic?: string;
}

export interface BackupJobFile {
  /** File name inside `directory`. */
  name: string;
  content: string;
  /** Permission bits, e.g. 0o755. */
  mode: number;
}

export interface BackupJob {
  /** Where the files belong (`options.jobDir`). */
  directory: string;
  /** The script, its path lists, and a crontab line (`crontab`, for root's crontab). */
  files: BackupJobFile[];
  /** The command cron runs: `/bin/sh <directory>/ezorg-backup.sh`. */
  command: string;
}

export const BACKUP_SCRIPT = "ezorg-backup.sh";
export const PATHS_FILE = "backup-paths.txt";
export const REQUIRED_FILE = "backup-required.txt";
export const EXCLUDES_FILE = "backup-excludes.txt";
export const CRONTAB_FILE = "crontab";
export const METRICS_FILE = "ezorg_backup.prom";

/** Quotes a value for sh: single quotes, with embedded quotes closed and escaped. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function checkPath(field: string, value: string): string {
  if (!value.startsWith("/") || /[\n\r]/.test(value)) {
    throw new Error(`backup job option ${field} is "${value}": it must be an absolute path on one line`);
  }
  return value.replace(/\/+$/, "") || "/";
}

const KEEP_FIELDS = ["keepDaily", "keepWeekly", "keepMonthly"] as const;

/**
 * The backup job of `datacenter` into `repository` (see `backupRepositoryFor`). The
 * script verifies the password file, every source path and the files that prove the
 * volumes are mounted before restic runs, because restic 0.14 skips a missing path
 * and still exits 0. It then backs up, forgets and prunes, reads
 * `checkReadSubset` of the data, and only then writes the success metric. Any failure:
 * exit 1 and one line on stderr; restic's own output goes to stdout (the job log).
 */
export function renderBackupJob(
  platform: PlatformConfig,
  datacenter: Datacenter,
  repository: string,
  options: BackupJobOptions = {},
): BackupJob {
  findDatacenter(platform, datacenter);
  const { backup } = platform;
  for (const field of KEEP_FIELDS) {
    if (!(Number.isInteger(backup[field]) && backup[field] >= 1)) {
      throw new Error(`backup.${field} is ${backup[field]}: it must be a whole number of at least 1`);
    }
  }
  if (!/^(\d+(\.\d+)?%|\d+\/\d+|\d+[kKmMgGtT]?)$/.test(backup.checkReadSubset)) {
    throw new Error(`backup.checkReadSubset is "${backup.checkReadSubset}": use a percentage ("10%"), a group n/t ("1/10") or a size ("500M")`);
  }
  if (!repository || /[\n\r]/.test(repository)) {
    throw new Error(`backup repository is "${repository}": give one URL, e.g. ${backupRepositoryFor(platform, datacenter)}`);
  }

  const jobDir = checkPath("jobDir", options.jobDir ?? "/etc/ezorg-backup");
  const queueDir = checkPath("queueDir", options.queueDir ?? "/var/spool/postfix");
  const configDir = checkPath("configDir", options.configDir ?? "/etc/postfix");
  const passwordFile = checkPath("passwordFile", options.passwordFile ?? "/run/secrets/restic-password");
  const metricsDir = checkPath("metricsDir", options.metricsDir ?? "/var/lib/ezorg-backup/metrics");
  const cacheDir = checkPath("cacheDir", options.cacheDir ?? "/var/cache/restic");
  const caCert = options.caCertFile ? checkPath("caCertFile", options.caCertFile) : undefined;
  const restic = options.restic ?? "restic";

  // NOTE: the queue is copied while Postfix runs. Postfix writes a queue file completely
  // before it moves it into a queue, so files are whole, but a message moving between
  // queues during the run may be missed or seen twice; the next run catches it.
  const queueDirs = [queueDir, ...(options.extraQueueDirs ?? []).map((d, i) => checkPath(`extraQueueDirs[${i}]`, d))];
  const paths = [...queueDirs, configDir];
  // An empty folder where a volume should be mounted would back up "successfully".
  const required = [...queueDirs.map((q) => `${q}/deferred`), `${configDir}/main.cf`];
  // The pid file, sockets and chroot copies are rebuilt by Postfix; messages are not.
  const excludes = queueDirs.flatMap((q) => ["pid", "public", "private", "dev", "etc", "lib", "usr"].map((d) => `${q}/${d}`));

  const script = renderScript({
    datacenter: datacenter.name,
    repository,
    jobDir,
    passwordFile,
    metricsFile: `${metricsDir}/${METRICS_FILE}`,
    cacheDir,
    caCert,
    restic,
    keep: `--keep-daily ${backup.keepDaily} --keep-weekly ${backup.keepWeekly} --keep-monthly ${backup.keepMonthly}`,
    subset: backup.checkReadSubset,
  });
  const command = `/bin/sh ${jobDir}/${BACKUP_SCRIPT}`;
  // Output goes to the container's own streams, so `docker logs` shows the failure line.
  // NOTE: cron itself is the image's (busybox crond in an Alpine-based restic image); the
  // tests run the script the way this line does, not through a cron daemon.
  const crontab = `# ezorg backup of ${datacenter.name}; schedule from backup.schedule (container time zone)\n${backup.schedule} ${command} >/proc/1/fd/1 2>/proc/1/fd/2\n`;

  return {
    directory: jobDir,
    command,
    files: [
      { name: BACKUP_SCRIPT, content: script, mode: 0o755 },
      { name: PATHS_FILE, content: lines(paths), mode: 0o644 },
      { name: REQUIRED_FILE, content: lines(required), mode: 0o644 },
      { name: EXCLUDES_FILE, content: lines(excludes), mode: 0o644 },
      { name: CRONTAB_FILE, content: crontab, mode: 0o644 },
    ],
  };
}

function lines(values: string[]): string {
  return values.map((v) => `${v}\n`).join("");
}

interface ScriptValues {
  datacenter: string;
  repository: string;
  jobDir: string;
  passwordFile: string;
  metricsFile: string;
  cacheDir: string;
  caCert?: string;
  restic: string;
  keep: string;
  subset: string;
}

function renderScript(v: ScriptValues): string {
  const q = shQuote;
  return `#!/bin/sh
# ezorg backup job of ${v.datacenter}, rendered from the platform configuration. Do not edit.
# Backs up the Postfix queue and configuration into the repository in the other
# datacentre, applies retention, reads ${v.subset} of the data, then records success.
# Exit 0 only when every step succeeded; otherwise exit 1 with one line on stderr.
set -u
umask 077

DATACENTER=${q(v.datacenter)}
JOB_DIR=${q(v.jobDir)}
METRICS_FILE=${q(v.metricsFile)}
RESTIC=${q(v.restic)}
RESTIC_REPOSITORY=${q(v.repository)}
RESTIC_PASSWORD_FILE=${q(v.passwordFile)}
RESTIC_CACHE_DIR=${q(v.cacheDir)}
export RESTIC_REPOSITORY RESTIC_PASSWORD_FILE RESTIC_CACHE_DIR
unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND
${v.caCert ? `set -- --cacert ${q(v.caCert)}` : "set --"}

fail() {
  printf 'ezorg-backup %s: FAILED: %s\\n' "$DATACENTER" "$*" >&2
  exit 1
}

log() {
  printf '%s ezorg-backup %s: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$DATACENTER" "$*"
}

OUT=$(mktemp) || fail "cannot create a temporary file"
trap 'rm -f "$OUT"' EXIT

# restic STEP ARGS...: runs restic, copies its output to stdout, and on failure ends the
# job with restic's last "Fatal" line (or last line) as the reason.
restic_step() {
  step=$1
  shift
  "$RESTIC" "$@" >"$OUT" 2>&1
  rc=$?
  cat "$OUT"
  [ "$rc" -eq 0 ] && return 0
  reason=$(grep 'Fatal' "$OUT" | tail -n 1)
  [ -n "$reason" ] || reason=$(grep -v '^[[:space:]]*$' "$OUT" | tail -n 1)
  fail "$step failed (restic exit $rc): $reason"
}

# 1. Preflight: restic 0.14 skips a missing source path and still exits 0.
[ -r "$RESTIC_PASSWORD_FILE" ] && [ -s "$RESTIC_PASSWORD_FILE" ] \\
  || fail "password file $RESTIC_PASSWORD_FILE is missing or empty"
for list in "$JOB_DIR/${PATHS_FILE}" "$JOB_DIR/${REQUIRED_FILE}"; do
  [ -r "$list" ] || fail "job file $list is missing"
  while IFS= read -r path || [ -n "$path" ]; do
    [ -n "$path" ] || continue
    [ -e "$path" ] || fail "source path $path does not exist (volume not mounted?)"
  done <"$list"
done

# 2. Repository: tell a wrong password from a missing or unreachable repository.
if ! "$RESTIC" "$@" cat config >"$OUT" 2>&1; then
  cat "$OUT"
  reason=$(grep 'Fatal' "$OUT" | tail -n 1)
  if grep -q 'wrong password' "$OUT"; then
    fail "wrong password for repository $RESTIC_REPOSITORY (password file $RESTIC_PASSWORD_FILE)"
  elif grep -q 'unable to open config file' "$OUT"; then
    fail "no repository at $RESTIC_REPOSITORY (missing or unreachable; it is created once with restic init): $reason"
  fi
  fail "repository $RESTIC_REPOSITORY cannot be opened: $reason"
fi

# 3. Backup, retention, check. Exit 3 of backup (unreadable files) is a failure too.
log "backup to $RESTIC_REPOSITORY"
restic_step backup "$@" backup --host "$DATACENTER" --tag ezorg \\
  --files-from-verbatim "$JOB_DIR/${PATHS_FILE}" --exclude-file "$JOB_DIR/${EXCLUDES_FILE}"
log "retention"
restic_step retention "$@" forget --prune --host "$DATACENTER" --tag ezorg ${v.keep}
log "check, reading ${v.subset} of the data"
restic_step check "$@" check --read-data-subset=${q(v.subset)}

# 4. Success metric for the textfile collector, replaced atomically and world-readable.
tmp="$METRICS_FILE.$$"
{
  printf '# HELP ${BACKUP_METRIC} Unix time of the last backup whose backup, retention and check all succeeded.\\n'
  printf '# TYPE ${BACKUP_METRIC} gauge\\n'
  printf '${BACKUP_METRIC}{datacenter="%s"} %s\\n' "$DATACENTER" "$(date +%s)"
} >"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$METRICS_FILE" \\
  || { rm -f "$tmp"; fail "cannot write the metric file $METRICS_FILE"; }
log "done"
`;
}
