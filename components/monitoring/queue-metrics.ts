import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config/model";
import { DatacenterSite } from "../datacenter/datacenter";
import { persistentVolume, serviceContainer } from "../datacenter/service-container";
import { renderQueueAgeExporter } from "./queue-age";
import { TEXTFILE_EXPORTER_PORT } from "./render";

export interface QueueMetricsSpec {
  platform: PlatformConfig;
  site: DatacenterSite;
  /** The Postfix queue volume to measure. */
  queueVolume: pulumi.Input<string>;
  /** Postfix's main.cf, so `postqueue` finds the queue and the showq socket. */
  mainCf: string;
  /** Service address Prometheus scrapes (`<address>:9100`, see renderPrometheusConfig). */
  address: string;
}

const METRICS_DIR = "/var/lib/ezorg-queue/metrics";

/**
 * The metric behind `MailQueuedTooLong` for one Postfix instance: a cron sidecar that
 * asks the instance's showq (through the shared queue volume) for the oldest message,
 * and a textfile exporter on the instance's service address. Children of `parent`,
 * named `<name>-queue-age` and `<name>-queue-exporter`.
 */
export function queueMetrics(parent: pulumi.Resource, name: string, spec: QueueMetricsSpec): void {
  const exporter = renderQueueAgeExporter({ postfixConfigDir: "/etc/postfix", metricsDir: METRICS_DIR });
  const metrics = persistentVolume(parent, `${name}-queue-metrics`, spec.site, "queue-metrics");
  serviceContainer(parent, `${name}-queue-age`, spec.site, {
    image: spec.platform.images.postfix,
    files: { "/etc/postfix/main.cf": spec.mainCf, [exporter.scriptPath]: exporter.script, "/etc/crontabs/root": exporter.crontab },
    executables: [exporter.scriptPath],
    entrypoint: ["crond", "-f", "-l", "2"],
    volumes: [
      { volumeName: spec.queueVolume, containerPath: "/var/spool/postfix", readOnly: true },
      { volumeName: metrics.name, containerPath: METRICS_DIR },
    ],
  });
  serviceContainer(parent, `${name}-queue-exporter`, spec.site, {
    image: spec.platform.images.textfileExporter,
    files: {},
    command: ["--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory=/metrics", `--web.listen-address=:${TEXTFILE_EXPORTER_PORT}`],
    volumes: [{ volumeName: metrics.name, containerPath: "/metrics", readOnly: true }],
    ports: [{ internal: TEXTFILE_EXPORTER_PORT, external: TEXTFILE_EXPORTER_PORT, ip: spec.address }],
  });
}
