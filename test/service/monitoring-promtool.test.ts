/**
 * The rendered rules and Prometheus configuration under the real promtool: syntax
 * checks, then rule unit tests whose input series and expected alerts this file writes
 * from the platform's objective and limits. Each scenario runs as its own promtool
 * process (in parallel); a few scenarios also run against deliberately wrong rules to
 * show they catch the mistake.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PlatformConfig } from "../../components/config/model";
import { GROUPS, renderAlertRules, renderPrometheusConfig, RULES } from "../../components/monitoring/render";
import { samplePlatform } from "../fixtures";
import {
  inlineRecorded,
  NO_RULES,
  onlyGroups,
  parseRules,
  promtoolTest,
  RuleDoc,
  TestGroup,
  writeTestFile,
} from "../support/monitoring-promtool";
import {
  backupGroups,
  Context,
  dstSweepGroup,
  escalationGroup,
  fullOutageGroup,
  probeSeriesLabels,
  queueGroup,
  summerGroup,
  thresholdGroups,
  winterMaintenanceGroup,
} from "../support/monitoring-scenarios";
import { run, RunResult, tempDir } from "../support/procs-run";

function variant(change: (p: PlatformConfig) => void): PlatformConfig {
  const p = samplePlatform();
  change(p);
  return p;
}

describe("rendered monitoring rules under promtool", () => {
  const platform = samplePlatform();
  const dir = tempDir("monitoring-promtool");
  const runs = new Map<string, Promise<RunResult>>();
  const facts: Record<string, number> = {};
  let rulesFile = "";
  let rules: RuleDoc;

  function writeRules(name: string, p: PlatformConfig): { path: string; doc: RuleDoc } {
    const text = renderAlertRules(p);
    const path = join(dir.path, name);
    writeFileSync(path, text);
    return { path, doc: parseRules(text) };
  }

  function schedule(name: string, ruleFile: string, evaluationSeconds: number, groups: TestGroup[]): void {
    const text = readFileSync(ruleFile, "utf8");
    const order = Object.values(GROUPS).filter((g) => text.includes(`name: ${g}\n`));
    runs.set(name, promtoolTest([writeTestFile(dir.path, `${name}.test.yml`, ruleFile, evaluationSeconds, groups, order)]));
  }

  async function passes(name: string): Promise<void> {
    const r = await runs.get(name)!;
    assert.equal(r.code, 0, `promtool test rules (${name}) failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
  }

  async function catches(name: string, failure: RegExp): Promise<void> {
    const r = await runs.get(name)!;
    assert.notEqual(r.code, 0, `promtool accepted the wrong rules in ${name}:\n${r.stdout}`);
    assert.match(r.stdout + r.stderr, failure);
  }

  before(() => {
    const rendered = writeRules("ezorg.rules.yml", platform);
    rulesFile = rendered.path;
    rules = rendered.doc;
    const prometheus = renderPrometheusConfig(platform, platform.datacenters[0], { ruleFiles: [rulesFile] });
    // Two endpoints keep promtool fast: the relay's submission port fails, a secure node stays up.
    const all = probeSeriesLabels(prometheus);
    const probes = [
      all.find((l) => l.service === "relay" && l.instance.endsWith(`:${platform.relay.port}`))!,
      all.find((l) => l.service === "secure-nodes")!,
    ];
    const ctx: Context = { platform, rules, probes };
    const step = platform.monitoring.probeIntervalSeconds;

    const threshold = thresholdGroups(ctx);
    facts.kBelow = threshold.kBelow;
    facts.kAbove = threshold.kAbove;
    schedule("threshold", rulesFile, step, [threshold.below, threshold.above]);
    schedule("outage", rulesFile, step, [fullOutageGroup(ctx)]);
    const escalation = escalationGroup(ctx);
    facts.escalateAt = escalation.escalateAt;
    schedule("escalation", rulesFile, step, [escalation.group]);
    schedule("winter", rulesFile, step, [winterMaintenanceGroup(ctx)]);

    // Half a year of rule evaluations is too slow: these evaluate the rendered
    // expressions directly (see summerGroup), with no rules loaded.
    const noRules = join(dir.path, "no.rules.yml");
    writeFileSync(noRules, NO_RULES);
    const counted = inlineRecorded(rules, GROUPS.availability, RULES.countedSuccess);
    schedule("summer", noRules, 30 * 60, [summerGroup(ctx, counted)]);
    const maintenance = inlineRecorded(rules, GROUPS.availability, RULES.maintenanceActive);
    const local = inlineRecorded(rules, GROUPS.availability, RULES.localMinute);
    const sweep = dstSweepGroup(ctx, maintenance, local);
    facts.sweepChecks = sweep.checks;
    schedule("dst-sweep", noRules, 86400, [sweep.group]);

    // Backup and queue alerts read no recorded series: the alert group alone, 5-minute steps.
    const alertsOnly = join(dir.path, "alerts.rules.yml");
    writeFileSync(alertsOnly, onlyGroups(rules, [GROUPS.alerts]));
    schedule("backup", alertsOnly, 300, backupGroups(ctx, 300));
    const queue = queueGroup(ctx, 300);
    facts.queueLimit = queue.limit;
    schedule("queue", alertsOnly, 300, [queue.group]);

    // The same expectations against wrong rules: each must fail.
    const strict = writeRules("strict.rules.yml", variant((p) => (p.availability.objectivePercent = 99.95)));
    schedule("wrong-objective", strict.path, step, [thresholdGroups({ ...ctx, rules: strict.doc }).below]);
    const utc = writeRules("utc.rules.yml", variant((p) => (p.maintenance.timezone = "UTC")));
    schedule("wrong-timezone", utc.path, step, [winterMaintenanceGroup({ ...ctx, rules: utc.doc })]);
    const summerTerm = "60 * ((month() > bool 3)";
    const text = readFileSync(rulesFile, "utf8");
    assert.ok(text.includes(summerTerm), "the rendered rules have no summer-time term to remove");
    const cetDoc = parseRules(text.split(summerTerm).join("0 * ((month() > bool 3)"));
    const cetCounted = inlineRecorded(cetDoc, GROUPS.availability, RULES.countedSuccess);
    schedule("no-summer-time", noRules, 30 * 60, [summerGroup({ ...ctx, rules: cetDoc }, cetCounted)]);
    const lax = writeRules("lax.rules.yml", variant((p) => (p.queue.notifyWithinHours = 48)));
    const laxAlerts = join(dir.path, "lax-alerts.rules.yml");
    writeFileSync(laxAlerts, onlyGroups(lax.doc, [GROUPS.alerts]));
    schedule("wrong-queue-limit", laxAlerts, 300, [queueGroup({ ...ctx, rules: lax.doc }, 300).group]);
  });

  after(async () => {
    await Promise.allSettled(runs.values());
    dir.remove();
  });

  test("promtool check rules accepts the rendered rules", async () => {
    const r = await run("promtool", ["check", "rules", rulesFile]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const count = rules.groups.reduce((n, g) => n + g.rules.length, 0);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${count} rules found`));
  });

  test("promtool check config accepts the rendered configuration of every datacentre", async () => {
    for (const dc of platform.datacenters) {
      const path = join(dir.path, `prometheus-${dc.name}.yml`);
      writeFileSync(path, renderPrometheusConfig(platform, dc, { ruleFiles: [rulesFile] }));
      const r = await run("promtool", ["check", "config", path]);
      assert.equal(r.code, 0, `${dc.name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /SUCCESS: 1 rule files found/);
    }
  });

  test("a blip just under the fast-burn threshold does not page; one more failed probe does", async () => {
    assert.deepEqual([facts.kBelow, facts.kAbove], [3, 4], "99.8 % over 30 days: 2.88 % of 120 probes is 3.46");
    await passes("threshold");
  });

  test("a full outage pages within 5 minutes and stops paging soon after recovery", () => passes("outage"));

  test("a continuous outage escalates 6 h after it began, 18 h before the 24 h maximum", async () => {
    assert.equal(facts.escalateAt, 6 * 3600);
    await passes("escalation");
  });

  test("winter: an outage inside 05:00-07:00 CET burns no budget, the same outage outside does", () => passes("winter"));

  test("summer: an outage inside 05:00-07:00 CEST burns no budget, the same outage outside does", () => passes("summer"));

  test("the maintenance window matches Amsterdam's wall clock on every day of the year", async () => {
    assert.ok(facts.sweepChecks > 365 * 8);
    await passes("dst-sweep");
  });

  test("no successful backup for more than 26 h alerts, per datacentre", () => passes("backup"));

  test("mail queued for more than 12 h alerts, with 12 h left to tell the sender within 24 h", async () => {
    assert.equal(facts.queueLimit, 12 * 3600);
    await passes("queue");
  });

  test("the scenarios fail against wrong rules: stricter objective, UTC window, no summer time, looser queue limit", async () => {
    await catches("wrong-objective", /alertname: SmtpAvailabilityBudgetBurnFast/);
    await catches("wrong-timezone", /alertname: SmtpAvailabilityBudgetBurnFast/);
    await catches("no-summer-time", /expr: "min_over_time/);
    await catches("wrong-queue-limit", /alertname: MailQueuedTooLong/);
  });

});
