import { listStacks } from "../../components/config/load";
import { checkPolicies } from "../../policy/rules";
import { changedFiles, checkout, isLiveIn, planIn, platformOf, stacksToCompare } from "./base";
import { Change, changesFromEvents, diffFiles, diffPlans, PlanEntry } from "./changes";
import { riskFlags } from "./flags";
import { Report, StackReport } from "./report";
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** One stack's report from two plans (base and working tree). */
export function reportFromPlans(stack: string, before: PlanEntry[] | undefined, after: PlanEntry[] | undefined, liveCustomer: boolean): StackReport {
  const changes: Change[] = diffPlans(before ?? [], after ?? []);
  const policy = checkPolicies((after ?? []).filter((r) => r.custom !== false && !r.type.startsWith("ezorg:")).map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })), { masked: true });
  return { stack, changes, flags: riskFlags(changes, { stack, liveCustomer, policy }), files: diffFiles(before ?? [], after ?? []) };
}

/** One stack's report from the engine events of a real preview. */
export function reportFromEvents(stack: string, events: EngineEvent[], liveCustomer: boolean): StackReport {
  const changes = changesFromEvents(events);
  const after = changes.filter((c) => c.after).map((c) => ({ type: c.type, name: c.name, urn: c.urn, props: c.after!.inputs }));
  const policy = [
    ...checkPolicies(after, { masked: true }),
    // Rules the engine's policy pack reported, e.g. stack-wide ones over unchanged resources.
    ...events.flatMap((e) =>
      e.policyEvent
        ? [{ rule: e.policyEvent.policyName, enforcementLevel: e.policyEvent.enforcementLevel === "mandatory" ? ("mandatory" as const) : ("advisory" as const), resource: e.policyEvent.resourceUrn, message: e.policyEvent.message, why: "" }]
        : [],
    ),
  ];
  const unique = policy.filter((v, i) => policy.findIndex((w) => w.rule === v.rule && w.message === v.message) === i);
  return { stack, changes, flags: riskFlags(changes, { stack, liveCustomer, policy: unique }) };
}

/**
 * Compares the desired state of `ref` with the working tree, for every stack whose
 * inputs changed (or only `onlyStack`). Needs git; no Pulumi CLI, no credentials.
 */
export async function compareWithBase(root: string, ref: string, onlyStack?: string, progress: (line: string) => void = () => undefined): Promise<Report> {
  const base = await checkout(root, ref);
  try {
    const files = await changedFiles(root, ref);
    const candidates = onlyStack ? [onlyStack] : stacksToCompare(files, listStacks(base.dir), listStacks(root), (s) => platformOf(root, s));
    const stacks: StackReport[] = [];
    for (const stack of candidates) {
      progress(`planning ${stack} at ${ref} and in the working tree`);
      const [before, after] = await Promise.all([planIn(base.dir, stack), planIn(root, stack)]);
      stacks.push(reportFromPlans(stack, before, after, isLiveIn(base.dir, stack) || isLiveIn(root, stack)));
    }
    return { source: `${ref} → working tree`, stacks };
  } finally {
    await base.close();
  }
}
