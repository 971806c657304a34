/**
 * Instructions for the customer's administrator, per onboarding stage and per mail
 * platform: human steps with the platform's real values, a script where the stage has
 * one, and the preflight's known incompatibilities. Pure: nothing here touches a network,
 * a file or a terminal.
 */
import { Customer, PlatformConfig, Stage } from "../../config/model";
import { context, InstructionOptions, Instructions } from "./common";
import { exchangeInstructions } from "./exchange";
import { exchangeOnlineInstructions } from "./exchange-online";
import { postfixInstructions, postfixPlan, PostfixPlan } from "./postfix";

export type { InstructionOptions, Instructions } from "./common";
export { CUTOVER_COST } from "./exchange";
export { PASSWORD_PLACEHOLDER, POSTFIX_TABLES, policyProtocols, USERNAME_PLACEHOLDER } from "./postfix";
export type { PostfixPlan } from "./postfix";
export { checkPrintable, psQuote, shQuote } from "./quote";

/** The instructions for `stage`, for the software the customer's descriptor names. */
export function instructionsFor(
  platform: PlatformConfig,
  customer: Customer,
  stage: Stage,
  options: InstructionOptions = {},
): Instructions {
  const ctx = context(platform, customer, stage);
  switch (customer.mailServer.software) {
    case "exchange-2016":
    case "exchange-2019":
    case "exchange-se":
      return exchangeInstructions(ctx);
    case "exchange-online":
      return exchangeOnlineInstructions(ctx);
    case "postfix":
      return postfixInstructions(ctx, options);
  }
}

/** The preflight alone: known incompatibilities of the customer's software and version with this platform. */
export function preflight(platform: PlatformConfig, customer: Customer): string[] {
  return context(platform, customer, customer.stage).warnings;
}

/** What a Postfix customer's script changes at `stage` (tables, list settings, settings); undefined when it changes nothing. */
export function postfixChanges(platform: PlatformConfig, customer: Customer, stage: Stage): PostfixPlan | undefined {
  return postfixPlan(context(platform, customer, stage));
}
