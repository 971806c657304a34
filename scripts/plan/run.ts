import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { getMonitor, waitForRPCs } from "@pulumi/pulumi/runtime/settings";
import { loadStack, LoadOptions, readStackConfig, StackModel } from "../../components/config/load";
import { Violation } from "../../components/config/violations";
import { CUSTOMER_SECRET_KEYS, main, PLATFORM_SECRET_KEYS } from "../../components/program";

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
  /** Inputs as registered, secrets replaced by `[secret]`. */
  inputs: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  kind: StackModel["kind"];
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
  warnings: Violation[];
  /** Secret config keys the stack file does not set; the plan used a stand-in. */
  unsetSecrets: string[];
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
  const { config: raw } = readStackConfig(model.stack, root);
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
  const wanted = model.kind === "customer" ? CUSTOMER_SECRET_KEYS : PLATFORM_SECRET_KEYS;
  const unset = wanted.map((k) => `ezorg:${k}`).filter((k) => !(k in config));
  for (const key of unset) {
    config[key] = "plan-stand-in";
    secretKeys.push(key);
  }
  return { config, secretKeys, unset };
}

type MonitorCallback = (err: Error | null, resp?: { getUrn(): string }) => void;
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): unknown;
}

/**
 * Runs the stack's real Pulumi program inside Pulumi's runtime with mocks: no CLI, no
 * credentials, no cloud. Records every registration with its parent and inputs.
 * Pulumi's runtime is process-global, so one process plans one stack.
 */
export async function planStack(stack: string, options: LoadOptions = {}): Promise<Plan> {
  const model = loadStack(stack, options);
  const { config, secretKeys, unset } = stackConfig(model, options.root);
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
  const monitor = getMonitor() as unknown as { registerResource(req: RegisterRequest, cb: MonitorCallback): void };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        resources.push({
          urn: resp.getUrn(),
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          custom: req.getCustom(),
          inputs: maskSecrets(deserializeProperties(req.getObject())) as Record<string, unknown>,
        });
      }
      cb(err, resp);
    });

  const exported = await main(model);
  const outputs = await new Promise<Record<string, unknown>>((resolve) =>
    pulumi.output(exported).apply((v) => resolve(v as Record<string, unknown>)),
  );
  await waitForRPCs();
  return { stack, kind: model.kind, resources, outputs: await maskOutputs(exported, outputs), warnings: model.warnings, unsetSecrets: unset };
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
