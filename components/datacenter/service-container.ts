import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { DatacenterSite } from "./datacenter";

export interface ServiceContainerSpec {
  /** Image reference, pinned by tag or digest. */
  image: string;
  /** Rendered configuration: absolute path in the container to file content. */
  files: Record<string, string>;
  /** Paths among `files` that must be executable (scripts). Default: none. */
  executables?: string[];
  /** Permissions and ownership of particular files, e.g. a password file only a group may read. Default: Docker's. */
  modes?: Record<string, { permissions: string; owner?: string; group?: string }>;
  /** Names other containers on the site network reach this one by. Default: none. */
  aliases?: string[];
  /** Secret files (keys, passwords): uploaded with mode 0600, kept secret in state. */
  secretFiles?: Record<string, pulumi.Input<string>>;
  /** Host ports; bound to a fixed address, hence replaced delete-first. */
  ports?: { internal: number; external: number; ip: string }[];
  /** Named volumes mounted into the container. */
  volumes?: { volumeName: pulumi.Input<string>; containerPath: string; readOnly?: boolean }[];
  /** Entrypoint, when the image's default is not the one wanted. */
  entrypoint?: string[];
  /** Command, when the image's default is not the one wanted. */
  command?: string[];
  envs?: pulumi.Input<string>[];
  /** Labels policies and reviews read (role, TLS minimum, backup target). Default: none. */
  labels?: Record<string, string>;
  /** Docker health check command. */
  healthcheck?: string[];
  hostname?: string;
}

/** SHA-256 over the rendered files, so a reviewer sees a configuration change as a label change. */
export function configDigest(files: Record<string, string>): string {
  const h = createHash("sha256");
  for (const name of Object.keys(files).sort()) h.update(`${name}\0${files[name]}\0`);
  return h.digest("hex");
}

/**
 * Creates the image and container of one service under `parent`, on the site's Docker
 * engine and network. Children are named `<name>-image` and `<name>`.
 */
export function serviceContainer(
  parent: pulumi.Resource,
  name: string,
  site: DatacenterSite,
  spec: ServiceContainerSpec,
): { image: docker.RemoteImage; container: docker.Container } {
  const opts = { parent, provider: site.provider };
  const image = new docker.RemoteImage(`${name}-image`, { name: spec.image, keepLocally: true }, opts);
  const uploads: docker.types.input.ContainerUpload[] = [
    ...Object.entries(spec.files).map(([file, content]) => ({
      file,
      content,
      ...(spec.executables?.includes(file) ? { executable: true } : {}),
      ...(spec.modes?.[file] ?? {}),
    })),
    ...Object.entries(spec.secretFiles ?? {}).map(([file, content]) => ({
      file,
      content: pulumi.secret(content),
      permissions: "0600",
    })),
  ];
  const container = new docker.Container(
    name,
    {
      name,
      image: image.imageId,
      hostname: spec.hostname,
      restart: "unless-stopped",
      mustRun: true,
      networksAdvanced: [{ name: site.networkName, ...(spec.aliases ? { aliases: spec.aliases } : {}) }],
      ports: spec.ports,
      volumes: spec.volumes,
      entrypoints: spec.entrypoint,
      command: spec.command,
      envs: spec.envs,
      uploads,
      labels: [
        { label: "ezorg.datacenter", value: site.site.name },
        { label: "ezorg.config-sha256", value: configDigest(spec.files) },
        ...Object.entries(spec.labels ?? {}).map(([label, value]) => ({ label, value })),
      ],
      healthcheck: spec.healthcheck ? { tests: ["CMD", ...spec.healthcheck], interval: "30s", retries: 3 } : undefined,
    },
    // Ports are bound to fixed service addresses: the old container must be gone before
    // the new one can bind them.
    { ...opts, deleteBeforeReplace: (spec.ports ?? []).length > 0 },
  );
  return { image, container };
}

/** A named volume for data that must outlive its container (queues, repositories). */
export function persistentVolume(parent: pulumi.Resource, name: string, site: DatacenterSite, purpose: string): docker.Volume {
  return new docker.Volume(
    name,
    { name, labels: [{ label: "ezorg.purpose", value: purpose }, { label: "ezorg.datacenter", value: site.site.name }] },
    // Removing a volume from the program must never destroy queued mail or backups.
    { parent, provider: site.provider, retainOnDelete: true },
  );
}
