/**
 * `ezorg rollout`: a platform change applied one datacentre at a time. Each site's resources
 * are updated with `pulumi up --target`, then its SMTP endpoints must pass their probes
 * before the next site is touched; what belongs to no site goes last.
 */
import { createHash } from "node:crypto";
import { PlatformConfig } from "../../components/config/model";
import type { PlannedResource } from "../plan/run";
import { Operation, Phase, Step } from "./engine";
import { CertificateExpectations, datacenterEndpoints, describeHealth } from "./health";
import { describeChanges, StackRunner } from "./runner";

export interface SiteTargets {
  datacenter: string;
  urns: string[];
}

const DOCKER_PROVIDER = "pulumi:providers:docker";
const SITE_COMPONENT = "ezorg:datacenter:DatacenterSite";

/**
 * Each datacentre's URNs, from the plan: the site's Docker provider, every resource created
 * through it, and their component ancestors (so a new component is created with its
 * children). A site is whatever its provider's DatacenterSite parent is named.
 */
export function siteTargets(resources: readonly PlannedResource[], datacenters: readonly string[]): SiteTargets[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const siteOfProvider = new Map<string, string>();
  for (const r of resources) {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (r.type === DOCKER_PROVIDER && parent?.type === SITE_COMPONENT) siteOfProvider.set(r.urn, parent.name);
  }
  const site = (r: PlannedResource): string | undefined =>
    siteOfProvider.get(r.urn) ?? (r.provider ? siteOfProvider.get(r.provider.replace(/::[^:]*$/, "")) : undefined);

  return datacenters.map((dc) => {
    const urns = new Set<string>();
    for (const r of resources.filter((x) => site(x) === dc)) {
      for (let a: PlannedResource | undefined = r; a && !urns.has(a.urn); a = a.parent ? byUrn.get(a.parent) : undefined) urns.add(a.urn);
    }
    if (urns.size === 0) throw new Error(`datacentre ${dc}: the plan holds no resource on its Docker provider; check platform.datacenters and the DatacenterSite components`);
    return { datacenter: dc, urns: [...urns].sort() };
  });
}

/** Digest of the desired state (URNs and inputs, secrets masked): a resume needs the same one. */
export function planFingerprint(resources: readonly PlannedResource[]): string {
  const h = createHash("sha256");
  for (const r of [...resources].sort((a, b) => a.urn.localeCompare(b.urn))) h.update(`${r.urn}\n${JSON.stringify(r.inputs)}\n`);
  return h.digest("hex");
}

export interface RolloutInput {
  stack: string;
  platform: PlatformConfig;
  resources: readonly PlannedResource[];
  runner: StackRunner;
  /** Certificates the probes must see served, after a certificate rotation. */
  expect?: CertificateExpectations;
}

/** up, health per datacentre in platform order; then one untargeted up for the rest. */
export function rolloutPhase(i: RolloutInput): Phase {
  const sites = siteTargets(i.resources, i.platform.datacenters.map((d) => d.name));
  const inSites = new Set(sites.flatMap((s) => s.urns));
  const rest = i.resources.filter((r) => r.custom && !inSites.has(r.urn)).length;
  const steps: Step[] = sites.flatMap(({ datacenter: dc, urns }) => [
    {
      id: `up:${dc}`,
      title: `up ${dc}`,
      would: `run pulumi up --stack ${i.stack} --target on the ${urns.length} resources of ${dc}`,
      run: async () => describeChanges(await i.runner.up(i.stack, { targets: urns })),
    },
    {
      id: `health:${dc}`,
      title: `health ${dc}`,
      would: `probe ${datacenterEndpoints(i.platform, dc).map((e) => `${e.label} ${e.address}:${e.port}`).join(", ")} for STARTTLS at ${i.platform.tls.minimumVersion} or later${i.expect ? ", serving the new certificates" : ""}`,
      run: async () => {
        const h = await i.runner.health(i.stack, dc, i.expect);
        if (!h.ok) throw new Error(describeHealth(h));
        return describeHealth(h);
      },
    },
  ]);
  // Untargeted: it also removes what left the program, which a --target update never does.
  steps.push({
    id: "up:rest",
    title: `up ${i.stack} (outside the datacentres)`,
    would: `run pulumi up --stack ${i.stack} for the ${rest} resources outside the datacentres and any removals`,
    run: async () => describeChanges(await i.runner.up(i.stack)),
  });
  return { name: `rollout ${i.stack}`, mode: "sequence", steps };
}

export function rolloutOperation(i: RolloutInput): Operation {
  return {
    id: `rollout-${i.stack}`,
    title: `rollout ${i.stack}`,
    resumeHint: `npx ezorg rollout --stack ${i.stack} --resume`,
    fingerprint: planFingerprint(i.resources),
    phases: [rolloutPhase(i)],
  };
}

/** One customer stack: its DNS only, no datacentre. */
export function customerUpStep(stack: string, runner: StackRunner): Step {
  return {
    id: `up:${stack}`,
    title: `up ${stack}`,
    would: `run pulumi up --stack ${stack}`,
    run: async () => describeChanges(await runner.up(stack)),
  };
}

/** The fleet form: `up` over many customer stacks, each on its own. */
export function customerFleetOperation(slugs: readonly string[], runner: StackRunner, selection: string): Operation {
  return {
    id: `rollout-customers-${selectionId(slugs, selection)}`,
    title: `rollout of ${slugs.length} customer stack${slugs.length === 1 ? "" : "s"}`,
    resumeHint: `npx ezorg rollout --customers ${selection} --resume`,
    phases: [{ name: "customer stacks", mode: "fleet", steps: slugs.map((s) => customerUpStep(`customer-${s}`, runner)) }],
  };
}

/** A journal name for a set of customers: `all`, the one slug, or a digest of the list. */
export function selectionId(slugs: readonly string[], selection: string): string {
  if (selection === "all") return "all";
  if (slugs.length === 1) return slugs[0];
  return createHash("sha256").update([...slugs].sort().join(",")).digest("hex").slice(0, 12);
}
