import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/model";
import { DatacenterSite } from "../datacenter/datacenter";
import { persistentVolume, serviceContainer } from "../datacenter/service-container";
import { TEXTFILE_EXPORTER_PORT } from "../monitoring/render";
import { backupRepositoryFor, backupSiteFor, renderBackupJob, REST_SERVER_PORT } from "./render";

const QUEUE_DIR = "/var/spool/postfix";
const CONFIG_DIR = "/etc/postfix";
const PASSWORD_FILE = "/run/secrets/restic-password";
const METRICS_DIR = "/var/lib/ezorg-backup/metrics";

export interface BackupArgs {
  /** The validated platform configuration. Required. */
  platform: PlatformConfig;
  /** The site whose data is backed up, and which stores the other site's repository. Required. */
  site: DatacenterSite;
  /** Name of the relay's queue volume in this site, mounted read-only. Required. */
  queueVolume: pulumi.Input<string>;
  /** Queue volumes of the secure nodes in this site, by node name, mounted read-only. Default: none. */
  nodeQueues?: { node: string; volume: pulumi.Input<string> }[];
  /** The relay's rendered configuration, copied into the backup. Required. */
  configFiles: Record<string, string>;
  /** Repository password, from secret config. Required; never written in plain text. */
  password: pulumi.Input<string>;
}

/**
 * Backups of one site: a restic job (cron in the restic image) that backs up the
 * relay's and secure nodes' queues and the relay's configuration into a repository in the other datacentre, applies
 * the retention policy and checks a subset of the data; the exporter that hands the
 * job's success metric to Prometheus; and the repository server that stores the other
 * site's backups.
 */
export class Backup extends pulumi.ComponentResource {
  readonly job: docker.Container;
  readonly repositoryServer: docker.Container;
  readonly repositoryVolume: docker.Volume;
  readonly repository: string;

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ezorg:backup:Backup", name, {}, opts);
    const { platform, site } = args;
    this.repository = backupRepositoryFor(platform, site.site);

    this.repositoryVolume = persistentVolume(this, `${name}-repository`, site, "backup-repository");
    this.repositoryServer = serviceContainer(this, `${name}-rest-server`, site, {
      image: platform.images.restServer,
      files: {},
      // Append-only: a compromised site can add backups to the other site, never erase them.
      command: ["rest-server", "--path", "/data", "--listen", `:${REST_SERVER_PORT}`, "--append-only", "--private-repos"],
      volumes: [{ volumeName: this.repositoryVolume.name, containerPath: "/data" }],
      aliases: ["backup"],
    }).container;

    const nodeQueues = (args.nodeQueues ?? []).map((q) => ({ volumeName: q.volume, containerPath: `/var/spool/${q.node}`, readOnly: true }));
    const job = renderBackupJob(platform, site.site, this.repository, {
      queueDir: QUEUE_DIR,
      extraQueueDirs: nodeQueues.map((q) => q.containerPath),
      configDir: CONFIG_DIR,
      passwordFile: PASSWORD_FILE,
      metricsDir: METRICS_DIR,
    });
    const jobFiles = Object.fromEntries(job.files.map((f) => [`${job.directory}/${f.name}`, f.content]));
    const crontab = job.files.find((f) => f.name === "crontab")!.content;
    const metrics = persistentVolume(this, `${name}-metrics`, site, "backup-metrics");
    this.job = serviceContainer(this, `${name}-job`, site, {
      image: platform.images.restic,
      files: { ...jobFiles, "/etc/crontabs/root": crontab, ...args.configFiles },
      executables: job.files.filter((f) => f.mode & 0o111).map((f) => `${job.directory}/${f.name}`),
      secretFiles: { [PASSWORD_FILE]: args.password },
      entrypoint: ["crond", "-f", "-l", "2"],
      labels: { "ezorg.role": "backup-job", "ezorg.backup-target": backupSiteFor(platform, site.site).name },
      volumes: [
        { volumeName: args.queueVolume, containerPath: QUEUE_DIR, readOnly: true },
        ...nodeQueues,
        { volumeName: metrics.name, containerPath: METRICS_DIR },
      ],
    }).container;
    serviceContainer(this, `${name}-metrics`, site, {
      image: platform.images.textfileExporter,
      files: {},
      command: ["--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory=/metrics", `--web.listen-address=:${TEXTFILE_EXPORTER_PORT}`],
      volumes: [{ volumeName: metrics.name, containerPath: "/metrics", readOnly: true }],
      aliases: ["backup-metrics"],
    });

    this.registerOutputs({ repository: this.repository, files: jobFiles });
  }
}
