// The NTA 7516 policy pack: `pulumi preview --policy-pack policy` runs it where the Pulumi
// CLI is installed. The same rules run inside `ezorg plan` and `ezorg review`.
import { PolicyPack, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { RULES } from "./rules";

const ctx = { masked: false };
const toResource = (r: { type: string; name: string; urn: string; props: Record<string, unknown> }) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props });

new PolicyPack("ezorg-nta7516", {
  policies: RULES.map((rule) => {
    const base = { name: rule.name, description: `${rule.description} Why: ${rule.why}`, enforcementLevel: rule.enforcementLevel };
    if (rule.stack) {
      return {
        ...base,
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
          for (const v of rule.stack!(args.resources.map(toResource), ctx)) report(v.message, v.resource?.urn);
        },
      };
    }
    return {
      ...base,
      validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        for (const message of rule.resource!(toResource(args), ctx)) report(message);
      },
    };
  }),
});
