import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../components/config/load";

describe("compatibility with Pulumi's nodejs runtime", () => {
  it("Pulumi.yaml names the nodejs runtime, the stacks folder and index.ts", () => {
    const project = parse(readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
    assert.deepEqual([project.name, project.runtime.name, project.stackConfigDir, project.main], ["ezorg", "nodejs", "stacks", "index.ts"]);
  });

  it("index.ts compiles under Pulumi's own ts-node with type checking and exports the program as a function", () => {
    const out = execFileSync(process.execPath, [path.join(PROJECT_ROOT, "test/support/pulumi-loader.js"), PROJECT_ROOT], { encoding: "utf8" });
    assert.equal(out.trim(), "function");
  });
});
