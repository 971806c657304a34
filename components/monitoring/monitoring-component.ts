import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/model";
import { DatacenterSite } from "../datacenter/datacenter";
import { persistentVolume, serviceContainer } from "../datacenter/service-container";
import { BLACKBOX_PORT, renderAlertRules, renderBlackboxConfig, renderPrometheusConfig } from "./render";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/rules/ezorg.rules.yml";
export const BLACKBOX_CONFIG_PATH = "/etc/blackbox_exporter/config.yml";
/** A year of samples plus a margin, so the yearly availability figure can be computed. */
export const RETENTION = "400d";

export interface MonitoringArgs {
  /** The validated platform configuration: endpoints, objective, maintenance window. Required. */
  platform: PlatformConfig;
  /** The site this Prometheus and blackbox exporter run in; each site probes every endpoint. Required. */
  site: DatacenterSite;
}

/**
 * Monitoring in one datacentre: a blackbox exporter probing every SMTP endpoint of the
 * platform, and Prometheus with the availability, outage, backup and queue alerts.
 * Both sites run it, so losing one datacentre never silences the alerts.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly prometheus: docker.Container;
  readonly blackbox: docker.Container;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ezorg:monitoring:Monitoring", name, {}, opts);
    const { platform, site } = args;

    const blackboxFiles = { [BLACKBOX_CONFIG_PATH]: renderBlackboxConfig(platform) };
    const prometheusFiles = {
      [PROMETHEUS_CONFIG_PATH]: renderPrometheusConfig(platform, site.site, { ruleFiles: [PROMETHEUS_RULES_PATH] }),
      [PROMETHEUS_RULES_PATH]: renderAlertRules(platform),
    };
    this.blackbox = serviceContainer(this, `${name}-blackbox`, site, {
      image: platform.images.blackbox,
      files: blackboxFiles,
      command: [`--config.file=${BLACKBOX_CONFIG_PATH}`, `--web.listen-address=:${BLACKBOX_PORT}`],
      // renderPrometheusConfig reaches the exporter as `blackbox` on the site network.
      aliases: ["blackbox"],
    }).container;
    const tsdb = persistentVolume(this, `${name}-tsdb`, site, "metrics");
    this.prometheus = serviceContainer(this, `${name}-prometheus`, site, {
      image: platform.images.prometheus,
      files: prometheusFiles,
      command: [`--config.file=${PROMETHEUS_CONFIG_PATH}`, "--storage.tsdb.path=/prometheus", `--storage.tsdb.retention.time=${RETENTION}`],
      labels: { "ezorg.role": "prometheus", "ezorg.availability-objective": String(platform.availability.objectivePercent) },
      volumes: [{ volumeName: tsdb.name, containerPath: "/prometheus" }],
    }).container;

    this.registerOutputs({ prometheus: this.prometheus.name, blackbox: this.blackbox.name, files: { ...blackboxFiles, ...prometheusFiles } });
  }
}
