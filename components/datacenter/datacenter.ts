import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Datacenter } from "../config/model";

export interface DatacenterSiteArgs {
  /** The site from the platform configuration. Required; no default. */
  site: Datacenter;
  /**
   * Options for the ssh connection to the site's Docker engine.
   * Default: `["-o", "StrictHostKeyChecking=yes", "-o", "ServerAliveInterval=30"]`,
   * so an unknown host key stops the deployment instead of being trusted.
   */
  sshOpts?: string[];
}

/**
 * One Dutch datacentre: the Docker engine reached over ssh, and the internal network
 * the site's mail containers share. Every other platform component places its
 * containers through `provider` and `networkName`.
 */
export class DatacenterSite extends pulumi.ComponentResource {
  readonly site: Datacenter;
  readonly provider: docker.Provider;
  readonly network: docker.Network;
  readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: DatacenterSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ezorg:datacenter:DatacenterSite", name, {}, opts);
    this.site = args.site;

    this.provider = new docker.Provider(
      `${name}-docker`,
      {
        host: args.site.dockerHost,
        sshOpts: args.sshOpts ?? ["-o", "StrictHostKeyChecking=yes", "-o", "ServerAliveInterval=30"],
      },
      { parent: this },
    );
    this.network = new docker.Network(
      `${name}-network`,
      {
        name: args.site.network.name,
        driver: "bridge",
        ipamConfigs: [{ subnet: args.site.network.subnet }],
        labels: [
          { label: "ezorg.datacenter", value: args.site.name },
          { label: "ezorg.city", value: args.site.city },
          { label: "ezorg.country", value: args.site.country },
        ],
      },
      { parent: this, provider: this.provider },
    );
    this.networkName = this.network.name;

    this.registerOutputs({ networkName: this.networkName, city: args.site.city });
  }
}
