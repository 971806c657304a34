/**
 * `promtool test rules` scenarios for the rendered alert rules. Expected values are
 * computed here from the platform's objective and limits with the SRE-workbook formulas,
 * independently of components/monitoring/slo.ts; labels and annotations are read from
 * the rendered rules and the rendered Prometheus configuration, so a test only passes
 * when the rendered files work together.
 */
import { parse } from "yaml";
import { PlatformConfig } from "../../components/config/model";
import {
  alertAt,
  amsterdamMinuteOfDay,
  approxAt,
  at1970,
  DAY,
  ExpectedAlert,
  expectedAlert,
  ExprTest,
  findRule,
  HOUR,
  inAmsterdamWindow,
  Labels,
  MIN,
  rising,
  RuleDoc,
  sampled,
  seconds,
  TestGroup,
  utcForAmsterdam1970 as utcForWallClock,
} from "./monitoring-promtool";

/** Probe series labels as Prometheus attaches them, read from the rendered configuration. */
export function probeSeriesLabels(prometheusYaml: string): Labels[] {
  const config = parse(prometheusYaml) as {
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[]; labels?: Labels }[] }[];
  };
  const probeJob = config.scrape_configs.find((j) => j.metrics_path === "/probe");
  if (!probeJob) throw new Error("the rendered Prometheus configuration has no /probe job");
  return probeJob.static_configs.flatMap((sc) =>
    sc.targets.map((target) => {
      const labels: Labels = { job: probeJob.job_name, instance: target };
      for (const [k, v] of Object.entries(sc.labels ?? {})) if (!k.startsWith("__")) labels[k] = v;
      return labels;
    }),
  );
}

/** Paging thresholds restated from the SRE workbook: 2 % of the budget in 1 h, 5 % in 6 h. */
export function expectedThresholds(platform: PlatformConfig): { fast: number; slow: number; budget: number } {
  const budget = (100 - platform.availability.objectivePercent) / 100;
  const windowHours = platform.availability.pageWindowDays * 24;
  return { budget, fast: ((0.02 * windowHours) / 1) * budget, slow: ((0.05 * windowHours) / 6) * budget };
}

export const FAST = "SmtpAvailabilityBudgetBurnFast";
export const SLOW = "SmtpAvailabilityBudgetBurnSlow";
export const OUTAGE = "SmtpOutageApproachingMaximum";

/** Escalation policy the runbook promises: a quarter of the NTA 7516 6.1.3 maximum. */
export const ESCALATION_SHARE = 0.25;

function forSeconds(rule: { for?: string }): number {
  const m = /^(\d+)([smh])$/.exec(rule.for ?? "0s");
  if (!m) throw new Error(`unexpected for: ${rule.for}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}

export interface Context {
  platform: PlatformConfig;
  rules: RuleDoc;
  /** Probe series labels; [0] is the endpoint that fails, [1] one that stays up. */
  probes: Labels[];
}

function probeSeries(ctx: Context, end: number, down: ((t: number) => boolean)[]) {
  const step = ctx.platform.monitoring.probeIntervalSeconds;
  return ctx.probes.map((labels, i) => sampled("probe_success", labels, step, end, (t) => (down[i]?.(t) ? 0 : 1)));
}

const between = (from: number, to: number) => (t: number) => t >= from && t < to;

/** Checks that neither burn alert fires at any of `times`. */
function noBurnAlerts(times: number[]) {
  return times.flatMap((t) => [alertAt(t, FAST, []), alertAt(t, SLOW, [])]);
}

function everyMinute(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t += MIN) out.push(t);
  return out;
}

/** Thursday 1 January 1970 10:00 UTC (11:00 CET): well clear of the maintenance window. */
const MORNING = at1970(1, 1, 10);

/**
 * Fast-burn threshold, pinned from both sides: `kBelow` failed probes in the 1 h window
 * stay under `fast`, `kAbove` exceed it. Returns the two groups.
 */
export function thresholdGroups(ctx: Context): { below: TestGroup; above: TestGroup; kBelow: number; kAbove: number } {
  const step = ctx.platform.monitoring.probeIntervalSeconds;
  const { fast } = expectedThresholds(ctx.platform);
  const n = HOUR / step; // samples in a 1 h range are n or n + 1 (both ends included)
  const kBelow = Math.ceil(fast * n) - 1;
  const kAbove = Math.floor(fast * (n + 1)) + 1;
  const end = MORNING + 2 * HOUR;
  const fastRule = findRule(ctx.rules, FAST);
  const forS = forSeconds(fastRule);

  const below: TestGroup = {
    name: `${kBelow} failed probes (${(kBelow * step) / MIN} min) within an hour do not page`,
    interval: seconds(step),
    input_series: probeSeries(ctx, end, [between(MORNING, MORNING + kBelow * step)]),
    alert_rule_test: noBurnAlerts(everyMinute(MORNING, MORNING + 90 * MIN)),
  };

  const crossed = MORNING + (kAbove - 1) * step;
  const lastFailure = crossed;
  const alert = [expectedAlert(fastRule, ctx.probes[0])];
  const above: TestGroup = {
    name: `${kAbove} failed probes within an hour page after the rule's hold time, and clear with the short window`,
    interval: seconds(step),
    input_series: probeSeries(ctx, end, [between(MORNING, MORNING + kAbove * step)]),
    alert_rule_test: [
      alertAt(crossed - step, FAST, []),
      alertAt(crossed + forS - step, FAST, []),
      alertAt(crossed + forS, FAST, alert),
      alertAt(crossed + forS, SLOW, []),
      alertAt(lastFailure + 5 * MIN + step, FAST, []),
    ],
  };
  return { below, above, kBelow, kAbove };
}

