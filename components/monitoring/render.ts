/**
 * Renders the monitoring configuration: Prometheus alert and recording rules, the
 * Prometheus configuration of one datacentre and the blackbox exporter modules that
 * probe every SMTP endpoint with STARTTLS. Pure functions: no Pulumi, no I/O.
 */
import { stringify } from "yaml";
import { Datacenter, PlatformConfig } from "../config/model";
import { BACKUP_METRIC, siteInternalZone } from "../backup/render";
import {
  backupMaxAgeSeconds,
  decimal,
  durationSeconds,
  maintenanceWindow,
  promDuration,
  queueAgeLimitSeconds,
  sloModel,
} from "./slo";

/** Scrape job of the blackbox SMTP probes; every availability rule selects on it. */
export const SMTP_PROBE_JOB = "ezorg-smtp";
/** Scrape job of the textfile exporters that publish the backup job's metric. */
export const BACKUP_METRICS_JOB = "ezorg-backup";
/** Scrape job of the textfile exporters on the mail hosts that publish the queue age. */
export const QUEUE_METRICS_JOB = "ezorg-postfix-queue";

/**
 * Age in seconds of the oldest message in a Postfix queue (labels: `queue`), written by
 * the exporter of queue-age.ts into a textfile collector on each mail host.
 * NOTE: no component installs that exporter and collector yet; until one does, the
 * queue job scrapes nothing and MailQueuedTooLong cannot fire.
 */
export const QUEUE_AGE_METRIC = "postfix_queue_oldest_message_age_seconds";

/** Port of the MTA-to-MTA service on the relay, probed beside the submission port. */
export const MTA_PORT = 25;
/** Port the blackbox exporter listens on. */
export const BLACKBOX_PORT = 9115;
/** Port of the node exporter textfile collectors (backup and queue metrics). */
export const TEXTFILE_EXPORTER_PORT = 9100;

/** Recording rules, named level:metric:operation. */
export const RULES = {
  localMinute: "ezorg:maintenance_timezone:minute_of_day",
  maintenanceActive: "ezorg:maintenance_window:active",
  countedSuccess: "ezorg:probe_success:counted",
  availability: (window: string) => `ezorg:endpoint_availability:ratio_${window}`,
  budgetUsed: (window: string) => `ezorg:endpoint_error_budget_used:ratio_${window}`,
  objective: "ezorg:slo_objective:ratio",
  yearlyBudget: "ezorg:slo_error_budget:minutes_per_year",
  pageWindowBudget: "ezorg:slo_error_budget:minutes_per_page_window",
} as const;

/** Rule group names, in evaluation order. */
export const GROUPS = {
  availability: "ezorg-availability",
  budget: "ezorg-availability-budget",
  alerts: "ezorg-alerts",
} as const;

/** One SMTP service address the blackbox exporter probes. */
export interface ProbeEndpoint {
  service: "relay" | "secure-nodes";
  /** `inside-relay` or the node's name, e.g. `smtpnode1`. */
  name: string;
  /** Name on the certificate, checked as the TLS server name. */
  hostname: string;
  address: string;
  port: number;
  /** Lowest TLS version the probe accepts. */
  minimumTlsVersion: "TLSv1.2" | "TLSv1.3";
  /** Blackbox module that probes it. */
  module: string;
}

/**
 * Every endpoint probed: the relay on its submission port and on port 25, and each
 * secure node on the submission port. Port 25 is MTA-to-MTA traffic, where TLS 1.2
 * stays acceptable; submission ports get `tls.minimumVersion`.
 */
export function probeEndpoints(platform: PlatformConfig): ProbeEndpoint[] {
  const submissionTls = platform.tls.minimumVersion;
  const relayName = platform.relay.hostname.split(".")[0];
  const endpoint = (
    service: ProbeEndpoint["service"],
    name: string,
    hostname: string,
    address: string,
    port: number,
    minimumTlsVersion: ProbeEndpoint["minimumTlsVersion"],
  ): ProbeEndpoint => ({
    service,
    name,
    hostname,
    address,
    port,
    minimumTlsVersion,
    module: `smtp_starttls_${service.replace(/-/g, "_")}_${port}`,
  });

  const { relay, secureNodes } = platform;
  const list = [endpoint("relay", relayName, relay.hostname, relay.address, relay.port, submissionTls)];
  if (relay.port !== MTA_PORT) {
    list.push(endpoint("relay", relayName, relay.hostname, relay.address, MTA_PORT, "TLSv1.2"));
  }
  for (const node of secureNodes.nodes) {
    list.push(endpoint("secure-nodes", node.name, secureNodes.hostname, node.address, secureNodes.port, submissionTls));
  }
  return list;
}

