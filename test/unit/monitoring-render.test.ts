import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { PlatformConfig } from "../../components/config/model";
import {
  GROUPS,
  localMinuteOfDayExpr,
  maintenanceWindowExpr,
  probeEndpoints,
  QUEUE_AGE_METRIC,
  renderAlertRules,
  renderBlackboxConfig,
  renderPrometheusConfig,
  RULES,
} from "../../components/monitoring/render";
import { renderQueueAgeExporter } from "../../components/monitoring/queue-age";
import { samplePlatform } from "../fixtures";

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RulesDoc {
  groups: { name: string; interval: string; rules: Rule[] }[];
}

function rulesOf(p: PlatformConfig): RulesDoc {
  return parse(renderAlertRules(p)) as RulesDoc;
}

function rule(doc: RulesDoc, name: string): Rule {
  const found = doc.groups.flatMap((g) => g.rules).filter((r) => (r.alert ?? r.record) === name);
  assert.equal(found.length, 1, `one rule ${name}`);
  return found[0];
}

function platformWith(change: (p: PlatformConfig) => void): PlatformConfig {
  const p = samplePlatform();
  change(p);
  return p;
}

describe("probeEndpoints", () => {
  test("the relay on 587 and 25, and each secure node on 587", () => {
    assert.deepEqual(
      probeEndpoints(samplePlatform()).map((e) => [e.name, e.address, e.port, e.hostname, e.minimumTlsVersion, e.module]),
      [
        ["inside-relay", "10.254.253.199", 587, "inside-relay.ezorg.nl", "TLSv1.3", "smtp_starttls_relay_587"],
        ["inside-relay", "10.254.253.199", 25, "inside-relay.ezorg.nl", "TLSv1.2", "smtp_starttls_relay_25"],
        ["smtpnode1", "10.254.253.86", 587, "secure-smtpnodes.ezorg.nl", "TLSv1.3", "smtp_starttls_secure_nodes_587"],
        ["smtpnode2", "10.254.253.87", 587, "secure-smtpnodes.ezorg.nl", "TLSv1.3", "smtp_starttls_secure_nodes_587"],
      ],
    );
  });
});

