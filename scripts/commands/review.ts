import { writeFileSync } from "node:fs";
import { PROJECT_ROOT } from "../../components/config/load";
import { compareWithBase, reportFromEvents } from "../review/compare";
import { isLiveIn } from "../review/base";
import { previewEvents } from "../review/preview";
import { Report, toJson, toMarkdown } from "../review/report";
import { findPulumi } from "./preview";
import { CommonOptions, loadOptions } from "./options";

export interface ReviewOptions extends CommonOptions {
  base?: string;
  stack?: string;
  json?: boolean;
  output?: string;
  strict?: boolean;
}

export async function reviewCommand(opts: ReviewOptions): Promise<void> {
  const root = loadOptions(opts).root ?? PROJECT_ROOT;
  let report: Report;
  if (opts.base) {
    report = await compareWithBase(root, opts.base, opts.stack, (line) => process.stderr.write(`… ${line}\n`));
  } else {
    if (!opts.stack) throw new Error("review needs --stack <name> for a live preview, or --base <git-ref> to compare plans without the Pulumi CLI");
    if (!(await findPulumi())) {
      process.stderr.write(`ezorg review: the Pulumi CLI is not installed here; run \`npx ezorg review --base <git-ref>\` to compare planned states without it.\n`);
      process.exitCode = 2;
      return;
    }
    report = { source: `preview of ${opts.stack}`, stacks: [reportFromEvents(opts.stack, await previewEvents(root, opts.stack), isLiveIn(root, opts.stack))] };
  }

  const text = opts.json ? `${JSON.stringify(toJson(report), null, 2)}\n` : `${toMarkdown(report)}\n`;
  if (opts.output) writeFileSync(opts.output, text);
  else process.stdout.write(text);
  const flags = report.stacks.flatMap((s) => s.flags);
  const blocking = flags.some((f) => f.code === "policy-violation" && f.severity === "high");
  // A mandatory policy rule broken always fails the check; --strict fails on any high flag.
  if (blocking || (opts.strict && flags.some((f) => f.severity === "high"))) process.exitCode = 1;
}
