import { label, Rule, T } from "./rule";

export const datacentersInNl: Rule = {
  name: "datacenters-in-nl",
  description: "Every datacentre network is in the Netherlands.",
  why: "NTA 7516 6.1.13 keeps health data inside the EEA; the provider commits to two Dutch datacentres.",
  enforcementLevel: "mandatory",
  resource: (r) => {
    if (r.type !== T.network || label(r, "ezorg.datacenter") === undefined) return [];
    const country = label(r, "ezorg.country");
    return country === "NL" ? [] : [`datacentre ${label(r, "ezorg.datacenter")} is in ${country ?? "an unknown country"}; place it in NL`];
  },
};
