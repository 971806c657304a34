import { label, Rule, T } from "./rule";

export const backupsInOtherDatacenter: Rule = {
  name: "backups-in-other-datacenter",
  description: "Each site's backups are stored in another datacentre than the one they protect.",
  why: "NTA 7516 6.1.4 (no data loss) and 6.1.3 (at most 24 h outage): a backup in the same site is lost with the site.",
  enforcementLevel: "mandatory",
  resource: (r) => {
    const target = r.type === T.container ? label(r, "ezorg.backup-target") : undefined;
    if (target === undefined) return [];
    const site = label(r, "ezorg.datacenter");
    return target !== site ? [] : [`${r.name} backs ${site} up into ${target} itself; point its repository at the other datacentre`];
  },
};
