import { label, Rule, T } from "./rule";

export const MIN_OBJECTIVE = 99.8;

export const availabilityObjectiveAtLeast998: Rule = {
  name: "availability-objective-at-least-99-8",
  description: `Monitoring measures an availability objective of at least ${MIN_OBJECTIVE} % a year.`,
  why: "NTA 7516 6.1.2 sets the minimum availability of a provider at 99.8 % a year; alerts computed from a lower objective page too late.",
  enforcementLevel: "mandatory",
  resource: (r) => {
    const value = r.type === T.container ? label(r, "ezorg.availability-objective") : undefined;
    if (value === undefined || Number(value) >= MIN_OBJECTIVE) return [];
    return [`${r.name} alerts on an objective of ${value} %; set availability.objectivePercent to ${MIN_OBJECTIVE} or higher`];
  },
};
