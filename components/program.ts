import * as pulumi from "@pulumi/pulumi";
import { loadStack, StackModel } from "./config/load";
import { ConfigError, formatViolation } from "./config/violations";
import { hasSecureCredential } from "./config/stages";
import { customerStack } from "./customer";
import { platformStack } from "./platform";

/** Secret config keys a platform stack reads; `ezorg plan` stands in for unset ones. */
export const PLATFORM_SECRET_KEYS = [
  "relayTlsCertificate",
  "relayTlsKey",
  "secureNodeTlsCertificate",
  "secureNodeTlsKey",
  "backupPassword",
  "cloudflareApiToken",
] as const;

/** Secret config keys the stack's program reads, given its model. */
export function secretKeysFor(model: StackModel): string[] {
  if (model.kind === "platform") return [...PLATFORM_SECRET_KEYS];
  return [
    ...(model.customer.dns.hosting === "cloudflare" ? ["cloudflareApiToken"] : []),
    ...(hasSecureCredential(model.customer) ? ["smtpPassword"] : []),
  ];
}

/**
 * The Pulumi program of every stack. The stack's name chooses its kind: `customer-<slug>`
 * is a customer stack, anything else a platform stack. Configuration is validated in
 * full before the first resource is registered.
 */
export async function main(preloaded?: StackModel): Promise<Record<string, unknown>> {
  let model: StackModel;
  try {
    model = preloaded ?? loadStack(pulumi.getStack());
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  // `ezorg plan` prints the warnings itself; under the Pulumi CLI they go to the engine log.
  if (!preloaded) for (const w of model.warnings) pulumi.log.warn(formatViolation(w));

  const config = new pulumi.Config("ezorg");
  if (model.kind === "customer") {
    return customerStack({
      platform: model.platform,
      customer: model.customer,
      cloudflareApiToken: () => config.requireSecret("cloudflareApiToken"),
      smtpPassword: config.getSecret("smtpPassword"),
    });
  }
  const secret = (key: (typeof PLATFORM_SECRET_KEYS)[number]) => config.requireSecret(key);
  return platformStack(model.platform, model.customers, {
    relayTlsCertificate: secret("relayTlsCertificate"),
    relayTlsKey: secret("relayTlsKey"),
    secureNodeTlsCertificate: secret("secureNodeTlsCertificate"),
    secureNodeTlsKey: secret("secureNodeTlsKey"),
    backupPassword: secret("backupPassword"),
    cloudflareApiToken: secret("cloudflareApiToken"),
  });
}
