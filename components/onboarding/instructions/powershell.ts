/**
 * The frame every generated PowerShell script shares: the preflight comment block, strict
 * errors, the shell check and the warnings, then the stage's body. Exchange Server and
 * Exchange Online scripts differ only in which shell they need.
 */
import { STAGES } from "../../config/model";
import { Context, SOFTWARE_NAMES } from "./common";
import { commentText, psQuote } from "./quote";

export interface PsScript {
  /** What the script changes, one comment line each. */
  changes: string[];
  body: string[];
}

/**
 * Connector and rule names, derived from the provider's name so every customer gets the
 * same ones; Exchange limits them to 64 characters.
 */
export function exchangeNames(ctx: Context) {
  const provider = ctx.platform.provider.name;
  const names = {
    receive: `${provider} from ${ctx.relay.hostname}`,
    send: `${provider} outbound`,
    secureRule: `${provider} ${ctx.header} false (secure group)`,
    bypassRule: `${provider} ${ctx.header} true (bypass group)`,
    inbound: `${provider} from ${ctx.relay.hostname}`,
  };
  for (const [key, name] of Object.entries(names)) {
    if (name.length > 64) {
      throw new Error(`platform.provider.name: got ${JSON.stringify(provider)}; the ${key} name it makes, ${JSON.stringify(name)}, is longer than Exchange's 64 characters. Fix: use a shorter provider name`);
    }
  }
  return names;
}

/** A complete script: preflight comment block, `$ErrorActionPreference = 'Stop'`, shell check, body. */
export function psScript(ctx: Context, script: PsScript): string {
  const { customer: c } = ctx;
  const online = c.mailServer.software === "exchange-online";
  const where = online
    ? `${SOFTWARE_NAMES[c.mailServer.software]}; run in PowerShell after Connect-ExchangeOnline, as an Exchange administrator.`
    : `${ctx.software} at ${c.mailServer.address}; run in the Exchange Management Shell on that server, as a member of Organization Management.`;
  const known = ctx.warnings.length ? ctx.warnings.map((w) => `#   ! ${w}`) : ["#   none found."];
  const head = [
    `# ${ctx.platform.provider.name} onboarding, stage ${ctx.number}/${STAGES.length} (${ctx.stage}): ${c.organisation} (${c.slug})`,
    "#",
    "# Preflight",
    `#   Server: ${where}`,
    ...script.changes.map((l, i) => `#   ${i === 0 ? "Changes:" : "        "} ${l}`),
    "#   Known incompatibilities:",
    ...known,
    "#   Save as UTF-8 with BOM: Windows PowerShell 5.1 reads a file without one in the ANSI code page.",
    "#   Generated from the customer descriptor: change the descriptor, not this file.",
  ].map((l) => commentText(l, `customer ${c.slug}: script comment`));
  const shell = online
    ? [
        "if (-not (Get-Command Get-TransportRule -ErrorAction SilentlyContinue)) {",
        "  throw 'Connect to Exchange Online first (Connect-ExchangeOnline), then run this script.'",
        "}",
      ]
    : [
        "if (-not (Get-Command Get-ExchangeServer -ErrorAction SilentlyContinue)) {",
        "  throw 'Run this script in the Exchange Management Shell.'",
        "}",
        "$server = $env:COMPUTERNAME",
        "$null = Get-ExchangeServer -Identity $server",
      ];
  const warn = ctx.warnings.map((w) => `Write-Warning ${psQuote(w, "preflight warning")}`);
  return [...head, "$ErrorActionPreference = 'Stop'", "", ...shell, ...warn, "", ...script.body].join("\n") + "\n";
}

/**
 * The X-header stage on Exchange Server and Exchange Online alike: the two groups (created
 * when missing, mail-enabled so the rules can match members) and the two transport rules.
 */
export function groupRulesScript(ctx: Context): PsScript {
  const { customer: c, header } = ctx;
  const n = exchangeNames(ctx);
  const q = psQuote;
  return {
    changes: [
      `creates the universal security groups "${c.policy.secureGroup}" and "${c.policy.bypassGroup}" if they do not exist;`,
      `creates transport rules "${n.secureRule}" (priority 0) and "${n.bypassRule}" (priority 1).`,
    ],
    body: [
      `$secureGroup = ${q(c.policy.secureGroup, `customer ${c.slug}: policy.secureGroup`)}`,
      `$bypassGroup = ${q(c.policy.bypassGroup, `customer ${c.slug}: policy.bypassGroup`)}`,
      `$header = ${q(header, "platform.secureHeader.name")}`,
      `$rules = @(${q(n.secureRule, "rule name")}, ${q(n.bypassRule, "rule name")})`,
      "foreach ($rule in $rules) {",
      "  if (@(Get-TransportRule | Where-Object { $_.Name -eq $rule }).Count -gt 0) {",
      "    throw \"Transport rule $($rule) exists already: compare it with this script, remove it, then run this script again.\"",
      "  }",
      "}",
      "",
      "# The rules match by group membership, so the groups must be mail-enabled: a universal",
      "# security group created here is (guide 5.5.5.1: groups defined from Exchange).",
      "foreach ($group in @($secureGroup, $bypassGroup)) {",
      "  if (-not (Get-DistributionGroup -Identity $group -ErrorAction SilentlyContinue)) {",
      "    $null = New-DistributionGroup -Name $group -Type Security",
      "    Write-Warning \"Created the universal security group $($group): add its members.\"",
      "  }",
      "}",
      "",
      "# Table 2: a header already on the message (the Outlook add-in's choice) is never",
      "# overwritten: each rule has an exception for any non-blank value of the header ('\\S').",
      "# A user in both groups mails securely (6.1.16, security by default): the secure rule",
      "# runs first, and the bypass rule also excepts members of the secure group, so the",
      "# outcome does not depend on whether a rule sees a header an earlier rule added.",
      [
        "New-TransportRule -Name $rules[0] -Priority 0 -FromMemberOf $secureGroup",
        "-SetHeaderName $header -SetHeaderValue 'false'",
        "-ExceptIfHeaderMatchesMessageHeader $header -ExceptIfHeaderMatchesPatterns '\\S'",
      ].join(" "),
      [
        "New-TransportRule -Name $rules[1] -Priority 1 -FromMemberOf $bypassGroup -ExceptIfFromMemberOf $secureGroup",
        "-SetHeaderName $header -SetHeaderValue 'true'",
        "-ExceptIfHeaderMatchesMessageHeader $header -ExceptIfHeaderMatchesPatterns '\\S'",
      ].join(" "),
      "Get-TransportRule | Where-Object { $rules -contains $_.Name } | Format-List Name, Priority, State, Description",
    ],
  };
}
