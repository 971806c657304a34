import { label, Rule, T } from "./rule";

/** The platform's minimum: TLS 1.3 (guide 5.5). */
export const PLATFORM_TLS_MINIMUM = "TLSv1.3";
const ORDER = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

export const tlsMinimumNotBelowPlatform: Rule = {
  name: "tls-minimum-not-below-platform",
  description: `Mail services require at least ${PLATFORM_TLS_MINIMUM} on their submission ports.`,
  why: "NTA 7516 6.1.11 and the provider's guide (5.5) ask for TLS 1.3; a lower minimum is allowed only while a customer's Exchange Server cannot speak TLS 1.3 for SMTP, and must be a reviewed exception.",
  enforcementLevel: "advisory",
  resource: (r) => {
    const minimum = r.type === T.container ? label(r, "ezorg.tls-minimum") : undefined;
    if (minimum === undefined || ORDER.indexOf(minimum) >= ORDER.indexOf(PLATFORM_TLS_MINIMUM)) return [];
    return [`${r.name} accepts ${minimum}, below the platform's ${PLATFORM_TLS_MINIMUM}; raise tls.minimumVersion once every customer's server speaks TLS 1.3`];
  },
};
