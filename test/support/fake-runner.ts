/**
 * A StackRunner for the orchestration tests: records every call as a short line, keeps
 * secrets in memory, and fails (or holds) whichever call a test names.
 */
import { CertificateExpectations, HealthResult } from "../../scripts/ops/health";
import { Changes, StackRunner, UpOptions } from "../../scripts/ops/runner";
import type { PlannedResource } from "../../scripts/plan/run";

export class FakeRunner implements StackRunner {
  /** e.g. `up prod ams1`, `health prod ams1`, `setSecret customer-x ezorg:smtpPassword`. */
  readonly calls: string[] = [];
  readonly secrets = new Map<string, string>();
  /** Call line → error message: that call fails (health answers unhealthy). */
  readonly failures = new Map<string, string>();
  /** Runs before every call finishes, e.g. to hold a call or log it elsewhere. */
  hook: (call: string) => Promise<void> | void = () => undefined;
  /** The certificate expectations each health call got. */
  readonly expectations: Array<CertificateExpectations | undefined> = [];

  async preview(stack: string, o: UpOptions = {}): Promise<Changes> {
    await this.call(`preview ${stack}${site(o)}`);
    return { same: 1 };
  }

  async up(stack: string, o: UpOptions = {}): Promise<Changes> {
    await this.call(`up ${stack}${site(o)}`);
    return { update: 1, same: (o.targets?.length ?? 2) - 1 };
  }

  async health(stack: string, datacenter: string, expect?: CertificateExpectations): Promise<HealthResult> {
    const call = `health ${stack} ${datacenter}`;
    this.expectations.push(expect);
    this.calls.push(call);
    await this.hook(call);
    const failure = this.failures.get(call);
    const endpoint = { label: `node-${datacenter}`, address: "192.0.2.1", port: 587, hostname: "node.test", service: "secureNode" as const };
    return { ok: !failure, probes: [{ endpoint, ok: !failure, detail: failure ?? "STARTTLS TLSv1.3" }] };
  }

  async setSecret(stack: string, key: string, value: string): Promise<void> {
    await this.call(`setSecret ${stack} ${key}`);
    this.secrets.set(`${stack} ${key}`, value);
  }

  async getSecret(stack: string, key: string): Promise<string | undefined> {
    await this.call(`getSecret ${stack} ${key}`);
    return this.secrets.get(`${stack} ${key}`);
  }

  async removeConfig(stack: string, key: string): Promise<void> {
    await this.call(`removeConfig ${stack} ${key}`);
    this.secrets.delete(`${stack} ${key}`);
  }

  private async call(line: string): Promise<void> {
    this.calls.push(line);
    await this.hook(line);
    const failure = this.failures.get(line);
    if (failure) throw new Error(failure);
  }
}

/** ` ams1` for an update targeted at a datacentre's resources (its DatacenterSite URN is among them). */
function site(o: UpOptions): string {
  if (!o.targets) return "";
  const dc = o.targets.map((u) => /:DatacenterSite::([^:]+)$/.exec(u)?.[1]).find(Boolean);
  return ` ${dc ?? `${o.targets.length} targets`}`;
}

/** A Reporter that keeps the lines. */
export function collectingReporter(): { lines: string[]; line(t: string): void; progress(): { tick(): void; stop(): void } } {
  const lines: string[] = [];
  return { lines, line: (t) => lines.push(t), progress: () => ({ tick: () => undefined, stop: () => undefined }) };
}

/**
 * The smallest plan `rolloutPhase` accepts: per datacentre its DatacenterSite, the site's
 * Docker provider and one container created through it.
 */
export function sitePlan(stack: string, datacenters: string[]): PlannedResource[] {
  const base = `urn:pulumi:${stack}::ezorg::`;
  return datacenters.flatMap((dc) => {
    const site = `${base}ezorg:datacenter:DatacenterSite::${dc}`;
    const provider = `${base}ezorg:datacenter:DatacenterSite$pulumi:providers:docker::${dc}-docker`;
    return [
      { urn: site, type: "ezorg:datacenter:DatacenterSite", name: dc, custom: false, inputs: {} },
      { urn: provider, type: "pulumi:providers:docker", name: `${dc}-docker`, parent: site, custom: true, inputs: {} },
      { urn: `${base}ezorg:datacenter:DatacenterSite$docker:index/container:Container::${dc}-node`, type: "docker:index/container:Container", name: `${dc}-node`, parent: site, custom: true, provider: `${provider}::${dc}-docker-id`, inputs: {} },
    ];
  });
}
