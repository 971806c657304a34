import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/model";
import { DatacenterSite } from "../datacenter/datacenter";
import { persistentVolume, serviceContainer } from "../datacenter/service-container";
import { backupRepositoryFor, renderBackupJob } from "./render";

/** Port of the repository server each site runs for the other site's backups. */
export const REST_SERVER_PORT = 8000;

export interface BackupArgs {
  /** The validated platform configuration. Required. */
  platform: PlatformConfig;
  /** The site whose data is backed up (and which stores the other site's repository). Required. */
  site: DatacenterSite;
  /** Volumes to back up, e.g. the relay and secure-node queues of this site. Required. */
  sources: { name: string; volume: pulumi.Input<string> }[];
  /** Rendered configuration of this site's services, copied into the backup. Default: none. */
  configFiles?: Record<string, string>;
  /** Repository password, from secret config. Required; never written in plain text. */
  password: pulumi.Input<string>;
}

/**
 * Backups of one site: a restic job that backs up the site's queues and configuration
 * into a repository in the other datacentre, applies the retention policy and checks a
 * subset of the data; and the repository server that stores the other site's backups.
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
      command: ["rest-server", "--path", "/data", "--listen", `:${REST_SERVER_PORT}`, "--append-only", "--private-repos"],
      volumes: [{ volumeName: this.repositoryVolume.name, containerPath: "/data" }],
    }).container;

    const sourcePaths = args.sources.map((s) => `/srv/backup/${s.name}`);
    const configFiles = Object.fromEntries(
      Object.entries(args.configFiles ?? {}).map(([file, content]) => [`/srv/backup/config${file}`, content]),
    );
    const job = renderBackupJob(platform, site.site, this.repository, {
      sources: [...sourcePaths, ...(Object.keys(configFiles).length ? ["/srv/backup/config"] : [])],
    });
    this.job = serviceContainer(this, `${name}-job`, site, {
      image: platform.images.restic,
      files: { ...job.files, ...configFiles },
      secretFiles: { [job.passwordFile]: args.password },
      command: job.command,
      volumes: args.sources.map((s, i) => ({ volumeName: s.volume, containerPath: sourcePaths[i], readOnly: true })),
    }).container;

    this.registerOutputs({ repository: this.repository, sources: sourcePaths });
  }
}
