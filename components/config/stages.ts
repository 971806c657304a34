import { Customer, Stage, STAGES } from "./model";

/** Position of a stage in the walkthrough, 0-based. */
export function stageIndex(stage: Stage): number {
  return STAGES.indexOf(stage);
}

/** True once the customer's current stage is `stage` or a later one. */
export function reached(customer: Customer, stage: Stage): boolean {
  return stageIndex(customer.stage) >= stageIndex(stage);
}

/*
 * What each stage changes in the infrastructure. A stage's change is in place from the
 * moment the descriptor names that stage (so it can be verified before moving on).
 */

/** The relay accepts connections from the customer's mail server (stage 2, network). */
export const relayAcceptsServer = (c: Customer): boolean => reached(c, "network");

/** The customer's domains are relay domains, as recipient and as sender (stage 6). */
export const domainsOnRelay = (c: Customer): boolean => reached(c, "domains-registered");

/** The customer's domains publish the provider's SPF include (stage 6, before the provider sends for them). */
export const publishesSpf = (c: Customer): boolean => reached(c, "domains-registered");

/** The customer may authenticate on the secure nodes (stage 9, switch to the secure mail server). */
export const hasSecureCredential = (c: Customer): boolean => reached(c, "secure-switch");

/** MX, DKIM, DMARC, DNSSEC and the NTA 7516 record are published (stage 12, after cutover). */
export const publishesNtaDns = (c: Customer): boolean => reached(c, "nta-dns");

/** All stages done: changes to this customer's mail records affect live mail. */
export const isLive = (c: Customer): boolean => reached(c, "live");
