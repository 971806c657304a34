import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Customer, PlatformConfig } from "../config/model";
import { DatacenterSite } from "../datacenter/datacenter";
import { persistentVolume, serviceContainer } from "../datacenter/service-container";
import { queueMetrics } from "../monitoring/queue-metrics";
import { QUEUE_PATH } from "../relay/mail-relay";
import { renderSecureNode, TLS_CERT_PATH, TLS_KEY_PATH } from "../postfix/secure-node";

const DOVECOT_USERS_PATH = "/etc/dovecot/users";

export interface SecureMailNodesArgs {
  /** The validated platform configuration; `secureNodes.nodes` says where each node runs. Required. */
  platform: PlatformConfig;
  /** The customer registry; credentials and sender permissions come from it. Required. */
  customers: Customer[];
  /** Every datacentre site by name. Required. */
  sites: Map<string, DatacenterSite>;
  /** PEM certificate for `secureNodes.hostname`, from secret config. Required. */
  tlsCertificate: pulumi.Input<string>;
  /** PEM private key, from secret config. Required. */
  tlsKey: pulumi.Input<string>;
}

/**
 * `secure-smtpnodes`: one Postfix node per entry of `secureNodes.nodes`, each in its own
 * datacentre, SMTP AUTH over TLS on the submission port, every customer's credential
 * limited to its own domains, routing by the secure-mail header.
 */
export class SecureMailNodes extends pulumi.ComponentResource {
  readonly containers: docker.Container[] = [];
  /** Each node's rendered configuration, by node name. */
  readonly files: Record<string, Record<string, string>> = {};
  /** Each node's queue volume with the datacentre it lives in, for the backup of that site. */
  readonly queues: { node: string; datacenter: string; volume: docker.Volume }[] = [];

  constructor(name: string, args: SecureMailNodesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ezorg:secure-nodes:SecureMailNodes", name, {}, opts);
    const { platform } = args;

    for (const node of platform.secureNodes.nodes) {
      const site = args.sites.get(node.datacenter);
      if (!site) throw new Error(`SecureMailNodes ${name}: node ${node.name} names datacentre ${node.datacenter}, which this platform does not have`);
      const nodeName = `${name}-${node.name}`;
      const queue = persistentVolume(this, `${nodeName}-queue`, site, "mail-queue");
      const files = renderSecureNode(platform, args.customers, node);
      this.files[node.name] = files;
      const { container } = serviceContainer(this, nodeName, site, {
        image: platform.images.postfix,
        hostname: platform.secureNodes.hostname,
        files,
        // Password hashes (and during a rotation the previous ones): readable by Dovecot's auth
        // process, not by every user of the image.
        modes: Object.fromEntries([DOVECOT_USERS_PATH, `${DOVECOT_USERS_PATH}.previous`].map((f) => [f, { permissions: "0640", owner: "root", group: "dovecot" }])),
        // Dovecot answers Postfix's SASL questions; both run in the node's container.
        command: ["sh", "-c", "dovecot && exec postfix start-fg"],
        labels: { "ezorg.role": "secure-node", "ezorg.tls-minimum": platform.tls.minimumVersion },
        secretFiles: { [TLS_CERT_PATH]: args.tlsCertificate, [TLS_KEY_PATH]: args.tlsKey },
        ports: [{ internal: platform.secureNodes.port, external: platform.secureNodes.port, ip: node.address }],
        volumes: [{ volumeName: queue.name, containerPath: QUEUE_PATH }],
        healthcheck: ["postfix", "status"],
      });
      queueMetrics(this, nodeName, { platform, site, queueVolume: queue.name, mainCf: files["/etc/postfix/main.cf"], address: node.address });
      this.containers.push(container);
      this.queues.push({ node: node.name, datacenter: node.datacenter, volume: queue });
    }

    this.registerOutputs({ nodes: platform.secureNodes.nodes.map((n) => `${n.name}@${n.datacenter}`), files: this.files });
  }
}
