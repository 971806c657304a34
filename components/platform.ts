import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { Backup } from "./backup/backup-component";
import { Customer, PlatformConfig } from "./config/model";
import { DatacenterSite } from "./datacenter/datacenter";
import { MailDns } from "./dns/mail-dns";
import { providerRecords } from "./dns/records";
import { Monitoring } from "./monitoring/monitoring-component";
import { MailRelay } from "./relay/mail-relay";
import { SecureMailNodes } from "./secure-nodes/secure-mail-nodes";

/** Secret configuration of a platform stack, read through `pulumi.Config().requireSecret`. */
export interface PlatformSecrets {
  relayTlsCertificate: pulumi.Output<string>;
  relayTlsKey: pulumi.Output<string>;
  secureNodeTlsCertificate: pulumi.Output<string>;
  secureNodeTlsKey: pulumi.Output<string>;
  backupPassword: pulumi.Output<string>;
  cloudflareApiToken: pulumi.Output<string>;
}

/**
 * A platform stack. Its resource count depends on the datacentres and nodes only: what
 * each customer needs is rendered into the relay's and nodes' configuration files.
 */
export function platformStack(platform: PlatformConfig, customers: Customer[], secrets: PlatformSecrets): Record<string, unknown> {
  const sites = new Map(platform.datacenters.map((d) => [d.name, new DatacenterSite(d.name, { site: d })]));

  const relays = [...sites.values()].map(
    (site) =>
      new MailRelay(`${site.site.name}-relay`, {
        platform,
        customers,
        site,
        tlsCertificate: secrets.relayTlsCertificate,
        tlsKey: secrets.relayTlsKey,
      }),
  );
  const nodes = new SecureMailNodes("secure-smtpnodes", {
    platform,
    customers,
    sites,
    tlsCertificate: secrets.secureNodeTlsCertificate,
    tlsKey: secrets.secureNodeTlsKey,
  });

  const backups = [...sites.values()].map(
    (site, i) =>
      new Backup(`${site.site.name}-backup`, {
        platform,
        site,
        queueVolume: relays[i].queue.name,
        nodeQueues: nodes.queues.filter((q) => q.datacenter === site.site.name).map((q) => ({ node: q.node, volume: q.volume.name })),
        configFiles: relays[i].files,
        password: secrets.backupPassword,
      }),
  );
  for (const site of sites.values()) new Monitoring(`${site.site.name}-monitoring`, { platform, site });

  const cf = new cloudflare.Provider("cloudflare", { apiToken: secrets.cloudflareApiToken });
  new MailDns("provider-zone", { zoneId: platform.provider.cloudflareZoneId, records: providerRecords(platform), provider: cf });

  return {
    environment: platform.environment,
    datacenters: platform.datacenters.map((d) => `${d.name} (${d.city})`),
    relay: `${platform.relay.hostname} ${platform.relay.address}:${platform.relay.port}`,
    secureNodes: platform.secureNodes.nodes.map((n) => `${platform.secureNodes.hostname} ${n.address}:${platform.secureNodes.port} (${n.datacenter})`),
    backupRepositories: backups.map((b) => b.repository),
    customers: customers.length,
  };
}