describe("renderAlertRules", () => {
  test("three groups: availability at the probe interval, budget every 5 minutes, alerts", () => {
    const doc = rulesOf(samplePlatform());
    assert.deepEqual(doc.groups.map((g) => [g.name, g.interval]), [
      [GROUPS.availability, "30s"],
      [GROUPS.budget, "5m"],
      [GROUPS.alerts, "30s"],
    ]);
  });

  test("the yearly budget, objective and page-window budget are recorded as figures", () => {
    const doc = rulesOf(samplePlatform());
    assert.equal(rule(doc, RULES.yearlyBudget).expr, "vector(1051.2)");
    assert.equal(rule(doc, RULES.objective).expr, "vector(0.998)");
    assert.equal(rule(doc, RULES.pageWindowBudget).expr, "vector(86.4)");
    assert.equal(rule(doc, RULES.budgetUsed("30d")).expr, "(1 - ezorg:endpoint_availability:ratio_30d) / 0.002");
    assert.equal(rule(rulesOf(platformWith((p) => (p.availability.objectivePercent = 99.9))), RULES.yearlyBudget).expr, "vector(525.6)");
  });

  test("availability counts only probes outside the maintenance window, over every burn window", () => {
    const doc = rulesOf(samplePlatform());
    assert.equal(rule(doc, RULES.localMinute).expr, localMinuteOfDayExpr(samplePlatform()));
    assert.equal(rule(doc, RULES.maintenanceActive).expr, maintenanceWindowExpr(samplePlatform(), RULES.localMinute));
    assert.equal(
      rule(doc, RULES.countedSuccess).expr,
      `probe_success{job="ezorg-smtp"} unless on() (${RULES.maintenanceActive} == 1)`,
    );
    for (const w of ["5m", "30m", "1h", "6h", "30d"]) {
      assert.equal(rule(doc, RULES.availability(w)).expr, `avg_over_time(${RULES.countedSuccess}[${w}])`);
    }
  });

  test("burn-rate alerts compare both windows with thresholds computed from the objective", () => {
    const expr = (objective: number, name: string) =>
      rule(rulesOf(platformWith((p) => (p.availability.objectivePercent = objective))), name).expr;
    assert.equal(
      expr(99.8, "SmtpAvailabilityBudgetBurnFast"),
      "(1 - ezorg:endpoint_availability:ratio_1h) > 0.0288\nand\n(1 - ezorg:endpoint_availability:ratio_5m) > 0.0288",
    );
    assert.equal(
      expr(99.9, "SmtpAvailabilityBudgetBurnFast"),
      "(1 - ezorg:endpoint_availability:ratio_1h) > 0.0144\nand\n(1 - ezorg:endpoint_availability:ratio_5m) > 0.0144",
    );
    assert.equal(
      expr(99.9, "SmtpAvailabilityBudgetBurnSlow"),
      "(1 - ezorg:endpoint_availability:ratio_6h) > 0.006\nand\n(1 - ezorg:endpoint_availability:ratio_30m) > 0.006",
    );
  });

  test("a continuous outage escalates after a quarter of maxOutageHours, on raw probes", () => {
    const r = rule(rulesOf(samplePlatform()), "SmtpOutageApproachingMaximum");
    assert.equal(r.expr, 'probe_success{job="ezorg-smtp"} == 0');
    assert.equal(r.for, "6h");
    assert.equal(r.labels?.severity, "critical");
    assert.equal(rule(rulesOf(platformWith((p) => (p.availability.maxOutageHours = 8))), "SmtpOutageApproachingMaximum").for, "2h");
  });

  test("backup alerts: stale after maxAgeHours, and never seen, per datacentre", () => {
    const doc = rulesOf(samplePlatform());
    assert.equal(
      rule(doc, "BackupStale").expr,
      "time() - max by (datacenter) (ezorg_backup_last_success_timestamp_seconds) > 93600",
    );
    const never = doc.groups.flatMap((g) => g.rules).filter((r) => r.alert === "BackupNeverSucceeded");
    assert.deepEqual(
      never.map((r) => [r.expr, r.for]),
      [
        ['absent(ezorg_backup_last_success_timestamp_seconds{datacenter="ams1"})', "26h"],
        ['absent(ezorg_backup_last_success_timestamp_seconds{datacenter="gro1"})', "26h"],
      ],
    );
  });

  test("the queue alert fires at half of notifyWithinHours", () => {
    assert.equal(rule(rulesOf(samplePlatform()), "MailQueuedTooLong").expr, "postfix_queue_oldest_message_age_seconds > 43200");
    assert.equal(
      rule(rulesOf(platformWith((p) => (p.queue.notifyWithinHours = 48))), "MailQueuedTooLong").expr,
      "postfix_queue_oldest_message_age_seconds > 86400",
    );
  });

  test("every alert has a severity, a summary and a runbook-style description", () => {
    const alerts = rulesOf(samplePlatform()).groups.flatMap((g) => g.rules).filter((r) => r.alert);
    assert.equal(alerts.length, 9);
    for (const a of alerts) {
      assert.match(a.labels?.severity ?? "", /^(page|critical|warning)$/, a.alert);
      assert.ok(a.annotations?.summary, `${a.alert} summary`);
      assert.match(a.annotations?.description ?? "", /\nRunbook:\n1\. .+\n2\. /, `${a.alert} description`);
    }
  });

  test("UTC maintenance has no summer-time term; a window across midnight wraps", () => {
    const utc = platformWith((p) => Object.assign(p.maintenance, { timezone: "UTC", start: "23:00", end: "01:00" }));
    const expr = maintenanceWindowExpr(utc);
    assert.doesNotMatch(expr, /month\(\)/);
    assert.match(expr, /^clamp_max\(.* >= bool 1380\) \+ .* < bool 60\), 1\)$/);
  });
});