/** A full outage of the first endpoint from 10:00 to 12:00 UTC. */
export function fullOutageGroup(ctx: Context): TestGroup {
  const step = ctx.platform.monitoring.probeIntervalSeconds;
  const start = MORNING;
  const end = MORNING + 2 * HOUR;
  const fast = [expectedAlert(findRule(ctx.rules, FAST), ctx.probes[0])];
  const slow = [expectedAlert(findRule(ctx.rules, SLOW), ctx.probes[0])];
  return {
    name: "a full outage pages within 5 minutes (fast burn) and 15 minutes (slow burn), and stops paging soon after recovery",
    interval: seconds(step),
    input_series: probeSeries(ctx, end + HOUR, [between(start, end)]),
    alert_rule_test: [
      alertAt(start + step, FAST, []),
      alertAt(start + 5 * MIN, FAST, fast),
      alertAt(start + 15 * MIN, SLOW, slow),
      alertAt(end - step, OUTAGE, []),
      alertAt(end + 10 * MIN, FAST, []),
      alertAt(end + 40 * MIN, SLOW, []),
    ],
  };
}

/**
 * A continuous outage from 02:00 UTC, across the maintenance window, escalates a quarter
 * of `maxOutageHours` after it began: the 6.1.3 limit counts maintenance time too.
 */
export function escalationGroup(ctx: Context): { group: TestGroup; escalateAt: number } {
  const step = ctx.platform.monitoring.probeIntervalSeconds;
  const start = at1970(1, 1, 2);
  const escalateAfter = ctx.platform.availability.maxOutageHours * ESCALATION_SHARE * HOUR;
  const end = start + escalateAfter + HOUR;
  const alert = [expectedAlert(findRule(ctx.rules, OUTAGE), ctx.probes[0])];
  return {
    escalateAt: escalateAfter,
    group: {
      name: `a continuous outage escalates after ${escalateAfter / HOUR} h, well before the ${ctx.platform.availability.maxOutageHours} h maximum`,
      interval: seconds(step),
      input_series: probeSeries(ctx, end, [(t) => t >= start]),
      alert_rule_test: [
        alertAt(start + escalateAfter - step, OUTAGE, []),
        alertAt(start + escalateAfter, OUTAGE, alert),
        alertAt(end, OUTAGE, alert),
      ],
    },
  };
}

/** Counted and failed probe steps in [0, t], simulated with the tz database's wall clock. */
function budgetUsed(ctx: Context, t: number, down: (t: number) => boolean, window: [number, number]): number {
  const step = ctx.platform.monitoring.probeIntervalSeconds;
  let counted = 0;
  let failed = 0;
  for (let s = 0; s <= t; s += step) {
    if (inAmsterdamWindow(s, window[0], window[1])) continue;
    counted++;
    if (down(s)) failed++;
  }
  return failed / counted / expectedThresholds(ctx.platform).budget;
}

function windowMinutes(ctx: Context): [number, number] {
  const [sh, sm] = ctx.platform.maintenance.start.split(":").map(Number);
  const [eh, em] = ctx.platform.maintenance.end.split(":").map(Number);
  return [sh * 60 + sm, eh * 60 + em];
}

/**
 * Winter (CET, UTC+1): endpoint 0 is down 04:00-06:00 UTC = 05:00-07:00 CET, inside the
 * window; endpoint 1 has the same two-hour outage outside it, 08:00-10:00 UTC.
 */
