/**
 * SLO maths for NTA 7516 availability (6.1.2, 6.1.3) and the limits the alert rules
 * derive from the platform configuration. Pure functions: no Pulumi, no I/O.
 *
 * Every threshold here is computed from `platform.availability`, `platform.queue` or
 * `platform.backup`; the only constants are policy choices (the burn-rate table of the
 * Google SRE workbook, the escalation share), each documented where it is defined.
 */
import { PlatformConfig } from "../config/model";

/**
 * Minutes in the 365-day year the NTA 7516 yearly objective is stated over. A leap year
 * has 1,440 more; the thresholds are ratios, so only the reported yearly figure is off.
 */
export const MINUTES_PER_YEAR = 365 * 24 * 60;

/**
 * Multiwindow, multi-burn-rate paging policy (Google SRE workbook, "Alerting on SLOs"):
 * page when `budgetPercent` of the budget of the page window is spent within
 * `longWindow`, confirmed by the same rate over `shortWindow` so a page stops soon
 * after the cause is gone. `for` suppresses a page on a single bad evaluation.
 */
export const BURN_RATE_POLICY = [
  { name: "fast", budgetPercent: 2, longWindow: "1h", shortWindow: "5m", for: "2m" },
  { name: "slow", budgetPercent: 5, longWindow: "6h", shortWindow: "30m", for: "5m" },
] as const;

/**
 * Share of `maxOutageHours` after which a continuous outage escalates: a quarter leaves
 * three quarters of the NTA 7516 6.1.3 limit (18 of 24 h) to restore the service.
 */
export const OUTAGE_ESCALATION_SHARE = 0.25;

/**
 * Share of `notifyWithinHours` after which a queued message alerts: half leaves the
 * other half for an operator to fix the route or make sure the sender is told
 * (NTA 7516 6.1.4), even if Postfix's own delay notice did not reach them.
 */
export const QUEUE_ALERT_SHARE = 0.5;

export interface BurnRateAlert {
  /** `fast` or `slow`. */
  name: string;
  /** Share of the page-window budget spent within `longWindow` that pages, in percent. */
  budgetPercent: number;
  longWindow: string;
  shortWindow: string;
  longWindowSeconds: number;
  shortWindowSeconds: number;
  /** How many times faster than "exactly on budget" the budget burns. */
  burnRate: number;
  /** Error ratio (0..1) both windows must exceed: `burnRate × errorBudgetRatio`. */
  errorRatioThreshold: number;
  for: string;
}

export interface SloModel {
  /** The objective as a ratio, e.g. 0.998. */
  objectiveRatio: number;
  /** Share of counted time that may be unavailable, e.g. 0.002. */
  errorBudgetRatio: number;
  /** Error budget of a 365-day year in minutes, e.g. 1051.2. */
  errorBudgetMinutesPerYear: number;
  pageWindowDays: number;
  /** Error budget of the page window in minutes, e.g. 86.4 for 30 days. */
  errorBudgetMinutesPerPageWindow: number;
  burnRateAlerts: BurnRateAlert[];
  maxOutageHours: number;
  /** Continuous outage after which the outage alert escalates, e.g. 6 h of 24 h. */
  outageEscalationHours: number;
}

/** Rounds away binary noise (0.1 + 0.2) so rendered thresholds read as decimals. */
export function decimal(value: number): number {
  return Number(value.toPrecision(12));
}

/** Parses `1h`, `30m`, `5m`, `90s`, `2d` into seconds. */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)([smhd])$/.exec(duration);
  if (!match) throw new Error(`duration "${duration}" is not a whole number followed by s, m, h or d`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

/** Formats seconds as the shortest exact Prometheus duration (`90m`, `6h`, `26h`). */
export function promDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error(`duration ${seconds}s is not a whole, non-negative number of seconds`);
  }
  if (seconds === 0) return "0s";
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Error budget as a ratio: 99.8 % → 0.002. */
export function errorBudgetRatio(objectivePercent: number): number {
  if (!(objectivePercent > 0 && objectivePercent < 100)) {
    throw new Error(
      `availability.objectivePercent is ${objectivePercent}: it must be above 0 and below 100 (NTA 7516 6.1.2 asks at least 99.8); set e.g. 99.8`,
    );
  }
  return decimal((100 - objectivePercent) / 100);
}

/** Yearly error budget in minutes: 99.8 % of a 365-day year → 1051.2 min. */
export function yearlyErrorBudgetMinutes(objectivePercent: number): number {
  return decimal(MINUTES_PER_YEAR * errorBudgetRatio(objectivePercent));
}

