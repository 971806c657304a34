/**
 * The live checks of an onboarding: DNS, SMTP and mail flow. Each check says from which
 * stage on it applies (components/config/stages.ts), so a walkthrough runs exactly the
 * checks the customer's current stage has made true.
 */
import { Customer } from "../../components/config/model";
import { Check, CheckContext, CheckResult } from "../onboard/types";
import { dnsChecks } from "./dns-checks";
import { headerCheck, MailFlowOptions, routeCheck } from "./mail-flow";
import { relayCheck, secureNodesCheck, SmtpCheckOptions } from "./smtp-checks";

export { dkimCheck, dmarcCheck, dnssecCheck, mxCheck, ntaCheck, spfCheck } from "./dns-checks";
export { headerCheck, routeCheck } from "./mail-flow";
export type { MailFlowOptions } from "./mail-flow";
export { relayCheck, secureNodesCheck } from "./smtp-checks";
export type { SmtpCheckOptions } from "./smtp-checks";

/** A check and the stage rule that makes it apply. */
export interface StagedCheck extends Check {
  applies(customer: Customer): boolean;
}

export interface CheckOptions {
  smtp?: SmtpCheckOptions;
  mailFlow?: MailFlowOptions;
}

/** Every check, in walkthrough order: DNS, SMTP, mail flow. */
export function allChecks(o: CheckOptions = {}): StagedCheck[] {
  return [...dnsChecks, relayCheck(o.smtp), secureNodesCheck(o.smtp), routeCheck(o.mailFlow), headerCheck(o.mailFlow)];
}

/** The checks the customer's current stage calls for. */
export function checksFor(customer: Customer, o: CheckOptions = {}): StagedCheck[] {
  return allChecks(o).filter((c) => c.applies(customer));
}

/** Runs checks one after the other (mail-flow checks share mailboxes) and returns every line. */
export async function runChecks(ctx: CheckContext, checks: Check[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) out.push(...(await c.run(ctx)));
  return out;
}
