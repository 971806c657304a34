/**
 * What the operations need from Pulumi and the network, behind one interface, so their
 * orchestration is tested with a fake that can fail any step and run against the real CLI
 * unchanged.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { $ } from "zx";
import { loadStack, LoadOptions } from "../../components/config/load";
import { findPulumi } from "../commands/preview";
import { CertificateExpectations, datacenterEndpoints, HealthResult, probeAll } from "./health";

/** Resource operations of an update or preview, e.g. `{ update: 2, same: 40 }`. */
export type Changes = Partial<Record<string, number>>;

export interface UpOptions {
  /** URNs to limit the update to (`pulumi up --target`); default: the whole stack. */
  targets?: string[];
}

export interface StackRunner {
  preview(stack: string, options?: UpOptions): Promise<Changes>;
  /** Applies the stack; throws with a one-line reason when the update fails. */
  up(stack: string, options?: UpOptions): Promise<Changes>;
  /** Probes a platform stack's SMTP endpoints in one datacentre. */
  health(stack: string, datacenter: string, expect?: CertificateExpectations): Promise<HealthResult>;
  /** Sets an encrypted config value, e.g. `ezorg:smtpPassword`. */
  setSecret(stack: string, key: string, value: string): Promise<void>;
  getSecret(stack: string, key: string): Promise<string | undefined>;
  removeConfig(stack: string, key: string): Promise<void>;
}

/** `{ update: 2, same: 40 }` → `2 updated, 40 unchanged`. */
export function describeChanges(changes: Changes): string {
  const words: Record<string, string> = { create: "created", update: "updated", delete: "deleted", replace: "replaced", same: "unchanged" };
  const parts = Object.entries(changes)
    .filter(([, n]) => n)
    .map(([op, n]) => `${n} ${words[op] ?? op}`);
  return parts.length ? parts.join(", ") : "no changes";
}

/** The one line a command prints when it needs the Pulumi CLI and there is none. */
export function noCliMessage(command: string): string {
  return `ezorg ${command}: the Pulumi CLI is not installed here; install it (https://www.pulumi.com/docs/install/) to apply changes, or add --dry-run to see the steps without it.`;
}

export interface PulumiCliRunnerOptions {
  /** Project folder holding Pulumi.yaml. */
  root: string;
  load: LoadOptions;
  /** Extra CA certificates the health probes trust (PEM). */
  ca?: string;
}

/**
 * The real runner: Pulumi's Automation API over the local project, SMTP probes from this
 * machine. Built only by {@link pulumiRunner}, after the CLI was found.
 * Known shortcoming: never run against a real Pulumi CLI and backend here (the machines that
 * run the tests have none); the orchestration above it is tested with a fake runner.
 */
export class PulumiCliRunner implements StackRunner {
  private readonly stacks = new Map<string, Promise<Stack>>();

  constructor(
    private readonly cli: string,
    private readonly o: PulumiCliRunnerOptions,
  ) {}

  async preview(stack: string, options: UpOptions = {}): Promise<Changes> {
    const log = this.log(stack, "preview");
    const s = await this.stack(stack);
    const r = await s.preview({ target: options.targets, color: "never", onOutput: log.write }).catch(log.fail("preview"));
    return r.changeSummary as Changes;
  }

  async up(stack: string, options: UpOptions = {}): Promise<Changes> {
    const log = this.log(stack, "up");
    const s = await this.stack(stack);
    const r = await s.up({ target: options.targets, color: "never", onOutput: log.write }).catch(log.fail("up"));
    return (r.summary.resourceChanges ?? {}) as Changes;
  }

  async health(stack: string, datacenter: string, expect?: CertificateExpectations): Promise<HealthResult> {
    const model = loadStack(stack, this.o.load);
    const endpoints = datacenterEndpoints(model.platform, datacenter);
    return probeAll(endpoints, { minVersion: model.platform.tls.minimumVersion, ca: this.o.ca }, expect);
  }

  /*
   * Through the CLI with the value on standard input: the Automation API's setConfig puts it
   * on the command line, where any user of the machine can read it in the process list.
   */
  async setSecret(stack: string, key: string, value: string): Promise<void> {
    await $({ cwd: this.o.root, input: value, quiet: true })`${this.cli} config set --secret --non-interactive --stack ${stack} ${key}`;
  }

  async getSecret(stack: string, key: string): Promise<string | undefined> {
    const s = await this.stack(stack);
    return s.getConfig(key).then((v) => v.value, () => undefined);
  }

  async removeConfig(stack: string, key: string): Promise<void> {
    await (await this.stack(stack)).removeConfig(key);
  }

  private stack(name: string): Promise<Stack> {
    let s = this.stacks.get(name);
    if (!s) {
      // Loaded here, not at the top: commands that never reach Pulumi do not pay for it.
      const { LocalWorkspace } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
      s = LocalWorkspace.selectStack({ stackName: name, workDir: this.o.root });
      this.stacks.set(name, s);
    }
    return s;
  }

  /** The engine's output goes to `.ezorg/logs/`; a failure names the file and its last error. */
  private log(stack: string, kind: string) {
    const dir = path.join(this.o.root, ".ezorg", "logs");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${stack}-${kind}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
    return {
      write: (text: string) => appendFileSync(file, text),
      fail: (what: string) => (err: unknown): never => {
        const text = err instanceof Error ? err.message : String(err);
        const last = text.split("\n").map((l) => l.trim()).filter((l) => /error/i.test(l)).pop() ?? text.split("\n")[0];
        throw new Error(`pulumi ${what} --stack ${stack} failed: ${last}; full output in ${path.relative(this.o.root, file)}`);
      },
    };
  }
}

/** What a --dry-run hands the steps: any call is a bug, and refused rather than made. */
export const DRY_RUNNER: StackRunner = new Proxy({} as StackRunner, {
  get: (_, method) => () => Promise.reject(new Error(`a dry run changes nothing, yet a step called ${String(method)}()`)),
});

/** The real runner, or undefined when the Pulumi CLI is not on PATH. */
export async function pulumiRunner(o: PulumiCliRunnerOptions): Promise<StackRunner | undefined> {
  const cli = await findPulumi();
  return cli ? new PulumiCliRunner(cli, o) : undefined;
}