describe("renderPrometheusConfig", () => {
  const p = samplePlatform();
  const config = (options = {}) =>
    parse(renderPrometheusConfig(p, p.datacenters[1], options)) as {
      global: Record<string, unknown>;
      rule_files: string[];
      alerting?: unknown;
      scrape_configs: {
        job_name: string;
        static_configs: { targets: string[]; labels?: Record<string, string> }[];
        relabel_configs?: Record<string, unknown>[];
      }[];
    };

  test("global intervals come from probeIntervalSeconds; the site is the observer label", () => {
    const c = config();
    assert.deepEqual(c.global, {
      scrape_interval: "30s",
      evaluation_interval: "30s",
      external_labels: { observer: "gro1", environment: "test" },
    });
    assert.deepEqual(c.rule_files, ["/etc/prometheus/rules/ezorg.rules.yml"]);
    assert.equal(c.alerting, undefined);
  });

  test("every endpoint is a probe target with its module, through the blackbox exporter", () => {
    const smtp = config().scrape_configs.find((j) => j.job_name === "ezorg-smtp")!;
    assert.deepEqual(
      smtp.static_configs.map((s) => [s.targets, s.labels?.__param_module, s.labels?.node, s.labels?.endpoint]),
      [
        [["10.254.253.199:587"], "smtp_starttls_relay_587", "inside-relay", "inside-relay.ezorg.nl:587"],
        [["10.254.253.199:25"], "smtp_starttls_relay_25", "inside-relay", "inside-relay.ezorg.nl:25"],
        [["10.254.253.86:587"], "smtp_starttls_secure_nodes_587", "smtpnode1", "secure-smtpnodes.ezorg.nl:587"],
        [["10.254.253.87:587"], "smtp_starttls_secure_nodes_587", "smtpnode2", "secure-smtpnodes.ezorg.nl:587"],
      ],
    );
    assert.deepEqual(smtp.relabel_configs?.at(-1), { target_label: "__address__", replacement: "blackbox:9115" });
  });

  test("backup metrics of both sites and the queue age of every mail host are scraped", () => {
    const c = config();
    assert.deepEqual(c.scrape_configs.find((j) => j.job_name === "ezorg-backup")!.static_configs[0].targets, [
      "backup-metrics.ams1.ezorg.internal:9100",
      "backup-metrics.gro1.ezorg.internal:9100",
    ]);
    assert.deepEqual(c.scrape_configs.find((j) => j.job_name === "ezorg-postfix-queue")!.static_configs[0].targets, [
      "10.254.253.199:9100",
      "10.254.253.86:9100",
      "10.254.253.87:9100",
    ]);
  });

  test("options move targets and exporter to loopback and add alertmanagers", () => {
    const c = config({
      blackboxAddress: "127.0.0.1:19115",
      targetAddress: () => "127.0.0.9:2525",
      ruleFiles: ["/tmp/r.yml"],
      alertmanagers: ["127.0.0.1:9093"],
    });
    const smtp = c.scrape_configs.find((j) => j.job_name === "ezorg-smtp")!;
    assert.ok(smtp.static_configs.every((s) => s.targets[0] === "127.0.0.9:2525"));
    assert.deepEqual(smtp.relabel_configs?.at(-1), { target_label: "__address__", replacement: "127.0.0.1:19115" });
    assert.deepEqual(c.rule_files, ["/tmp/r.yml"]);
    assert.deepEqual(c.alerting, { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:9093"] }] }] });
  });

  test("an unknown datacentre is refused", () => {
    assert.throws(() => renderPrometheusConfig(p, { ...p.datacenters[0], name: "rtm1" }), /datacenter "rtm1" is not in platform\.datacenters \(ams1, gro1\)/);
  });
});

describe("renderBlackboxConfig", () => {
  type Module = {
    prober: string;
    timeout: string;
    tcp: { tls_config: Record<string, string>; query_response: Record<string, unknown>[] };
  };
  const modules = (p: PlatformConfig, options = {}) =>
    (parse(renderBlackboxConfig(p, options)) as { modules: Record<string, Module> }).modules;

  test("one module per service and port, with the host name and minimum TLS version", () => {
    const m = modules(samplePlatform());
    assert.deepEqual(Object.keys(m), ["smtp_starttls_relay_587", "smtp_starttls_relay_25", "smtp_starttls_secure_nodes_587"]);
    assert.deepEqual(m.smtp_starttls_relay_587.tcp.tls_config, { server_name: "inside-relay.ezorg.nl", min_version: "TLS13" });
    assert.deepEqual(m.smtp_starttls_relay_25.tcp.tls_config, { server_name: "inside-relay.ezorg.nl", min_version: "TLS12" });
    assert.deepEqual(m.smtp_starttls_secure_nodes_587.tcp.tls_config, { server_name: "secure-smtpnodes.ezorg.nl", min_version: "TLS13" });
    assert.equal(m.smtp_starttls_relay_587.timeout, "8s");
  });

  test("the dialogue says EHLO, asks STARTTLS, upgrades, and says EHLO again", () => {
    const q = modules(samplePlatform()).smtp_starttls_relay_587.tcp.query_response;
    assert.deepEqual(q, [
      { expect: "^220[ -]" },
      { send: "EHLO probe.ezorg.nl\r" },
      { expect: "^250[ -]STARTTLS" },
      { send: "STARTTLS\r" },
      { expect: "^220[ -]" },
      { starttls: true },
      { send: "EHLO probe.ezorg.nl\r" },
      { expect: "^250[ -]" },
      { send: "QUIT\r" },
    ]);
  });

  test("tls.minimumVersion TLSv1.2 and a CA file carry through", () => {
    const m = modules(platformWith((p) => (p.tls.minimumVersion = "TLSv1.2")), { caFile: "/etc/ssl/ezorg-ca.pem" });
    assert.deepEqual(m.smtp_starttls_secure_nodes_587.tcp.tls_config, {
      server_name: "secure-smtpnodes.ezorg.nl",
      min_version: "TLS12",
      ca_file: "/etc/ssl/ezorg-ca.pem",
    });
  });
});

describe("renderQueueAgeExporter", () => {
  test("defaults: Postfix's own postqueue, a textfile for the collector, every minute", () => {
    const e = renderQueueAgeExporter();
    assert.equal(e.scriptPath, "/usr/local/bin/ezorg-queue-age.sh");
    assert.equal(e.metricsFile, "/var/lib/ezorg-queue/metrics/postfix_queue.prom");
    assert.equal(e.crontab, "* * * * * /bin/sh /usr/local/bin/ezorg-queue-age.sh 2>/proc/1/fd/2\n");
    assert.match(e.script, /^if ! postqueue -j >"\$tmp\.json"/m);
    assert.match(e.script, /printf "postfix_queue_oldest_message_age_seconds\{queue=\\"%s\\"\} %d\\n", q, age/);
  });

  test("the metric it writes is the one MailQueuedTooLong reads", () => {
    const alert = rule(rulesOf(samplePlatform()), "MailQueuedTooLong").expr;
    assert.ok(alert.startsWith(`${QUEUE_AGE_METRIC} >`));
    assert.ok(renderQueueAgeExporter().script.includes(QUEUE_AGE_METRIC));
  });

  test("another Postfix instance is named with -c, quoted; relative paths are refused", () => {
    assert.match(renderQueueAgeExporter({ postfixConfigDir: "/etc/postfix-out" }).script, /^if ! postqueue -c '\/etc\/postfix-out' -j/m);
    assert.throws(() => renderQueueAgeExporter({ metricsDir: "metrics" }), /option metricsDir is "metrics": it must be an absolute path/);
  });
});