/*
 * Maintenance window in PromQL.
 * NOTE: the EU summer-time rule is written into the rules; should the EU abolish or move
 * summer time, SUPPORTED_ZONES in slo.ts and euSummerTimeExpr below must change together.
 *
 * Prometheus 2.42 has no time-zone functions: hour(), minute(), month(), day_of_month()
 * and day_of_week() all answer in UTC for the evaluation time. The zone's offset is
 * therefore derived from the UTC date with the EU rule written out: summer time runs
 * from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC.
 * Both months have 31 days, so a day is on or after its month's last Sunday exactly when
 * `day_of_month - day_of_week >= 25` (the Sunday of that week falls on the 25th or
 * later); on that Sunday itself the switch waits for 01:00 UTC. The rule is applied to
 * every year, so a date in 1970 (where promtool's test clock starts) behaves like the
 * same date in a year with the same calendar (2026 starts on a Thursday too).
 */

const MONTH = "month()";
const DAY = "day_of_month()";
const WEEKDAY = "day_of_week()";
const HOUR = "hour()";

/** 1 from the last Sunday of the evaluation month 01:00 UTC onwards, else 0. */
function onOrAfterLastSundayExpr(): string {
  return `(${DAY} - ${WEEKDAY} >= bool 25) * clamp_max((${WEEKDAY} > bool 0) + (${HOUR} >= bool 1), 1)`;
}

/** 1 while EU summer time is in force, else 0. */
function euSummerTimeExpr(): string {
  const after = onOrAfterLastSundayExpr();
  return `((${MONTH} > bool 3) * (${MONTH} < bool 10) + (${MONTH} == bool 3) * ${after} + (${MONTH} == bool 10) * (1 - ${after}))`;
}

/** Minutes after local midnight, 0..1439, in the maintenance window's zone. */
export function localMinuteOfDayExpr(platform: PlatformConfig): string {
  const { rule } = maintenanceWindow(platform);
  const offset = rule.dst === "eu" ? `${rule.standardOffsetMinutes} + 60 * ${euSummerTimeExpr()}` : `${rule.standardOffsetMinutes}`;
  // +1440 keeps the remainder positive for zones west of UTC (PromQL % keeps the sign).
  return `((${HOUR} * 60 + minute() + ${offset} + 1440) % 1440)`;
}

/**
 * PromQL that is 1 during the maintenance window and 0 outside it (a label-less vector).
 * `local` is the local minute of day; by default the full expression, inlined.
 */
export function maintenanceWindowExpr(platform: PlatformConfig, local = localMinuteOfDayExpr(platform)): string {
  const w = maintenanceWindow(platform);
  const afterStart = `(${local} >= bool ${w.startMinute})`;
  const beforeEnd = `(${local} < bool ${w.endMinute})`;
  return w.startMinute < w.endMinute
    ? `${afterStart} * ${beforeEnd}`
    : `clamp_max(${afterStart} + ${beforeEnd}, 1)`;
}

interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

/** Windows the availability ratios are recorded over: every burn-rate window. */
function availabilityWindows(platform: PlatformConfig): string[] {
  const windows = new Set<string>();
  for (const b of sloModel(platform).burnRateAlerts) {
    windows.add(b.shortWindow);
    windows.add(b.longWindow);
  }
  return [...windows].sort((a, b) => durationSeconds(a) - durationSeconds(b));
}

/** An alert description: what happened and why it matters, then numbered runbook steps. */
function runbook(situation: string[], steps: string[]): string {
  return [situation.join(" "), "Runbook:", ...steps.map((step, i) => `${i + 1}. ${step}`)].join("\n");
}

/** `{{ $labels.instance }} ({{ $labels.service }} {{ $labels.node }})`, for summaries. */
const ENDPOINT = "{{ $labels.instance }} ({{ $labels.service }} {{ $labels.node }})";

