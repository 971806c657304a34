// The service tests run programs the way the lab does: one implementation, in the lab.
export { mustRun, run, waitFor } from "../../scripts/lab/proc";
export type { RunResult } from "../../scripts/lab/proc";
