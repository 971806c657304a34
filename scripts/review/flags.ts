import { PolicyViolation } from "../../policy/rules";
import { Change, ResourceState } from "./changes";

export interface RiskFlag {
  /** Stable code a pull-request check can match on. */
  code: "live-customer-mx" | "live-customer-spf" | "dnssec-off" | "tls-minimum-lowered" | "replaced-in-every-datacenter" | "data-volume-deleted" | "policy-violation";
  severity: "high" | "medium";
  stack: string;
  /** The resource, when the flag concerns one. */
  resource?: string;
  message: string;
}

export interface FlagContext {
  stack: string;
  /** True when the stack is a customer stack whose customer is live, before or after the change. */
  liveCustomer: boolean;
  /** Policy violations of the desired state after the change. */
  policy: PolicyViolation[];
}

const DNS = "cloudflare:index/dnsRecord:DnsRecord";
const DNSSEC = "cloudflare:index/zoneDnssec:ZoneDnssec";
const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const TLS_ORDER = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const KEPT_DATA = ["mail-queue", "backup-repository"];

function label(s: ResourceState | undefined, name: string): string | undefined {
  const labels = Array.isArray(s?.inputs.labels) ? (s!.inputs.labels as { label: string; value: string }[]) : [];
  return labels.find((l) => l.label === name)?.value;
}

const content = (s?: ResourceState) => String(s?.inputs.content ?? "").replace(/"/g, "");
const isMx = (s?: ResourceState) => s?.inputs.type === "MX";
const isSpf = (s?: ResourceState) => s?.inputs.type === "TXT" && content(s).startsWith("v=spf1");

/** The risk flags of one stack's changes. */
export function riskFlags(changes: Change[], ctx: FlagContext): RiskFlag[] {
  const flags: RiskFlag[] = [];
  const flag = (f: Omit<RiskFlag, "stack">) => flags.push({ stack: ctx.stack, ...f });

  for (const c of changes) {
    const where = `${c.type} ${c.name}`;
    if (c.type === DNS && ctx.liveCustomer) {
      const name = String((c.after ?? c.before)!.inputs.name);
      if (isMx(c.before) || isMx(c.after)) flag({ code: "live-customer-mx", severity: "high", resource: where, message: `MX of ${name} ${c.op}s for a live customer: inbound mail follows it within the TTL` });
      if (isSpf(c.before) || isSpf(c.after)) flag({ code: "live-customer-spf", severity: "high", resource: where, message: `SPF of ${name} ${c.op}s for a live customer: receivers may reject its mail if the include or an existing sender is lost` });
    }
    if (c.type === DNSSEC && (c.op === "delete" || (c.after && c.after.inputs.status !== "active"))) {
      flag({ code: "dnssec-off", severity: "high", resource: where, message: `DNSSEC of zone ${String((c.before ?? c.after)!.inputs.zoneId)} is turned off (${c.op}${c.after ? `, status ${String(c.after.inputs.status)}` : ""})` });
    }
    if (c.type === CONTAINER) {
      const [was, now] = [label(c.before, "ezorg.tls-minimum"), label(c.after, "ezorg.tls-minimum")];
      if (was && now && TLS_ORDER.indexOf(now) < TLS_ORDER.indexOf(was)) flag({ code: "tls-minimum-lowered", severity: "high", resource: where, message: `TLS minimum lowered from ${was} to ${now}` });
    }
    if (c.type === VOLUME && (c.op === "delete" || c.op === "replace")) {
      const purpose = label(c.before, "ezorg.purpose");
      if (purpose && KEPT_DATA.includes(purpose)) flag({ code: "data-volume-deleted", severity: "high", resource: where, message: `volume ${c.name} holding ${purpose === "mail-queue" ? "queued mail" : "backups"} is ${c.op === "delete" ? "deleted" : "replaced"}` });
    }
  }

  // A role served from every datacentre must never be replaced everywhere in one change.
  for (const role of ["relay", "secure-node"]) {
    const touched = changes.filter((c) => c.type === CONTAINER && (c.op === "replace" || c.op === "delete") && label(c.before, "ezorg.role") === role);
    const sites = new Set(touched.map((c) => label(c.before, "ezorg.datacenter")));
    if (sites.size >= 2) {
      flag({ code: "replaced-in-every-datacenter", severity: "high", message: `${role} containers are replaced in ${[...sites].join(" and ")} at once; roll out with \`ezorg rollout\`, one datacentre at a time` });
    }
  }

  for (const v of ctx.policy) {
    flag({ code: "policy-violation", severity: v.enforcementLevel === "mandatory" ? "high" : "medium", resource: v.resource, message: `${v.rule}: ${v.message}` });
  }
  return flags;
}
