import { PlannedResource, recordRegistrations, settle } from "../../scripts/plan/run";

/**
 * Component tests: install Pulumi's mocks once per test file (the runtime is global to
 * the process, and node's test runner gives each file its own process).
 */
export async function startMocks(stack = "test"): Promise<{ resources: PlannedResource[]; settle: () => Promise<void> }> {
  const resources = await recordRegistrations(stack);
  return { resources, settle };
}

/** Resources of a type, by name. */
export function byType(resources: PlannedResource[], type: string): Map<string, PlannedResource> {
  return new Map(resources.filter((r) => r.type === type).map((r) => [r.name, r]));
}

/** The single resource with this name; fails the test when there are none or several. */
export function one(resources: PlannedResource[], name: string): PlannedResource {
  const found = resources.filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
  return found[0];
}

export const T = {
  dockerProvider: "pulumi:providers:docker",
  cloudflareProvider: "pulumi:providers:cloudflare",
  network: "docker:index/network:Network",
  image: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  container: "docker:index/container:Container",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  dnssec: "cloudflare:index/zoneDnssec:ZoneDnssec",
} as const;
