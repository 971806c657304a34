import { Stage, STAGES } from "../../components/config/model";

/** What one onboarding stage asks for before the next may start. */
export interface StagePlan {
  stage: Stage;
  title: string;
  /** Checks (ids in the check registry) that must all pass. */
  checks: string[];
  /** What a person must confirm because no check can see it; recorded in the audit log. */
  confirmations: string[];
  /** Where `--rollback` returns to, when going back makes sense. */
  rollbackTo?: Stage;
  /** What the stage changes in the stacks, for the operator to apply after the descriptor change. */
  infrastructure?: string;
}

/*
 * The walkthrough of the provider's guide (chapter 5), stage by stage. The checks prove
 * each stage for real: the route tests send mail, the DNS checks ask a validating
 * resolver, the SMTP checks speak to the platform's endpoints.
 */
export const STAGE_PLANS: StagePlan[] = [
  { stage: "connection", title: "Connection and router installation", checks: ["smtp.relay"], confirmations: ["the provider's router is installed and connected at the customer's site"] },
  { stage: "network", title: "Routes and firewalls to the relay and the secure mail servers", checks: ["smtp.relay", "smtp.secure-nodes"], confirmations: [], infrastructure: "the relay accepts the customer's mail server (relay_clients of prod)" },
  { stage: "receive-connector", title: "Receive connector for mail from inside-relay", checks: ["flow.inbound"], confirmations: [] },
  { stage: "test-send-connector", title: "Send connector for the test domain to the relay on 587", checks: ["flow.outbound-relay"], confirmations: [] },
  { stage: "route-test", title: "Route test to the helpdesk, and its reply", checks: ["flow.outbound-relay", "flow.inbound"], confirmations: [] },
  { stage: "domains-registered", title: "Mail domains registered on the relay and the spam filter", checks: ["dns.spf", "flow.outbound-relay"], confirmations: [], rollbackTo: "route-test", infrastructure: "relay domains and senders (prod); SPF include (customer stack)" },
  { stage: "x-headers", title: "Default secure-mail header set by transport rules", checks: ["flow.headers"], confirmations: [] },
  { stage: "x-header-test", title: "Header test to the helpdesk", checks: ["flow.headers"], confirmations: [] },
  { stage: "secure-switch", title: "Test send connector switched to the secure mail servers", checks: ["smtp.secure-nodes", "smtp.credential", "flow.outbound-secure"], confirmations: [], rollbackTo: "x-header-test", infrastructure: "the customer's credential on the secure nodes (prod)" },
  { stage: "final-route-test", title: "Final route test through the secure mail server, and its reply", checks: ["flow.outbound-secure", "flow.inbound"], confirmations: [], rollbackTo: "x-header-test" },
  { stage: "cutover", title: "Send connector address space from the test domain to *", checks: ["flow.cutover"], confirmations: [], rollbackTo: "final-route-test" },
  { stage: "nta-dns", title: "DMARC, DKIM, MX and DNSSEC (NTA 7516 5.7)", checks: ["dns.mx", "dns.spf", "dns.dkim", "dns.dmarc", "dns.dnssec", "dns.nta"], confirmations: [], rollbackTo: "cutover", infrastructure: "MX, DKIM, DMARC, DNSSEC and the NTA 7516 record (customer stack)" },
  { stage: "live", title: "Live: every check green", checks: ["dns.mx", "dns.spf", "dns.dkim", "dns.dmarc", "dns.dnssec", "dns.nta", "smtp.secure-nodes"], confirmations: [] },
];

export function planFor(stage: Stage): StagePlan {
  return STAGE_PLANS.find((p) => p.stage === stage)!;
}

/** The stage after `stage`, or undefined at the end. */
export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}