export function winterMaintenanceGroup(ctx: Context): TestGroup {
  const step = ctx.platform.monitoring.probeIntervalSeconds;
  const insideDown = between(at1970(1, 1, 4), at1970(1, 1, 6));
  const outsideDown = between(at1970(1, 1, 8), at1970(1, 1, 10));
  const end = at1970(1, 1, 10, 30);
  const budgetRule = "ezorg:endpoint_error_budget_used:ratio_30d";
  const window = windowMinutes(ctx);
  const otherFast = [expectedAlert(findRule(ctx.rules, FAST), ctx.probes[1])];
  const inside = ctx.probes[0];
  const outside = ctx.probes[1];
  const sel = (labels: Labels) => `${budgetRule}{instance="${labels.instance}"}`;
  const checks: ExprTest[] = [
    approxAt(at1970(1, 1, 6, 30), sel(inside), 0, inside),
    approxAt(end, sel(inside), 0, inside),
    approxAt(end, sel(outside), budgetUsed(ctx, end, outsideDown, window), outside, 1e-6),
  ];
  return {
    name: "winter: an outage 05:00-07:00 CET (04:00-06:00 UTC) burns no budget; the same outage at 09:00 CET does",
    interval: seconds(step),
    input_series: probeSeries(ctx, end, [insideDown, outsideDown]),
    alert_rule_test: [
      // The inside outage never pages, neither during nor after the window.
      ...everyMinute(at1970(1, 1, 4), at1970(1, 1, 7, 30)).flatMap((t) => [alertAt(t, FAST, []), alertAt(t, SLOW, [])]),
      alertAt(at1970(1, 1, 8, 5), FAST, otherFast),
    ],
    promql_expr_test: checks,
  };
}

/**
 * Summer (CEST, UTC+2), 1 July 1970: endpoint 0 is down 03:00-05:00 UTC = 05:00-07:00 CEST,
 * endpoint 1 the two hours after, 05:00-07:00 UTC = 07:00-09:00 CEST. Half a year of
 * 30-second rule evaluations is too slow for promtool, so the recording rule is
 * evaluated as a subquery at one-minute steps: the rendered counted-probe expression,
 * with the rendered maintenance expression put in for its recorded series.
 */
export function summerGroup(ctx: Context, countedExpr: string): TestGroup {
  const step = MIN;
  const insideDown = between(at1970(7, 1, 3), at1970(7, 1, 5));
  const outsideDown = between(at1970(7, 1, 5), at1970(7, 1, 7));
  const end = at1970(7, 1, 9);
  const window = windowMinutes(ctx);
  const [inside, outside] = ctx.probes;
  const countedMinutes = (from: number, to: number) => {
    let n = 0;
    for (let t = from; t <= to; t += MIN) if (!inAmsterdamWindow(t, window[0], window[1])) n++;
    return n;
  };
  const minAt = at1970(7, 1, 7, 30);
  const countAt = at1970(7, 1, 8);
  return {
    name: "summer: an outage 05:00-07:00 CEST (03:00-05:00 UTC) burns no budget; the same outage at 07:00 CEST does",
    interval: seconds(step),
    input_series: [
      sampled("probe_success", inside, step, end, (t) => (insideDown(t) ? 0 : 1)),
      sampled("probe_success", outside, step, end, (t) => (outsideDown(t) ? 0 : 1)),
    ],
    promql_expr_test: [
      {
        expr: `min_over_time((${countedExpr})[8h:1m])`,
        eval_time: seconds(minAt),
        exp_samples: [
          { labels: labelsText(inside), value: 1 },
          { labels: labelsText(outside), value: 0 },
        ],
      },
      {
        // promtool's query engine caps samples per query; 8 h of one-minute steps fits.
        expr: `count_over_time((${countedExpr})[8h:1m])`,
        eval_time: seconds(countAt),
        exp_samples: [
          { labels: labelsText(inside), value: countedMinutes(countAt - 8 * HOUR, countAt) },
          { labels: labelsText(outside), value: countedMinutes(countAt - 8 * HOUR, countAt) },
        ],
      },
    ],
  };
}