function hoursText(seconds: number): string {
  return `${decimal(seconds / 3600)} h`;
}

function burnRateRules(platform: PlatformConfig): AlertingRule[] {
  const slo = sloModel(platform);
  const objective = platform.availability.objectivePercent;
  return slo.burnRateAlerts.map((b) => {
    const alert = `SmtpAvailabilityBudgetBurn${b.name === "fast" ? "Fast" : "Slow"}`;
    const errors = (w: string) => `(1 - ${RULES.availability(w)}) > ${b.errorRatioThreshold}`;
    return {
      alert,
      expr: `${errors(b.longWindow)}\nand\n${errors(b.shortWindow)}`,
      for: b.for,
      labels: { severity: "page", nta7516: "6.1.2" },
      annotations: {
        summary: `SMTP endpoint ${ENDPOINT} burns the availability budget ${b.burnRate}x too fast`,
        description: runbook(
          [
            `Over the last ${b.longWindow} and ${b.shortWindow} more than ${decimal(b.errorRatioThreshold * 100)} %`,
            "of the STARTTLS probes of {{ $labels.endpoint }} failed outside the maintenance window.",
            `At this rate ${b.budgetPercent} % of the ${slo.pageWindowDays}-day error budget`,
            `(${slo.errorBudgetMinutesPerPageWindow} min; ${slo.errorBudgetMinutesPerYear} min a year for ${objective} %)`,
            `is gone within ${b.longWindow}.`,
          ],
          [
            "Probe by hand: swaks --server {{ $labels.instance }} --tls --quit-after EHLO.",
            "On the host: postfix status, the mail log, the certificate (openssl s_client -starttls smtp).",
            "If it cannot be fixed quickly, take the node out of rotation so the other datacentre carries the traffic.",
            `Record the incident: NTA 7516 6.1.2 allows ${objective} % a year.`,
          ],
        ),
      },
    };
  });
}

function outageRule(platform: PlatformConfig): AlertingRule {
  const slo = sloModel(platform);
  const escalateSeconds = Math.round(slo.outageEscalationHours * 3600);
  const leftHours = decimal(slo.maxOutageHours - slo.outageEscalationHours);
  return {
    alert: "SmtpOutageApproachingMaximum",
    // Raw probes, maintenance included: NTA 7516 6.1.3 limits any continuous outage.
    expr: `probe_success{job="${SMTP_PROBE_JOB}"} == 0`,
    for: promDuration(escalateSeconds),
    labels: { severity: "critical", escalation: "management", nta7516: "6.1.3" },
    annotations: {
      summary: `SMTP endpoint ${ENDPOINT} has been down for ${hoursText(escalateSeconds)} without a break`,
      description: runbook(
        [
          `Every STARTTLS probe of {{ $labels.endpoint }} failed for ${hoursText(escalateSeconds)}.`,
          `NTA 7516 6.1.3 allows at most ${slo.maxOutageHours} h of continuous outage: ${leftHours} h are left.`,
        ],
        [
          "Escalate to the duty manager now.",
          "Fail the service over to the other datacentre (take this address out of the DNS name and the customers' connectors if needed).",
          "Inform the affected customers.",
          "Keep the queue: undeliverable mail stays queued, never deleted (6.1.11).",
        ],
      ),
    },
  };
}

function probeHealthRules(platform: PlatformConfig): AlertingRule[] {
  const interval = platform.monitoring.probeIntervalSeconds;
  return [
    {
      alert: "SmtpProbesMissing",
      expr: `up{job="${SMTP_PROBE_JOB}"} == 0 or absent(probe_success{job="${SMTP_PROBE_JOB}"})`,
      for: promDuration(Math.max(300, 10 * interval)),
      labels: { severity: "warning" },
      annotations: {
        summary: "SMTP availability is not being measured",
        description: runbook(
          [
            "The blackbox exporter does not answer or no probe results arrive.",
            "Failed scrapes do not count against availability, so an outage in this state goes unnoticed.",
          ],
          [
            "Check the blackbox container of this datacentre and its logs.",
            `curl 'http://<blackbox>:${BLACKBOX_PORT}/probe?module=<module>&target=<address:port>&debug=true'.`,
          ],
        ),
      },
    },
    {
      alert: "SmtpCertificateExpiresSoon",
      expr: `probe_ssl_earliest_cert_expiry{job="${SMTP_PROBE_JOB}"} - time() < 14 * 86400`,
      for: "1h",
      labels: { severity: "warning", nta7516: "5.5" },
      annotations: {
        summary: "The certificate of {{ $labels.endpoint }} expires within 14 days",
        description: runbook(
          [
            "A valid certificate bound to the SMTP service is required (guide 5.5);",
            "once it expires, customers' servers refuse STARTTLS and mail queues.",
          ],
          ["Renew the certificate.", "Roll it out with `ezorg rotate`.", "Probe again."],
        ),
      },
    },
  ];
}

