import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BackupJob,
  backupRepositoryFor,
  backupSiteFor,
  renderBackupJob,
  shQuote,
  siteInternalZone,
} from "../../components/backup/render";
import { Datacenter, PlatformConfig } from "../../components/config/model";
import { samplePlatform } from "../fixtures";

function platformWith(change: (p: PlatformConfig) => void): PlatformConfig {
  const p = samplePlatform();
  change(p);
  return p;
}

const site = (name: string): Datacenter => ({
  name,
  city: name,
  country: "NL",
  dockerHost: `ssh://deploy@docker.${name}.ezorg.internal`,
  network: { name: "mailnet", subnet: "172.30.9.0/24" },
});

describe("backupRepositoryFor", () => {
  test("each site's backups go to the other site's rest-server, under the site's own name", () => {
    const p = samplePlatform();
    assert.equal(backupRepositoryFor(p, "ams1"), "rest:https://backup.gro1.ezorg.internal:8000/ams1");
    assert.equal(backupRepositoryFor(p, p.datacenters[1]), "rest:https://backup.ams1.ezorg.internal:8000/gro1");
  });

  test("with three sites each uses the next one, the last wrapping to the first", () => {
    const p = platformWith((x) => (x.datacenters = [site("ams1"), site("gro1"), site("ein1")]));
    assert.deepEqual(["ams1", "gro1", "ein1"].map((d) => backupSiteFor(p, d).name), ["gro1", "ein1", "ams1"]);
  });

  test("a single site, an unknown site and an unreadable docker host are refused", () => {
    assert.throws(() => backupRepositoryFor(platformWith((x) => (x.datacenters = [site("ams1")])), "ams1"), /backups must go to another datacentre/);
    assert.throws(() => backupRepositoryFor(samplePlatform(), "rtm1"), /datacenter "rtm1" is not in platform\.datacenters \(ams1, gro1\)/);
    assert.throws(() => siteInternalZone({ ...site("ams1"), dockerHost: "ssh://deploy@docker.example.org" }), /must contain "ams1\." followed by the internal zone/);
  });
});

