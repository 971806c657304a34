// Benchmark: plan `prod` with 10, 100, 1,000 and 10,000 generated customers, and one
// customer stack among 10,000. Prints seconds (whole process and plan alone), peak
// memory and resource count. Targets: constant platform resource count, 10,000
// customers under 5 s, a customer stack under 2 s.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../components/config/load";
import { generateCustomers } from "./generate";

interface Measure {
  seconds: number;
  maxRssMiB: number;
  resources: number;
}

function measure(root: string, stack: string, customersDir: string): Measure & { wallSeconds: number } {
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "bench/plan-once.ts"), stack, customersDir], { cwd: root, encoding: "utf8" });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...(JSON.parse(out) as Measure), wallSeconds };
}

const sizes = (process.env.BENCH_SIZES ?? "10,100,1000,10000").split(",").map(Number);
const work = mkdtempSync(path.join(tmpdir(), "ezorg-bench-"));
try {
  console.log("stack                     customers  process s  plan s  peak MiB  resources");
  let last = "";
  for (const n of sizes) {
    const dir = path.join(work, `customers-${n}`);
    generateCustomers(dir, n);
    const m = measure(PROJECT_ROOT, "prod", dir);
    console.log(`${"prod".padEnd(25)} ${String(n).padStart(9)} ${m.wallSeconds.toFixed(2).padStart(10)} ${m.seconds.toFixed(2).padStart(7)} ${m.maxRssMiB.toFixed(0).padStart(9)} ${String(m.resources).padStart(10)}`);
    last = dir;
  }
  // A customer stack without a stack file of its own is planned against prod.
  const n = sizes[sizes.length - 1];
  const m = measure(PROJECT_ROOT, "customer-org-00001", last);
  console.log(`${"customer-org-00001".padEnd(25)} ${String(n).padStart(9)} ${m.wallSeconds.toFixed(2).padStart(10)} ${m.seconds.toFixed(2).padStart(7)} ${m.maxRssMiB.toFixed(0).padStart(9)} ${String(m.resources).padStart(10)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