function backupRules(platform: PlatformConfig): AlertingRule[] {
  const maxAge = backupMaxAgeSeconds(platform);
  const steps = [
    "docker logs of the restic container in {{ $labels.datacenter }}: a failed run wrote one line saying why (wrong password, missing repository, missing source path, check failed).",
    "Check the rest-server in the other datacentre.",
    "Run the job by hand and watch it finish; the alert clears when the metric is written.",
  ];
  const stale: AlertingRule = {
    alert: "BackupStale",
    expr: `time() - max by (datacenter) (${BACKUP_METRIC}) > ${maxAge}`,
    labels: { severity: "page", nta7516: "6.1.4" },
    annotations: {
      summary: `No successful backup of {{ $labels.datacenter }} for more than ${hoursText(maxAge)}`,
      description: runbook(
        [
          "The last run that completed backup, retention and repository check in {{ $labels.datacenter }}",
          `is older than backup.maxAgeHours (${hoursText(maxAge)}).`,
          "The queue and the configuration are not safe in the other datacentre.",
        ],
        steps,
      ),
    },
  };
  const missing = platform.datacenters.map(
    (dc): AlertingRule => ({
      alert: "BackupNeverSucceeded",
      expr: `absent(${BACKUP_METRIC}{datacenter="${dc.name}"})`,
      for: promDuration(maxAge),
      labels: { severity: "page", datacenter: dc.name, nta7516: "6.1.4" },
      annotations: {
        summary: `No successful backup of {{ $labels.datacenter }} is known for ${hoursText(maxAge)}`,
        description: runbook(
          [
            `The metric ${BACKUP_METRIC} of {{ $labels.datacenter }} is absent:`,
            "the job never succeeded, or its textfile exporter is not scraped.",
          ],
          steps,
        ),
      },
    }),
  );
  return [stale, ...missing];
}

function queueRule(platform: PlatformConfig): AlertingRule {
  const limit = queueAgeLimitSeconds(platform);
  const notify = platform.queue.notifyWithinHours;
  return {
    alert: "MailQueuedTooLong",
    expr: `${QUEUE_AGE_METRIC} > ${limit}`,
    labels: { severity: "page", nta7516: "6.1.4" },
    annotations: {
      summary: `A message has been queued on {{ $labels.instance }} for more than ${hoursText(limit)}`,
      description: runbook(
        [
          `The oldest message in the {{ $labels.queue }} queue of {{ $labels.instance }} is older than ${hoursText(limit)}.`,
          `NTA 7516 6.1.4 requires the sender to be told within ${notify} h of sending: ${hoursText(notify * 3600 - limit)} are left.`,
        ],
        [
          "postqueue -p on the host: which destination, which error.",
          "Fix the route, or the receiving side if it is ours.",
          `Make sure the sender got Postfix's delay notice (delay_warning_time ${platform.queue.delayWarningHours} h); if not, tell them.`,
          "Never delete queued mail (6.1.11).",
        ],
      ),
    },
  };
}

