import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  backupMaxAgeSeconds,
  errorBudgetRatio,
  inMaintenanceWindow,
  maintenanceWindow,
  promDuration,
  queueAgeLimitSeconds,
  sloModel,
  utcOffsetMinutes,
  yearlyErrorBudgetMinutes,
} from "../../components/monitoring/slo";
import { PlatformConfig } from "../../components/config/model";
import { samplePlatform } from "../fixtures";

function platformWith(change: (p: PlatformConfig) => void): PlatformConfig {
  const p = samplePlatform();
  change(p);
  return p;
}

describe("error budget", () => {
  test("99.8 % a year leaves 0.2 %, 1,051.2 minutes of a 365-day year", () => {
    assert.equal(errorBudgetRatio(99.8), 0.002);
    assert.equal(yearlyErrorBudgetMinutes(99.8), 1051.2);
  });

  test("other objectives scale exactly", () => {
    assert.equal(yearlyErrorBudgetMinutes(99.9), 525.6);
    assert.equal(yearlyErrorBudgetMinutes(99.95), 262.8);
    assert.equal(yearlyErrorBudgetMinutes(99), 5256);
  });

  test("an objective outside (0, 100) is refused with the field, the value and the fix", () => {
    assert.throws(() => errorBudgetRatio(100), /availability\.objectivePercent is 100: it must be above 0 and below 100.*set e\.g\. 99\.8/);
    assert.throws(() => errorBudgetRatio(Number.NaN), /objectivePercent is NaN/);
  });
});

describe("sloModel", () => {
  test("the sample platform pages at 14.4x over 1 h/5 m and 6x over 6 h/30 m", () => {
    const slo = sloModel(samplePlatform());
    assert.equal(slo.objectiveRatio, 0.998);
    assert.equal(slo.errorBudgetMinutesPerYear, 1051.2);
    assert.equal(slo.errorBudgetMinutesPerPageWindow, 86.4);
    assert.deepEqual(
      slo.burnRateAlerts.map((b) => [b.name, b.longWindow, b.shortWindow, b.burnRate, b.errorRatioThreshold, b.for]),
      [
        ["fast", "1h", "5m", 14.4, 0.0288, "2m"],
        ["slow", "6h", "30m", 6, 0.012, "5m"],
      ],
    );
    assert.equal(slo.outageEscalationHours, 6);
  });

  test("99.9 % halves every threshold; the burn rates stay", () => {
    const slo = sloModel(platformWith((p) => (p.availability.objectivePercent = 99.9)));
    assert.deepEqual(slo.burnRateAlerts.map((b) => b.errorRatioThreshold), [0.0144, 0.006]);
    assert.deepEqual(slo.burnRateAlerts.map((b) => b.burnRate), [14.4, 6]);
    assert.equal(slo.errorBudgetMinutesPerPageWindow, 43.2);
  });

  test("a 28-day page window changes the burn rates and thresholds", () => {
    const slo = sloModel(platformWith((p) => (p.availability.pageWindowDays = 28)));
    assert.deepEqual(slo.burnRateAlerts.map((b) => b.burnRate), [13.44, 5.6]);
    assert.deepEqual(slo.burnRateAlerts.map((b) => b.errorRatioThreshold), [0.02688, 0.0112]);
  });

  test("escalation follows maxOutageHours", () => {
    assert.equal(sloModel(platformWith((p) => (p.availability.maxOutageHours = 12))).outageEscalationHours, 3);
  });

  test("a non-positive page window or outage limit is refused", () => {
    assert.throws(() => sloModel(platformWith((p) => (p.availability.pageWindowDays = 0))), /availability\.pageWindowDays is 0/);
    assert.throws(() => sloModel(platformWith((p) => (p.availability.maxOutageHours = -1))), /availability\.maxOutageHours is -1/);
  });
});

