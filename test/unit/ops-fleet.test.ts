import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { Operation, runOperation, Step } from "../../scripts/ops/engine";
import { pool, terminalReporter } from "../../scripts/ops/fleet";
import { Journal } from "../../scripts/ops/journal";
import { customerFleetOperation } from "../../scripts/ops/rollout";
import { collectingReporter, FakeRunner } from "../support/fake-runner";
import { waitFor } from "../support/run";

const SLUGS = ["a", "b", "c", "d", "e", "f"];
const fleet = (runner: FakeRunner) => customerFleetOperation(SLUGS, runner, SLUGS.join(","));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/*
 * Run as a child process (EZORG_CRASH_JOURNAL set): a fleet whose step for customer-c never
 * ends, so the parent can kill the process mid-way with SIGKILL, as a crash would.
 */
if (process.env.EZORG_CRASH_JOURNAL) {
  const runner = new FakeRunner();
  runner.hook = (call) => (call === "up customer-c" ? new Promise<void>(() => undefined) : undefined);
  const dir = path.dirname(process.env.EZORG_CRASH_JOURNAL);
  void runOperation(fleet(runner), { journal: Journal.open(dir, path.basename(process.env.EZORG_CRASH_JOURNAL, ".json")), resume: false, dryRun: false, concurrency: 2, reporter: collectingReporter() });
  setInterval(() => undefined, 1000);
} else {
  const dir = mkdtempSync(path.join(tmpdir(), "ezorg-fleet-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (op: Operation, name: string, o: { resume?: boolean; concurrency?: number } = {}) => {
    const reporter = collectingReporter();
    return runOperation(op, { journal: Journal.open(dir, name), resume: o.resume ?? false, dryRun: false, concurrency: o.concurrency ?? 3, reporter }).then((outcome) => ({ outcome, lines: reporter.lines }));
  };

  describe("pool", () => {
    it("never runs more than the bound at once, and does use it", async () => {
      let active = 0;
      let peak = 0;
      const done: number[] = [];
      await pool([...Array(20).keys()], 3, async (i) => {
        active++;
        peak = Math.max(peak, active);
        await pause(1 + ((i * 7) % 5));
        active--;
        done.push(i);
      });
      assert.equal(peak, 3);
      assert.deepEqual([...done].sort((a, b) => a - b), [...Array(20).keys()]);
    });

    it("refuses a bound below 1", async () => {
      await assert.rejects(pool([1], 0, async () => undefined), /^Error: concurrency: got 0; it must be a whole number of at least 1/);
    });
  });

  describe("a fleet of customer stacks", () => {
    it("never has more stacks in flight than --concurrency, over the whole operation", async () => {
      const runner = new FakeRunner();
      let active = 0;
      let peak = 0;
      runner.hook = async () => {
        active++;
        peak = Math.max(peak, active);
        await pause(5);
        active--;
      };
      const { outcome } = await run(fleet(runner), "bound", { concurrency: 2 });
      assert.equal(peak, 2);
      assert.equal(outcome.succeeded, 6);
    });

    it("goes on past a failed stack and closes with succeeded, failed and skipped", async () => {
      const runner = new FakeRunner();
      runner.failures.set("up customer-b", "pulumi up --stack customer-b failed: error: 403 from Cloudflare");
      const { outcome, lines } = await run(fleet(runner), "failure");
      assert.equal(runner.calls.length, 6);
      assert.ok(lines.includes("✗ up customer-b: pulumi up --stack customer-b failed: error: 403 from Cloudflare"));
      assert.equal(lines.filter((l) => l.startsWith("✓ up customer-")).length, 5);
      assert.equal(lines.at(-2), "✗ rollout of 6 customer stacks stopped at customer stacks (1 of 6 failed): 5 succeeded, 1 failed, 0 skipped");
      assert.equal(lines.at(-1), "  after fixing the cause, continue with: npx ezorg rollout --customers a,b,c,d,e,f --resume");
      assert.equal(outcome.exitCode, 1);
    });

    it("resumes only the failed stack", async () => {
      const first = new FakeRunner();
      first.failures.set("up customer-e", "timeout");
      await run(fleet(first), "resume");
      const second = new FakeRunner();
      const { outcome, lines } = await run(fleet(second), "resume", { resume: true });
      assert.deepEqual(second.calls, ["up customer-e"]);
      assert.ok(lines.includes("- customer stacks: 5 of 6 done earlier, skipped"));
      assert.equal(lines.at(-1), "✓ rollout of 6 customer stacks: 1 succeeded, 0 failed, 5 skipped");
      assert.equal(outcome.exitCode, 0);
    });

    it("keeps a journal that survives a crash mid-way: a resume runs only what was not done", async () => {
      const file = path.join(dir, "crash.json");
      const child = spawn(process.execPath, ["--import", "tsx", __filename], { env: { ...process.env, EZORG_CRASH_JOURNAL: file }, stdio: "ignore" });
      const doneIn = () => Object.values(JSON.parse(readFileSync(file, "utf8")).steps as Record<string, { status: string }>).filter((s) => s.status === "done").length;
      await waitFor("five stacks journaled as done", () => (existsSync(file) && doneIn() === 5 ? true : undefined), 20_000);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));

      const runner = new FakeRunner();
      const { outcome } = await run(fleet(runner), "crash", { resume: true });
      assert.deepEqual(runner.calls, ["up customer-c"]);
      assert.deepEqual([outcome.succeeded, outcome.failed, outcome.skipped], [1, 0, 5]);
    });
  });

  describe("the engine", () => {
    const step = (id: string, calls: string[], fail = false): Step => ({
      id,
      title: id,
      would: `do ${id}`,
      run: async () => {
        calls.push(id);
        if (fail) throw new Error(`${id} broke\nsecond line`);
        return "ok";
      },
    });

    it("stops a fleet phase's operation before the next phase when any of its steps failed", async () => {
      const calls: string[] = [];
      const op: Operation = {
        id: "phases",
        title: "two phases",
        resumeHint: "again --resume",
        phases: [
          { name: "first", mode: "fleet", steps: [step("x", calls), step("y", calls, true)] },
          { name: "second", mode: "sequence", steps: [step("z", calls)] },
        ],
      };
      const { outcome, lines } = await run(op, "phases");
      assert.deepEqual(calls.sort(), ["x", "y"]);
      assert.ok(lines.includes("✗ y: y broke"), lines.join("\n"));
      assert.ok(lines.includes("- z: not run"));
      assert.deepEqual([outcome.succeeded, outcome.failed, outcome.skipped], [1, 1, 1]);
    });

    it("refuses two steps with one journal id", async () => {
      const op: Operation = { id: "dup", title: "dup", resumeHint: "", phases: [{ name: "p", mode: "sequence", steps: [step("x", []), step("x", [])] }] };
      await assert.rejects(run(op, "dup"), /two steps share a journal id/);
    });
  });

  describe("terminalReporter", () => {
    it("writes only the lines when the output is not a terminal", () => {
      const stream = new PassThrough() as unknown as NodeJS.WriteStream;
      let text = "";
      (stream as unknown as PassThrough).on("data", (d) => (text += d));
      const r = terminalReporter(stream);
      const bar = r.progress("fleet", 10);
      r.line("✓ up customer-a: no changes");
      bar.tick();
      bar.stop();
      assert.equal(text, "✓ up customer-a: no changes\n");
    });
  });
}
