import { Stage, STAGES } from "../../components/config/model";

/** What one onboarding stage asks for before the next may start. */
export interface StagePlan {
  stage: Stage;
  title: string;
  /** What a person must confirm because no check can see it; recorded in the audit log. */
  confirmations: string[];
  /** Where `--rollback` returns to, when going back makes sense. */
  rollbackTo?: Stage;
  /** What the stage changes in the stacks, for the operator to apply after the descriptor change. */
  infrastructure?: string;
}

/*
 * The walkthrough of the provider's guide (chapter 5), stage by stage. Which checks prove
 * a stage is decided by the checks themselves (scripts/checks: each says from which
 * stage on it applies); this table holds what no check can: titles, confirmations,
 * rollback targets and the infrastructure each stage changes.
 */
export const STAGE_PLANS: StagePlan[] = [
  { stage: "connection", title: "Connection and router installation", confirmations: ["the provider's router is installed and connected at the customer's site"] },
  { stage: "network", title: "Routes and firewalls to the relay and the secure mail servers", confirmations: [], infrastructure: "the relay accepts the customer's mail server (relay_clients of prod)" },
  { stage: "receive-connector", title: "Receive connector for mail from inside-relay", confirmations: [] },
  { stage: "test-send-connector", title: "Send connector for the test domain to the relay on 587", confirmations: [] },
  { stage: "route-test", title: "Route test to the helpdesk, and its reply", confirmations: [] },
  { stage: "domains-registered", title: "Mail domains registered on the relay and the spam filter", confirmations: [], rollbackTo: "route-test", infrastructure: "relay domains and senders (prod); SPF include (customer stack)" },
  { stage: "x-headers", title: "Default secure-mail header set by transport rules", confirmations: [] },
  { stage: "x-header-test", title: "Header test to the helpdesk", confirmations: [] },
  { stage: "secure-switch", title: "Test send connector switched to the secure mail servers", confirmations: [], rollbackTo: "x-header-test", infrastructure: "the customer's credential on the secure nodes (prod)" },
  { stage: "final-route-test", title: "Final route test through the secure mail server, and its reply", confirmations: [], rollbackTo: "x-header-test" },
  { stage: "cutover", title: "Send connector address space from the test domain to *", confirmations: [], rollbackTo: "final-route-test" },
  { stage: "nta-dns", title: "DMARC, DKIM, MX and DNSSEC (NTA 7516 5.7)", confirmations: [], rollbackTo: "cutover", infrastructure: "MX, DKIM, DMARC, DNSSEC and the NTA 7516 record (customer stack)" },
  { stage: "live", title: "Live: every check green", confirmations: [] },
];

export function planFor(stage: Stage): StagePlan {
  return STAGE_PLANS.find((p) => p.stage === stage)!;
}

/** The stage after `stage`, or undefined at the end. */
export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}