/** The Prometheus rules file (recording and alerting rules) as YAML. */
export function renderAlertRules(platform: PlatformConfig): string {
  const slo = sloModel(platform);
  const interval = promDuration(platform.monitoring.probeIntervalSeconds);
  const pageWindow = promDuration(slo.pageWindowDays * 86400);

  // Rules of a group run in order with one evaluation time, so each rule below sees the
  // samples the rules above it recorded in the same evaluation.
  const availability: RecordingRule[] = [
    { record: RULES.localMinute, expr: localMinuteOfDayExpr(platform) },
    { record: RULES.maintenanceActive, expr: maintenanceWindowExpr(platform, RULES.localMinute) },
    {
      record: RULES.countedSuccess,
      expr: `probe_success{job="${SMTP_PROBE_JOB}"} unless on() (${RULES.maintenanceActive} == 1)`,
    },
    ...availabilityWindows(platform).map((w) => ({
      record: RULES.availability(w),
      expr: `avg_over_time(${RULES.countedSuccess}[${w}])`,
    })),
  ];

  const budget: RecordingRule[] = [
    { record: RULES.objective, expr: `vector(${slo.objectiveRatio})` },
    // NOTE: the yearly budget is reported as a figure; what a whole year consumed is not
    // computed here (a 365-day range per evaluation is too heavy): report it from the
    // 30-day budget-used series or a long-range query.
    { record: RULES.yearlyBudget, expr: `vector(${slo.errorBudgetMinutesPerYear})` },
    {
      record: RULES.pageWindowBudget,
      expr: `vector(${slo.errorBudgetMinutesPerPageWindow})`,
      labels: { window: pageWindow },
    },
    { record: RULES.availability(pageWindow), expr: `avg_over_time(${RULES.countedSuccess}[${pageWindow}])` },
    {
      record: RULES.budgetUsed(pageWindow),
      expr: `(1 - ${RULES.availability(pageWindow)}) / ${slo.errorBudgetRatio}`,
    },
  ];

  const alerts: AlertingRule[] = [
    ...burnRateRules(platform),
    outageRule(platform),
    ...probeHealthRules(platform),
    ...backupRules(platform),
    queueRule(platform),
  ];

  const doc = {
    groups: [
      { name: GROUPS.availability, interval, rules: availability },
      // A 30-day range is costly; every 5 minutes is plenty for a budget figure.
      { name: GROUPS.budget, interval: promDuration(Math.max(300, platform.monitoring.probeIntervalSeconds)), rules: budget },
      { name: GROUPS.alerts, interval, rules: alerts },
    ],
  };
  return header("Prometheus rules") + stringify(doc, { lineWidth: 0 });
}

export interface PrometheusConfigOptions {
  /** `host:port` of the blackbox exporter. Default: `blackbox:9115`, the container on the site's network. */
  blackboxAddress?: string;
  /** Rule files to load. Default: `["/etc/prometheus/rules/ezorg.rules.yml"]`. */
  ruleFiles?: string[];
  /** Address probed for an endpoint. Default: `<address>:<port>`. */
  targetAddress?: (endpoint: ProbeEndpoint) => string;
  /**
   * Textfile exporters publishing the backup metric. Default: `backup-metrics.<dc>.<internal zone>:9100`
   * for every datacentre, so each site also sees the other's backups.
   * NOTE: those names must resolve in the internal DNS; a container alias alone only
   * works for the local site.
   */
  backupMetricsTargets?: string[];
  /** Textfile exporters publishing the queue age. Default: the relay and every secure node on port 9100. */
  queueMetricsTargets?: string[];
  /**
   * Alertmanagers (`host:port`). Default: none, and no `alerting` section.
   * NOTE: the platform model has no notification route yet; without this option alerts
   * are only visible in Prometheus itself.
   */
  alertmanagers?: string[];
}

/** Default scrape address of a site's backup textfile exporter. */
export function backupMetricsTarget(dc: Datacenter): string {
  return `backup-metrics.${dc.name}.${siteInternalZone(dc)}:${TEXTFILE_EXPORTER_PORT}`;
}

/**
 * The Prometheus configuration of one datacentre. Each site probes every endpoint in
 * both sites and scrapes both sites' backup metrics, so either site notices the other
 * going dark; `observer` tells their alerts apart.
 */
