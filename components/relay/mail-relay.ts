import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Customer, PlatformConfig } from "../config/model";
import { DatacenterSite } from "../datacenter/datacenter";
import { persistentVolume, serviceContainer } from "../datacenter/service-container";
import { queueMetrics } from "../monitoring/queue-metrics";
import { renderRelay, TLS_CERT_PATH, TLS_KEY_PATH } from "../postfix/relay";

/** Where Postfix keeps its queue inside the container; the volume is mounted here. */
export const QUEUE_PATH = "/var/spool/postfix";

export interface MailRelayArgs {
  /** The validated platform configuration. Required. */
  platform: PlatformConfig;
  /** The customer registry; the rendered maps hold those whose stage reached the relay. Required. */
  customers: Customer[];
  /** The datacentre the relay runs in. Required. */
  site: DatacenterSite;
  /** PEM certificate for `relay.hostname`, from secret config. Required. */
  tlsCertificate: pulumi.Input<string>;
  /** PEM private key, from secret config; stays secret in state. Required. */
  tlsKey: pulumi.Input<string>;
}

/**
 * `inside-relay` in one datacentre: Postfix with its rendered configuration, the queue
 * on a volume that outlives the container, the relay port (and port 25 for the
 * mailfilters) bound to the relay's service address, and the queue-age metric.
 */
export class MailRelay extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly queue: docker.Volume;
  /** The rendered configuration, as uploaded. */
  readonly files: Record<string, string>;

  constructor(name: string, args: MailRelayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ezorg:relay:MailRelay", name, {}, opts);
    const { platform, site } = args;

    this.files = renderRelay(platform, args.customers);
    this.queue = persistentVolume(this, `${name}-queue`, site, "mail-queue");
    const { container } = serviceContainer(this, `${name}-postfix`, site, {
      image: platform.images.postfix,
      hostname: platform.relay.hostname,
      files: this.files,
      command: ["postfix", "start-fg"],
      labels: { "ezorg.role": "relay", "ezorg.tls-minimum": platform.tls.minimumVersion },
      secretFiles: { [TLS_CERT_PATH]: args.tlsCertificate, [TLS_KEY_PATH]: args.tlsKey },
      ports: [
        { internal: platform.relay.port, external: platform.relay.port, ip: platform.relay.address },
        { internal: 25, external: 25, ip: platform.relay.address },
      ],
      volumes: [{ volumeName: this.queue.name, containerPath: QUEUE_PATH }],
      healthcheck: ["postfix", "status"],
    });
    this.container = container;
    queueMetrics(this, name, { platform, site, queueVolume: this.queue.name, mainCf: this.files["/etc/postfix/main.cf"], address: platform.relay.address });

    this.registerOutputs({ containerName: container.name, queueVolume: this.queue.name, files: this.files });
  }
}
