import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as path from "node:path";

/**
 * Runs a real preview of `stack` through the Automation API (which drives the Pulumi
 * CLI) with the NTA 7516 policy pack, and returns its engine events.
 */
export async function previewEvents(root: string, stack: string): Promise<EngineEvent[]> {
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
  const workspace = await LocalWorkspace.selectStack({ stackName: stack, workDir: root });
  const events: EngineEvent[] = [];
  await workspace.preview({ diff: true, policyPacks: [path.join(root, "policy")], onEvent: (e) => events.push(e) });
  return events;
}