function labelsText(labels: Labels): string {
  return `{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
}

/** Backup stale after `maxAgeHours`; a site whose metric never appeared alerts after the same time. */
export function backupGroups(ctx: Context, step: number): TestGroup[] {
  const metric = "ezorg_backup_last_success_timestamp_seconds";
  const maxAge = ctx.platform.backup.maxAgeHours * HOUR;
  const [own, other] = ctx.platform.datacenters.map((d) => d.name);
  const lastSuccess = at1970(1, 1, 2, 30);
  const staleAt = lastSuccess + maxAge;
  const end = staleAt + HOUR;
  const labels = (dc: string) => ({ job: "ezorg-backup", instance: `backup-metrics.${dc}:9100`, datacenter: dc });
  const daily = (t: number) => lastSuccess + Math.max(0, Math.floor((t - lastSuccess) / DAY)) * DAY;
  const stale = findRule(ctx.rules, "BackupStale");
  const never = findRule(ctx.rules, "BackupNeverSucceeded", { datacenter: own });
  return [
    {
      name: `no successful backup of ${own} for more than ${maxAge / HOUR} h alerts; ${other}, backed up daily, does not`,
      interval: seconds(step),
      input_series: [
        sampled(metric, labels(own), step, end, () => lastSuccess),
        sampled(metric, labels(other), step, end, daily),
      ],
      alert_rule_test: [
        alertAt(staleAt, "BackupStale", []),
        alertAt(staleAt + step, "BackupStale", [expectedAlert(stale, { datacenter: own })]),
      ],
    },
    {
      name: `a site whose backup metric never appeared alerts after ${maxAge / HOUR} h`,
      interval: seconds(step),
      input_series: [sampled(metric, labels(other), step, maxAge + HOUR, daily)],
      alert_rule_test: [
        alertAt(maxAge - step, "BackupNeverSucceeded", []),
        alertAt(maxAge, "BackupNeverSucceeded", [expectedAlert(never, { datacenter: own })]),
      ],
    },
  ];
}

/** The oldest queued message alerts once older than half of `notifyWithinHours`. */
export function queueGroup(ctx: Context, step: number): { group: TestGroup; limit: number } {
  const metric = "postfix_queue_oldest_message_age_seconds";
  const limit = ctx.platform.queue.notifyWithinHours * HOUR * 0.5;
  const end = limit + HOUR;
  const stuck = { job: "ezorg-postfix-queue", instance: "10.254.253.86:9100", queue: "deferred" };
  const flowing = { job: "ezorg-postfix-queue", instance: "10.254.253.87:9100", queue: "deferred" };
  const alert: ExpectedAlert[] = [expectedAlert(findRule(ctx.rules, "MailQueuedTooLong"), stuck)];
  return {
    limit,
    group: {
      name: `a message queued for more than ${limit / HOUR} h alerts, leaving ${ctx.platform.queue.notifyWithinHours - limit / HOUR} h to tell the sender`,
      interval: seconds(step),
      input_series: [rising(metric, stuck, step, end), sampled(metric, flowing, step, end, () => 5 * MIN)],
      alert_rule_test: [alertAt(limit, "MailQueuedTooLong", []), alertAt(limit + step, "MailQueuedTooLong", alert)],
    },
  };
}

/**
 * The rendered maintenance expression at both edges of the window on every day of 1970,
 * plus four fixed UTC times a day, against the tz database's wall clock; and the local
 * time expression across both summer-time switches (01:00 UTC on the last Sundays).
 */
export function dstSweepGroup(ctx: Context, maintenanceExpr: string, localMinuteExpr: string): { group: TestGroup; checks: number } {
  const [start, end] = windowMinutes(ctx);
  const tests: ExprTest[] = [];
  const value = (expr: string, t: number, v: number): ExprTest => ({
    expr,
    eval_time: seconds(t),
    exp_samples: [{ labels: "{}", value: v }],
  });
  for (let day = 0; day < 365; day++) {
    const date = new Date(day * DAY * 1000);
    const [m, d] = [date.getUTCMonth() + 1, date.getUTCDate()];
    const instants = [
      ...[start - 1, start, end - 1, end].map((minute) => utcForWallClock(m, d, minute)),
      ...[3.5, 4.5, 5.5, 6.5].map((h) => at1970(m, d) + h * HOUR),
    ];
    for (const t of instants) tests.push(value(maintenanceExpr, t, inAmsterdamWindow(t, start, end) ? 1 : 0));
  }
  for (const [m, d] of [[3, 29], [10, 25], [3, 28], [10, 24], [3, 30], [10, 26]]) {
    for (const minute of [0, 59, 60, 61, 180]) {
      const t = at1970(m, d) + minute * MIN;
      tests.push(value(localMinuteExpr, t, amsterdamMinuteOfDay(t)));
    }
  }
  return {
    checks: tests.length,
    group: {
      name: "the maintenance window follows Amsterdam's wall clock all year",
      interval: "1d",
      input_series: [],
      promql_expr_test: tests,
    },
  };
}
