/** A resource as a policy sees it: from `ezorg plan` (inputs) or from the policy engine (props). */
export interface PolicyResource {
  type: string;
  name: string;
  urn?: string;
  props: Record<string, any>;
}

export interface CheckContext {
  /**
   * True when secret values arrive masked as `[secret]` (plan and review). The policy
   * engine hands a pack the plain values, so checks on secretness only run where masked.
   */
  masked: boolean;
}

/** One NTA 7516 rule: named after what must hold, with what is wrong and why it matters. */
export interface Rule {
  name: string;
  /** What must hold. */
  description: string;
  /** Why it matters, with the criterion. */
  why: string;
  enforcementLevel: "mandatory" | "advisory";
  /** Messages for one resource; empty when it complies. */
  resource?: (r: PolicyResource, ctx: CheckContext) => string[];
  /** Messages over the whole stack, each optionally naming a resource. */
  stack?: (rs: PolicyResource[], ctx: CheckContext) => { resource?: PolicyResource; message: string }[];
}

/** A label's value on a Docker resource, from its `labels` list. */
export function label(r: PolicyResource, name: string): string | undefined {
  const labels = Array.isArray(r.props.labels) ? (r.props.labels as { label: string; value: string }[]) : [];
  return labels.find((l) => l.label === name)?.value;
}

export const T = {
  container: "docker:index/container:Container",
  network: "docker:index/network:Network",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  dnssec: "cloudflare:index/zoneDnssec:ZoneDnssec",
} as const;

/** TXT content as one string: Cloudflare takes long values as several quoted strings. */
export function txtValue(content: unknown): string {
  const s = String(content ?? "");
  const parts = s.match(/^"(.*)"$/s) ? [...s.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]) : [s];
  return parts.join("");
}
