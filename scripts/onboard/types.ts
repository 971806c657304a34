import { Customer, PlatformConfig } from "../../components/config/model";
import { Resolver } from "../checks/dns-client";

/** One verdict of an automated check: a ✓/✗ line in the walkthrough. */
export interface CheckResult {
  /** Stable id, e.g. `dns.spf.include`, `smtp.relay.tls-version`. */
  id: string;
  ok: boolean;
  /** What was seen, e.g. `TLSv1.3`, `3 lookups (include:_spf.ezorg.nl 1, mx 1, a 1)`. */
  detail: string;
  /** When not ok: what to change, for the operator or the customer's administrator. */
  fix?: string;
}

/** Where the checks look: resolver, the platform's SMTP endpoints, the customer's side. */
export interface CheckTargets {
  /** A DNSSEC-validating resolver (sets AD on validated answers). */
  resolver: Resolver;
  /** Address and port to reach `inside-relay` at (prod: platform.relay). */
  relay: { host: string; port: number };
  /** Addresses and port of the secure nodes (prod: platform.secureNodes). */
  secureNodes: { host: string; port: number }[];
  /** CA bundle the TLS checks verify certificates against; default the system's. */
  caFile?: string;
}

/** Sends a test message as the customer would and reports what arrived where. */
export interface MailFlowProbe {
  /** Send from `from` to the helpdesk addresses with optional headers; resolves with the delivered copies. */
  send(o: { from: string; to: string; cc?: string; headers?: Record<string, string>; subject: string }): Promise<DeliveredMessage[]>;
  /** Send the helpdesk's reply back to `to` (inbound test); resolves with the delivered copies. */
  reply(o: { to: string; subject: string }): Promise<DeliveredMessage[]>;
}

export interface DeliveredMessage {
  /** Mailbox that received it, e.g. `helpdesk@e-zorg.nl`, or `portal`, `internet`. */
  mailbox: string;
  headers: Record<string, string>;
  /** Hops it took, in order, e.g. ["inside-relay", "secure-smtpnodes"]. */
  route: string[];
}

export interface CheckContext {
  platform: PlatformConfig;
  customer: Customer;
  targets: CheckTargets;
  mailFlow?: MailFlowProbe;
  now: () => Date;
}

/** A named group of checks a stage runs before the next may start. */
export interface Check {
  id: string;
  title: string;
  run(ctx: CheckContext): Promise<CheckResult[]>;
}

/** Instructions for the customer's administrator: rendered in components/, used here. */
export type { Instructions } from "../../components/onboarding/instructions/common";