describe("queue and backup limits", () => {
  test("a queued message alerts after half of notifyWithinHours: 12 h of 24", () => {
    assert.equal(queueAgeLimitSeconds(samplePlatform()), 43_200);
    assert.equal(queueAgeLimitSeconds(platformWith((p) => (p.queue.notifyWithinHours = 48))), 86_400);
  });

  test("a backup is stale after backup.maxAgeHours: 26 h", () => {
    assert.equal(backupMaxAgeSeconds(samplePlatform()), 93_600);
    assert.throws(() => backupMaxAgeSeconds(platformWith((p) => (p.backup.maxAgeHours = 0))), /backup\.maxAgeHours is 0/);
  });
});

describe("promDuration", () => {
  test("prints the largest whole unit", () => {
    assert.deepEqual([21600, 93600, 300, 30, 90, 0].map(promDuration), ["6h", "26h", "5m", "30s", "90s", "0s"]);
    assert.equal(promDuration(2 * 86400), "2d");
  });
});

describe("maintenance window", () => {
  test("05:00-07:00 Europe/Amsterdam parses to minutes 300-420", () => {
    const w = maintenanceWindow(samplePlatform());
    assert.deepEqual([w.startMinute, w.endMinute, w.timezone], [300, 420, "Europe/Amsterdam"]);
  });

  test("a malformed time or an unsupported zone is refused with the fix", () => {
    assert.throws(() => maintenanceWindow(platformWith((p) => (p.maintenance.start = "5:00"))), /maintenance\.start is "5:00": it must be a time of day as HH:MM/);
    assert.throws(
      () => maintenanceWindow(platformWith((p) => (p.maintenance.timezone = "America/New_York"))),
      /maintenance\.timezone is "America\/New_York": the alert rules can only express Europe\/Amsterdam, UTC/,
    );
    assert.throws(() => maintenanceWindow(platformWith((p) => (p.maintenance.end = "05:00"))), /would be empty/);
  });

  test("the EU rule gives the tz database's Amsterdam offset for every hour of 2024-2030", () => {
    const fmt = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Amsterdam", timeZoneName: "shortOffset" });
    const mismatches: string[] = [];
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2031, 0, 1); t += 3600_000) {
      const d = new Date(t);
      const name = fmt.formatToParts(d).find((x) => x.type === "timeZoneName")!.value;
      const tz = name === "GMT+2" ? 120 : name === "GMT+1" ? 60 : NaN;
      if (utcOffsetMinutes("Europe/Amsterdam", d) !== tz) mismatches.push(`${d.toISOString()} ${name}`);
    }
    assert.deepEqual(mismatches, []);
  });

  test("the switch happens at 01:00 UTC on the last Sundays of March and October", () => {
    assert.equal(utcOffsetMinutes("Europe/Amsterdam", new Date("2026-03-29T00:59:59Z")), 60);
    assert.equal(utcOffsetMinutes("Europe/Amsterdam", new Date("2026-03-29T01:00:00Z")), 120);
    assert.equal(utcOffsetMinutes("Europe/Amsterdam", new Date("2026-10-25T00:59:59Z")), 120);
    assert.equal(utcOffsetMinutes("Europe/Amsterdam", new Date("2026-10-25T01:00:00Z")), 60);
  });

  test("05:00-07:00 local is 04:00-06:00 UTC in winter and 03:00-05:00 UTC in summer", () => {
    const p = samplePlatform();
    const inside = (iso: string) => inMaintenanceWindow(p, new Date(iso));
    assert.deepEqual(
      ["2026-01-15T03:59Z", "2026-01-15T04:00Z", "2026-01-15T05:59Z", "2026-01-15T06:00Z"].map(inside),
      [false, true, true, false],
    );
    assert.deepEqual(
      ["2026-07-15T02:59Z", "2026-07-15T03:00Z", "2026-07-15T04:59Z", "2026-07-15T05:00Z"].map(inside),
      [false, true, true, false],
    );
  });

  test("a window across midnight wraps", () => {
    const p = platformWith((x) => Object.assign(x.maintenance, { start: "23:00", end: "01:00", timezone: "UTC" }));
    assert.deepEqual(["2026-01-15T22:59Z", "2026-01-15T23:30Z", "2026-01-16T00:59Z", "2026-01-16T01:00Z"].map((i) => inMaintenanceWindow(p, new Date(i))), [
      false,
      true,
      true,
      false,
    ]);
  });
});