export function renderPrometheusConfig(
  platform: PlatformConfig,
  datacenter: Datacenter,
  options: PrometheusConfigOptions = {},
): string {
  if (!platform.datacenters.some((d) => d.name === datacenter.name)) {
    throw new Error(`datacenter "${datacenter.name}" is not in platform.datacenters (${platform.datacenters.map((d) => d.name).join(", ")}); pass one of those`);
  }
  const interval = platform.monitoring.probeIntervalSeconds;
  if (!(Number.isInteger(interval) && interval > 0)) {
    throw new Error(`monitoring.probeIntervalSeconds is ${interval}: it must be a positive whole number of seconds; set e.g. 30`);
  }
  const blackbox = options.blackboxAddress ?? `blackbox:${BLACKBOX_PORT}`;
  const target = options.targetAddress ?? ((e: ProbeEndpoint) => `${e.address}:${e.port}`);

  const probeGroups = probeEndpoints(platform).map((e) => ({
    targets: [target(e)],
    labels: {
      __param_module: e.module,
      service: e.service,
      node: e.name,
      endpoint: `${e.hostname}:${e.port}`,
    },
  }));
  const smtpJob = {
    job_name: SMTP_PROBE_JOB,
    metrics_path: "/probe",
    scrape_interval: promDuration(interval),
    scrape_timeout: promDuration(Math.min(10, interval)),
    static_configs: probeGroups,
    relabel_configs: [
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: blackbox },
    ],
  };
  const backupJob = {
    job_name: BACKUP_METRICS_JOB,
    scrape_interval: "1m",
    static_configs: [{ targets: options.backupMetricsTargets ?? platform.datacenters.map(backupMetricsTarget) }],
  };
  const queueTargets = options.queueMetricsTargets ?? [
    platform.relay.address,
    ...platform.secureNodes.nodes.map((n) => n.address),
  ].map((a) => `${a}:${TEXTFILE_EXPORTER_PORT}`);
  const queueJob = {
    job_name: QUEUE_METRICS_JOB,
    scrape_interval: "1m",
    static_configs: [{ targets: queueTargets }],
  };

  const doc: Record<string, unknown> = {
    global: {
      scrape_interval: promDuration(interval),
      evaluation_interval: promDuration(interval),
      external_labels: { observer: datacenter.name, environment: platform.environment },
    },
    rule_files: options.ruleFiles ?? ["/etc/prometheus/rules/ezorg.rules.yml"],
    scrape_configs: [smtpJob, backupJob, queueJob],
  };
  if (options.alertmanagers?.length) {
    doc.alerting = { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] };
  }
  return header(`Prometheus configuration of ${datacenter.name}`) + stringify(doc, { lineWidth: 0 });
}

export interface BlackboxConfigOptions {
  /** CA bundle the probes verify certificates against. Default: the system's trust store. */
  caFile?: string;
  /** Name the probe introduces itself with in EHLO. Default: `probe.<provider zone>`. */
  heloName?: string;
}

const TLS_VERSION = { "TLSv1.2": "TLS12", "TLSv1.3": "TLS13" } as const;

/**
 * Blackbox exporter modules: one per service and port, each a TCP probe that speaks
 * SMTP up to STARTTLS, upgrades, verifies the certificate for the service's host name
 * and refuses a TLS version below the endpoint's minimum, then says EHLO again.
 */
export function renderBlackboxConfig(platform: PlatformConfig, options: BlackboxConfigOptions = {}): string {
  const helo = options.heloName ?? `probe.${platform.provider.zone}`;
  const timeout = Math.max(1, Math.min(10, platform.monitoring.probeIntervalSeconds) - 2);
  const modules: Record<string, unknown> = {};
  for (const e of probeEndpoints(platform)) {
    if (modules[e.module]) continue;
    modules[e.module] = {
      prober: "tcp",
      timeout: promDuration(timeout),
      tcp: {
        preferred_ip_protocol: "ip4",
        tls_config: {
          server_name: e.hostname,
          min_version: TLS_VERSION[e.minimumTlsVersion],
          ...(options.caFile ? { ca_file: options.caFile } : {}),
        },
        // The prober appends "\n" to each send; SMTP wants CRLF.
        // NOTE: the probe does not check that the secure nodes offer AUTH after STARTTLS;
        // that needs a SASL backend in the test servers and is left to the mail-flow checks.
        query_response: [
          { expect: "^220[ -]" },
          { send: `EHLO ${helo}\r` },
          { expect: "^250[ -]STARTTLS" },
          { send: "STARTTLS\r" },
          { expect: "^220[ -]" },
          { starttls: true },
          { send: `EHLO ${helo}\r` },
          { expect: "^250[ -]" },
          { send: "QUIT\r" },
        ],
      },
    };
  }
  return header("blackbox exporter modules") + stringify({ modules }, { lineWidth: 0 });
}

function header(what: string): string {
  return `# ${what}, rendered by ezorg from the platform configuration. Do not edit by hand.\n`;
}