/** The SLO figures and paging thresholds of a platform. */
export function sloModel(platform: PlatformConfig): SloModel {
  const { objectivePercent, pageWindowDays, maxOutageHours } = platform.availability;
  if (!(pageWindowDays > 0)) {
    throw new Error(`availability.pageWindowDays is ${pageWindowDays}: it must be a positive number of days; set e.g. 30`);
  }
  if (!(maxOutageHours > 0)) {
    throw new Error(`availability.maxOutageHours is ${maxOutageHours}: it must be a positive number of hours (NTA 7516 6.1.3: at most 24)`);
  }
  const budget = errorBudgetRatio(objectivePercent);

  const pageWindowHours = pageWindowDays * 24;
  const burnRateAlerts = BURN_RATE_POLICY.map((p) => {
    const longWindowSeconds = durationSeconds(p.longWindow);
    const burnRate = decimal(((p.budgetPercent / 100) * pageWindowHours * 3600) / longWindowSeconds);
    return {
      name: p.name,
      budgetPercent: p.budgetPercent,
      longWindow: p.longWindow,
      shortWindow: p.shortWindow,
      longWindowSeconds,
      shortWindowSeconds: durationSeconds(p.shortWindow),
      burnRate,
      errorRatioThreshold: decimal(burnRate * budget),
      for: p.for,
    };
  });

  return {
    objectiveRatio: decimal(objectivePercent / 100),
    errorBudgetRatio: budget,
    errorBudgetMinutesPerYear: yearlyErrorBudgetMinutes(objectivePercent),
    pageWindowDays,
    errorBudgetMinutesPerPageWindow: decimal(pageWindowDays * 24 * 60 * budget),
    burnRateAlerts,
    maxOutageHours,
    outageEscalationHours: decimal(maxOutageHours * OUTAGE_ESCALATION_SHARE),
  };
}

/** Age in seconds of the oldest queued message that alerts (12 h for notifyWithinHours 24). */
export function queueAgeLimitSeconds(platform: PlatformConfig): number {
  const hours = platform.queue.notifyWithinHours;
  if (!(hours > 0)) {
    throw new Error(`queue.notifyWithinHours is ${hours}: it must be a positive number of hours (NTA 7516 6.1.4: 24)`);
  }
  return Math.round(hours * QUEUE_ALERT_SHARE * 3600);
}

/** Age in seconds of the last successful backup that alerts (backup.maxAgeHours). */
export function backupMaxAgeSeconds(platform: PlatformConfig): number {
  const hours = platform.backup.maxAgeHours;
  if (!(hours > 0)) {
    throw new Error(`backup.maxAgeHours is ${hours}: it must be a positive number of hours; set e.g. 26 for a daily job`);
  }
  return Math.round(hours * 3600);
}

/*
 * Maintenance window and time zones. PromQL (Prometheus 2.42) only knows UTC, so the
 * window is evaluated from the UTC date with the zone's rule written out; the same rule
 * is implemented here in TypeScript so tests and scripts agree with the PromQL.
 */

/** How a supported zone's UTC offset is found: a standard offset plus an optional DST rule. */
export interface ZoneRule {
  standardOffsetMinutes: number;
  /** `eu`: +60 min from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC. */
  dst: "eu" | "none";
}

/**
 * The zones the PromQL renderer can express. The EU rule is Directive 2000/84/EC, in
 * force for the Netherlands since 1996; it is applied to every year (see render.ts).
 */
export const SUPPORTED_ZONES: Record<string, ZoneRule> = {
  "Europe/Amsterdam": { standardOffsetMinutes: 60, dst: "eu" },
  UTC: { standardOffsetMinutes: 0, dst: "none" },
};

export function zoneRule(timezone: string): ZoneRule {
  const rule = SUPPORTED_ZONES[timezone];
  if (!rule) {
    throw new Error(
      `maintenance.timezone is "${timezone}": the alert rules can only express ${Object.keys(SUPPORTED_ZONES).join(", ")} (PromQL has no time zones); use one of those`,
    );
  }
  return rule;
}

/** The window in minutes after local midnight; `end` may be below `start` when it spans midnight. */
export interface MaintenanceWindow {
  startMinute: number;
  endMinute: number;
  timezone: string;
  rule: ZoneRule;
}

function minuteOfDay(field: string, value: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new Error(`maintenance.${field} is "${value}": it must be a time of day as HH:MM, e.g. 05:00`);
  return Number(match[1]) * 60 + Number(match[2]);
}

export function maintenanceWindow(platform: PlatformConfig): MaintenanceWindow {
  const { start, end, timezone } = platform.maintenance;
  const startMinute = minuteOfDay("start", start);
  const endMinute = minuteOfDay("end", end);
  if (startMinute === endMinute) {
    throw new Error(`maintenance.start and maintenance.end are both "${start}": the window would be empty; give an end after the start`);
  }
  return { startMinute, endMinute, timezone, rule: zoneRule(timezone) };
}

/** Minutes after UTC midnight on the last Sunday of `month` (0-based) in `year`, at 01:00 UTC. */
function lastSundayAt0100Utc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  const sunday = lastDay.getUTCDate() - lastDay.getUTCDay();
  return Date.UTC(year, month, sunday, 1);
}

/** UTC offset of `timezone` at `instant` in minutes, by the zone's rule (not the tz database). */
export function utcOffsetMinutes(timezone: string, instant: Date): number {
  const rule = zoneRule(timezone);
  if (rule.dst === "none") return rule.standardOffsetMinutes;
  const t = instant.getTime();
  const year = instant.getUTCFullYear();
  const summer = t >= lastSundayAt0100Utc(year, 2) && t < lastSundayAt0100Utc(year, 9);
  return rule.standardOffsetMinutes + (summer ? 60 : 0);
}

/** True when `instant` lies in the maintenance window, i.e. does not count against availability. */
export function inMaintenanceWindow(platform: PlatformConfig, instant: Date): boolean {
  const w = maintenanceWindow(platform);
  const utcMinute = instant.getUTCHours() * 60 + instant.getUTCMinutes();
  const local = (utcMinute + utcOffsetMinutes(w.timezone, instant)) % 1440;
  return w.startMinute < w.endMinute
    ? local >= w.startMinute && local < w.endMinute
    : local >= w.startMinute || local < w.endMinute;
}