describe("renderBackupJob", () => {
  const p = samplePlatform();
  const repo = backupRepositoryFor(p, "ams1");
  const job = renderBackupJob(p, p.datacenters[0], repo);
  const file = (j: BackupJob, name: string) => j.files.find((f) => f.name === name)!.content;
  const script = file(job, "ezorg-backup.sh");

  test("the job is a script, its path lists and a crontab line, in /etc/ezorg-backup", () => {
    assert.equal(job.directory, "/etc/ezorg-backup");
    assert.equal(job.command, "/bin/sh /etc/ezorg-backup/ezorg-backup.sh");
    assert.deepEqual(job.files.map((f) => [f.name, f.mode]), [
      ["ezorg-backup.sh", 0o755],
      ["backup-paths.txt", 0o644],
      ["backup-required.txt", 0o644],
      ["backup-excludes.txt", 0o644],
      ["crontab", 0o644],
    ]);
    assert.equal(file(job, "backup-paths.txt"), "/var/spool/postfix\n/etc/postfix\n");
    assert.equal(file(job, "backup-required.txt"), "/var/spool/postfix/deferred\n/etc/postfix/main.cf\n");
    assert.equal(
      file(job, "backup-excludes.txt"),
      ["pid", "public", "private", "dev", "etc", "lib", "usr"].map((d) => `/var/spool/postfix/${d}\n`).join(""),
    );
    assert.match(file(job, "crontab"), /^30 2 \* \* \* \/bin\/sh \/etc\/ezorg-backup\/ezorg-backup\.sh >\/proc\/1\/fd\/1 2>\/proc\/1\/fd\/2$/m);
  });

  test("the script targets the other site's repository and reads the password from a file only", () => {
    assert.match(script, /^#!\/bin\/sh$/m);
    assert.match(script, /^RESTIC_REPOSITORY='rest:https:\/\/backup\.gro1\.ezorg\.internal:8000\/ams1'$/m);
    assert.match(script, /^RESTIC_PASSWORD_FILE='\/run\/secrets\/restic-password'$/m);
    assert.match(script, /^unset RESTIC_PASSWORD RESTIC_PASSWORD_COMMAND$/m);
    assert.doesNotMatch(script, /RESTIC_PASSWORD=/);
  });

  test("retention and check come from platform.backup", () => {
    assert.match(script, /forget --prune --host "\$DATACENTER" --tag ezorg --keep-daily 14 --keep-weekly 8 --keep-monthly 12$/m);
    assert.match(script, /check --read-data-subset='10%'$/m);
    const other = file(
      renderBackupJob(
        platformWith((x) => Object.assign(x.backup, { keepDaily: 7, keepWeekly: 4, keepMonthly: 6, checkReadSubset: "1/5" })),
        p.datacenters[0],
        repo,
      ),
      "ezorg-backup.sh",
    );
    assert.match(other, /--keep-daily 7 --keep-weekly 4 --keep-monthly 6$/m);
    assert.match(other, /--read-data-subset='1\/5'$/m);
  });

  test("every source path is checked before restic runs, and the metric is written last", () => {
    const preflight = script.indexOf('[ -e "$path" ] || fail "source path $path does not exist');
    const backup = script.indexOf("restic_step backup");
    const metric = script.indexOf("ezorg_backup_last_success_timestamp_seconds{datacenter=");
    assert.ok(preflight > 0 && backup > preflight && metric > backup);
  });

  test("options move every path; a CA for the rest-server goes on every restic call", () => {
    const j = renderBackupJob(p, p.datacenters[0], repo, {
      jobDir: "/opt/job",
      queueDir: "/q",
      configDir: "/c",
      passwordFile: "/s/pw",
      metricsDir: "/m",
      cacheDir: "/cache",
      caCertFile: "/ca.pem",
    });
    const s = file(j, "ezorg-backup.sh");
    assert.equal(j.command, "/bin/sh /opt/job/ezorg-backup.sh");
    assert.match(s, /^JOB_DIR='\/opt\/job'$/m);
    assert.match(s, /^RESTIC_PASSWORD_FILE='\/s\/pw'$/m);
    assert.match(s, /^METRICS_FILE='\/m\/ezorg_backup\.prom'$/m);
    assert.match(s, /^RESTIC_CACHE_DIR='\/cache'$/m);
    assert.match(s, /^set -- --cacert '\/ca\.pem'$/m);
    assert.equal(file(j, "backup-paths.txt"), "/q\n/c\n");
    assert.equal(file(j, "backup-required.txt"), "/q/deferred\n/c/main.cf\n");
  });

  test("bad settings are refused with the field and the fix", () => {
    const dc = p.datacenters[0];
    assert.throws(() => renderBackupJob(platformWith((x) => (x.backup.keepDaily = 0)), dc, repo), /backup\.keepDaily is 0: it must be a whole number of at least 1/);
    assert.throws(() => renderBackupJob(platformWith((x) => (x.backup.checkReadSubset = "ten")), dc, repo), /backup\.checkReadSubset is "ten"/);
    assert.throws(() => renderBackupJob(p, dc, repo, { queueDir: "spool" }), /queueDir is "spool": it must be an absolute path/);
    assert.throws(() => renderBackupJob(p, dc, ""), /give one URL, e\.g\. rest:https:\/\/backup\.gro1/);
  });

  test("shQuote survives single quotes", () => {
    assert.equal(shQuote("it's"), `'it'\\''s'`);
  });
});

describe("renderBackupJob with the secure nodes' queues", () => {
  const job = renderBackupJob(samplePlatform(), samplePlatform().datacenters[0], "rest:https://backup.gro1.ezorg.internal:8000/ams1", {
    extraQueueDirs: ["/var/spool/secure-node-1"],
  });
  const file = (name: string) => job.files.find((f) => f.name === name)!.content;

  test("backs up every queue and the configuration", () => {
    assert.equal(file("backup-paths.txt"), "/var/spool/postfix\n/var/spool/secure-node-1\n/etc/postfix\n");
  });

  test("requires each queue's deferred folder, so an unmounted volume fails the job", () => {
    assert.equal(file("backup-required.txt"), "/var/spool/postfix/deferred\n/var/spool/secure-node-1/deferred\n/etc/postfix/main.cf\n");
  });

  test("excludes the sockets and chroot copies of every queue", () => {
    const excludes = file("backup-excludes.txt").trim().split("\n");
    assert.equal(excludes.length, 14);
    assert.ok(excludes.includes("/var/spool/secure-node-1/public"));
  });

  test("refuses a relative queue folder", () => {
    assert.throws(
      () => renderBackupJob(samplePlatform(), samplePlatform().datacenters[0], "rest:x", { extraQueueDirs: ["spool"] }),
      /extraQueueDirs\[0\] is "spool": it must be an absolute path/,
    );
  });
});
