import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { hasStackFile, loadStack, LoadOptions, readStackConfig, StackModel } from "../../components/config/load";
import { Violation } from "../../components/config/violations";
import { main, secretKeysFor } from "../../components/program";
import { checkPolicies, PolicyViolation } from "../../policy/rules";

/** What `plan` prints for every secret value. */
export const SECRET_MASK = "[secret]";

/** One resource of the desired state. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent; absent for top-level resources. */
  parent?: string;
  custom: boolean;
  /** Provider reference (`<urn>::<id>`) of a custom resource created with an explicit provider. */
  provider?: string;
  /** Resource options that change how the engine replaces or deletes it; only those set. */
  options?: { deleteBeforeReplace?: true; retainOnDelete?: true; protect?: true };
  /** Inputs as registered, secrets replaced by `[secret]`. */
  inputs: Record<string, unknown>;
  /**
   * Outputs a component registered (e.g. its rendered configuration files), secrets
   * replaced by `[secret]`. The engine marks a whole list secret when one element is,
   * so a container's uploads show as `[secret]`; the component's outputs keep the
   * non-secret files readable for reviewers.
   */
  outputs?: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  kind: StackModel["kind"];
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
  warnings: Violation[];
  /** Secret config keys the stack file does not set; the plan used a stand-in. */
  unsetSecrets: string[];
  /** NTA 7516 policy violations of the desired state (the policy pack's rules). */
  policy: PolicyViolation[];
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Replaces every secret value (as the engine wire format marks it) by `[secret]`. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SIG_KEY] === SECRET_SIG) return SECRET_MASK;
    if (pulumi.Output.isInstance(value)) return "[output]";
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

/** Config the program reads, from the stack file; secrets get a stand-in nobody prints. */
function stackConfig(model: StackModel, root?: string): { config: Record<string, string>; secretKeys: string[]; unset: string[] } {
  const raw = hasStackFile(model.stack, root) ? readStackConfig(model.stack, root).config : {};
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (value && typeof value === "object" && "secure" in (value as object)) {
      config[key] = "plan-stand-in";
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  const unset = secretKeysFor(model).map((k) => `ezorg:${k}`).filter((k) => !(k in config));
  for (const key of unset) {
    config[key] = "plan-stand-in";
    secretKeys.push(key);
  }
  return { config, secretKeys, unset };
}

type MonitorCallback = (err: Error | null, resp?: { getUrn(): string }) => void;
type Struct = Parameters<typeof deserializeProperties>[0];
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): unknown;
  getDeletebeforereplace(): boolean;
  getRetainondelete(): boolean | undefined;
  getProtect(): boolean | undefined;
}

/**
 * Installs Pulumi's mocks and records every registration with its parent and inputs.
 * Pulumi's runtime is process-global: one recorder, one stack, per process.
 */
export async function recordRegistrations(stack: string, config: Record<string, string> = {}, secretKeys: string[] = []): Promise<PlannedResource[]> {
  pulumi.runtime.setAllConfig(config, secretKeys);
  const resources: PlannedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        // Outputs a real provider would compute, as plain values, so children can use them.
        state: args.type === "docker:index/remoteImage:RemoteImage" ? { ...args.inputs, imageId: args.inputs.name } : args.inputs,
      }),
      call: (args) => args.inputs,
    },
    "ezorg",
    stack,
    false,
  );
  const monitor = settings.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: MonitorCallback): void;
    registerResourceOutputs(req: { getUrn(): string; getOutputs(): unknown }, cb: (err: Error | null) => void): void;
  };
  const register = monitor.registerResource.bind(monitor);
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const resource = resources.find((r) => r.urn === req.getUrn());
    const outputs = maskSecrets(deserializeProperties(req.getOutputs() as Struct)) as Record<string, unknown>;
    if (resource && Object.keys(outputs).length > 0) resource.outputs = outputs;
    registerOutputs(req, cb);
  };
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        resources.push({
          urn: resp.getUrn(),
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          custom: req.getCustom(),
          provider: req.getProvider() || undefined,
          options: resourceOptions(req),
          inputs: maskSecrets(deserializeProperties(req.getObject() as Struct)) as Record<string, unknown>,
        });
      }
      cb(err, resp);
    });
  return resources;
}

function resourceOptions(req: RegisterRequest): PlannedResource["options"] {
  const options = {
    ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true as const } : {}),
    ...(req.getRetainondelete() ? { retainOnDelete: true as const } : {}),
    ...(req.getProtect() ? { protect: true as const } : {}),
  };
  return Object.keys(options).length ? options : undefined;
}

/** Resolves once every registration started so far has been answered. */
// waitForRPCs is marked internal (absent from the typings) but is what Pulumi itself awaits
// before it disconnects; without it the last registrations could still be in flight.
export const settle = (): Promise<void> => (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

/**
 * Runs the stack's real Pulumi program inside Pulumi's runtime with mocks: no CLI, no
 * credentials, no cloud.
 */
export async function planStack(stack: string, options: LoadOptions = {}): Promise<Plan> {
  const model = loadStack(stack, options);
  const { config, secretKeys, unset } = stackConfig(model, options.root);
  const resources = await recordRegistrations(stack, config, secretKeys);

  const exported = await main(model);
  const outputs = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.output(exported).apply((v) => resolve(v as Record<string, unknown>)),
  );
  await settle();
  const policy = checkPolicies(resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs })), { masked: true });
  return { stack, kind: model.kind, resources, outputs: await maskOutputs(exported, outputs), warnings: model.warnings, unsetSecrets: unset, policy };
}

/** Stack outputs with secret ones masked (a resolved value no longer carries the mark). */
async function maskOutputs(exported: Record<string, unknown>, resolved: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(resolved).map(async ([k, v]) => {
      const raw = exported[k];
      const secret = pulumi.Output.isInstance(raw) && (await pulumi.isSecret(raw));
      return [k, secret ? SECRET_MASK : v] as const;
    }),
  );
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}
