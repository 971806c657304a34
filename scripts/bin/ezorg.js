#!/usr/bin/env node
// Runs the TypeScript CLI directly, so no build step stands between set-up and use.
require("tsx/cjs");
require("../cli.ts");
