/** Small pieces the rotations share: dates, refusals before any change, the platform of a customer. */
import { Customer } from "../../components/config/model";

/** Raised before any change: every line names a customer or an input, the rule and the fix. */
export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/** `YYYY-MM-DD` in UTC. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

/** True from 00:00 UTC of `until` on: an overlap ends at the start of its `until` day. */
export function overlapEnded(until: string, now: Date): boolean {
  return now.getTime() >= Date.parse(`${until}T00:00:00Z`);
}

/** The platform stack a customer is onboarded on: the descriptor's `platform`, default prod. */
export function platformStackOf(customer: Customer): string {
  return customer.platform ?? "prod";
}

/** Checks each item; throws one PreflightError listing every problem, or returns nothing. */
export function preflight<T>(items: readonly T[], check: (item: T) => string | undefined): void {
  const problems = items.map(check).filter((p): p is string => Boolean(p));
  if (problems.length > 0) throw new PreflightError(problems);
}
