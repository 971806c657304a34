import { availabilityObjectiveAtLeast998 } from "./availability-objective-at-least-99-8";
import { backupsInOtherDatacenter } from "./backups-in-other-datacenter";
import { datacentersInNl } from "./datacenters-in-nl";
import { dmarcEnforcing } from "./dmarc-enforcing";
import { dnssecOnForHostedMailDomains } from "./dnssec-on-for-hosted-mail-domains";
import { noSecretInPlainText } from "./no-secret-in-plain-text";
import { CheckContext, PolicyResource, Rule } from "./rule";
import { tlsMinimumNotBelowPlatform } from "./tls-minimum-not-below-platform";

export { CheckContext, PolicyResource, Rule };

/** The NTA 7516 rules, in the order they are reported. */
export const RULES: Rule[] = [
  dnssecOnForHostedMailDomains,
  dmarcEnforcing,
  tlsMinimumNotBelowPlatform,
  datacentersInNl,
  backupsInOtherDatacenter,
  availabilityObjectiveAtLeast998,
  noSecretInPlainText,
];

export interface PolicyViolation {
  rule: string;
  enforcementLevel: Rule["enforcementLevel"];
  /** `type name` of the resource, when the violation concerns one. */
  resource?: string;
  message: string;
  why: string;
}

/** Runs every rule over a stack's resources; the same checks the policy pack runs. */
export function checkPolicies(resources: PolicyResource[], ctx: CheckContext, rules: Rule[] = RULES): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const at = (r?: PolicyResource) => (r ? `${r.type} ${r.name}` : undefined);
  for (const rule of rules) {
    const base = { rule: rule.name, enforcementLevel: rule.enforcementLevel, why: rule.why };
    for (const r of resources) for (const message of rule.resource?.(r, ctx) ?? []) out.push({ ...base, resource: at(r), message });
    for (const v of rule.stack?.(resources, ctx) ?? []) out.push({ ...base, resource: at(v.resource), message: v.message });
  }
  return out;
}

/** True when any violation blocks: mandatory rules fail, advisory ones warn. */
export const blocks = (vs: PolicyViolation[]): boolean => vs.some((v) => v.enforcementLevel === "mandatory");
