import { Rule, T, txtValue } from "./rule";

export const dmarcEnforcing: Rule = {
  name: "dmarc-enforcing",
  description: "Every DMARC record has an enforcing policy: p=quarantine or p=reject.",
  why: "NTA 7516 6.1.5 (proof of origin) and guide 5.7.1 ask for an active DMARC policy; p=none lets spoofed mail from the domain through.",
  enforcementLevel: "mandatory",
  resource: (r) => {
    if (r.type !== T.dnsRecord || !String(r.props.name ?? "").startsWith("_dmarc.")) return [];
    const policy = /(?:^|;)\s*p=([a-z]+)/i.exec(txtValue(r.props.content))?.[1]?.toLowerCase();
    return policy === "quarantine" || policy === "reject" ? [] : [`${r.props.name} has DMARC policy p=${policy ?? "(none)"}; set p=quarantine or p=reject`];
  },
};
