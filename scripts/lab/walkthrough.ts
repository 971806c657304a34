import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Customer, PlatformConfig, Stage, STAGES } from "../../components/config/model";
import { DnsRecord } from "../../components/dns/records";
import { checksFor } from "../checks";
import { AuditLog } from "../onboard/audit";
import { walk } from "../onboard/engine";
import { planFor } from "../onboard/stages";
import { StateStore } from "../onboard/state";
import { generateDkimKey } from "../ops/rotate-dkim";
import { postfixCustomerServer } from "./customer-server";
import { startLab, ZoneEdits } from "./servers";
import { LabZone } from "./zones";

/** A deliberate fault, for showing that each verification catches what it exists to catch. */
export type LabBreak = "spf-include-missing" | "dnssec-off" | "wrong-auth-password" | "header-overwritten";

export interface WalkthroughOptions {
  platform: PlatformConfig;
  customer: Customer;
  /** The customer's descriptor; copied, so the walkthrough never edits the real one. */
  descriptorFile: string;
  /** First three octets of the loopback /24 the lab takes. Default `127.0.16`. */
  net?: string;
  /** Break one thing and show where the walkthrough stops. */
  breakWith?: LabBreak;
  out: (line: string) => void;
}

export interface WalkthroughResult {
  /** The last stage reached (`live` when all went well). */
  reached: Stage;
  passed: number;
  failed: number;
  /** The stage that failed, with its failing check ids, when one did. */
  stoppedAt?: { stage: Stage; failures: string[] };
}

/** Zone edits and lab settings that make one fault real. */
function faultFor(b: LabBreak | undefined, customer: Customer, include: string): { edits?: ZoneEdits } {
  const first = customer.domains[0];
  if (b === "spf-include-missing") {
    const dropInclude = (records: DnsRecord[]) => records.map((r) => (r.key === "spf" ? { ...r, content: r.content.replace(` include:${include}`, "") } : r));
    return { edits: { [first]: { records: dropInclude } } };
  }
  if (b === "dnssec-off") return { edits: { [first]: { signed: false } } };
  return {};
}

/**
 * Zones standing in for the other senders a customer's SPF already includes, so the
 * lookup count resolves in the lab as it would on the internet (each gets one address).
 */
export function thirdPartySpfZones(customer: Customer, providerInclude: string): LabZone[] {
  const includes = Object.values(customer.dns.existingSpf ?? {})
    .flatMap((r) => r.split(/\s+/))
    .map((t) => /^[-+~?]?include:(.+)$/i.exec(t)?.[1]?.toLowerCase())
    .filter((d): d is string => Boolean(d) && d !== providerInclude);
  const zones = new Map<string, string[]>();
  for (const d of new Set(includes)) {
    const zone = d.split(".").slice(-2).join(".");
    zones.set(zone, [...(zones.get(zone) ?? []), `${d}. 300 IN TXT "v=spf1 ip4:198.51.100.25 -all"`]);
  }
  return [...zones].map(([name, lines]) => ({ name, lines, signed: false }));
}

/**
 * The whole onboarding on one machine: the lab's DNS, relay, secure nodes and mailboxes
 * on loopback, and the walkthrough from the first stage to live, each stage's
 * infrastructure applied by the lab and each stage proven by the real checks before the
 * descriptor moves on. Stops at the first stage that fails, and always cleans up.
 */
export async function runWalkthrough(o: WalkthroughOptions): Promise<WalkthroughResult> {
  const work = mkdtempSync(path.join(tmpdir(), "ezorg-lab-walk-"));
  const descriptor = path.join(work, path.basename(o.descriptorFile));
  copyFileSync(o.descriptorFile, descriptor);
  const fault = faultFor(o.breakWith, o.customer, o.platform.spf.include);
  // A customer without a DKIM key gets one, as `ezorg rotate dkim` would give it before nta-dns.
  const customer: Customer = o.customer.dkim ? o.customer : { ...o.customer, dkim: { selector: "ezorglab", publicKey: generateDkimKey().publicKey } };
  const lab = await startLab({
    name: "lab-walkthrough",
    net: o.net ?? "127.0.16",
    platform: o.platform,
    customer: { ...customer, stage: "connection" },
    extraZones: thirdPartySpfZones(customer, o.platform.spf.include),
    // A Postfix customer gets a real Postfix, configured by the toolkit's own instructions;
    // for the others the probe stands in for their server.
    ...(customer.mailServer.software === "postfix" ? { customerServer: postfixCustomerServer } : {}),
  });
  let passed = 0;
  let failed = 0;
  try {
    const audit = new AuditLog(path.join(work, "audit.jsonl"), "lab");
    const state = new StateStore(path.join(work, "state"));
    const smtp = { credential: { username: lab.customer.credential!.username, password: o.breakWith === "wrong-auth-password" ? "not-the-password" : lab.password } };
    if (o.breakWith === "header-overwritten") lab.headerRule = { value: "true", overwrite: true };
    for (const stage of STAGES) {
      await lab.setStage(stage, fault.edits);
      const plan = planFor(stage);
      o.out("");
      const outcome = await walk(
        lab.platform,
        lab.customer,
        { checksFor: (c) => checksFor(c, { smtp, mailFlow: { outsideRecipient: "someone@outside.example" } }), targets: lab.targets, mailFlow: lab.mailFlow, audit, state, out: o.out, now: () => new Date(), instructions: undefined },
        // The lab stands in for the people: the router is "installed" by starting the lab.
        { descriptorFile: descriptor, advance: stage !== "live", confirm: plan.confirmations },
      );
      passed += outcome.results.filter((r) => r.ok).length;
      failed += outcome.results.filter((r) => !r.ok).length;
      if (!outcome.passed) {
        const failures = outcome.results.filter((r) => !r.ok).map((r) => r.id);
        return { reached: stage, passed, failed, stoppedAt: { stage, failures } };
      }
    }
    return { reached: "live", passed, failed };
  } finally {
    await lab.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
