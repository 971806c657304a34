/**
 * Exchange Online. Its inbound side fits the platform: an inbound connector restricted to
 * the relay, TLS required. Its outbound side does not: New-OutboundConnector has smart
 * hosts and TLS settings but no port and no credential, and Exchange Online cannot reach
 * the provider's private network. The stages that need those say so instead of pretending.
 */
import { Context, groupHeaderTest, Instructions, list, sharedSteps } from "./common";
import { exchangeNames, groupRulesScript, PsScript, psScript } from "./powershell";
import { psQuote } from "./quote";

export function exchangeOnlineInstructions(ctx: Context): Instructions {
  const script = onlineScript(ctx);
  return {
    stage: ctx.stage,
    steps: onlineSteps(ctx) ?? sharedSteps(ctx) ?? [],
    ...(script ? { script: { language: "powershell" as const, content: psScript(ctx, script) } } : {}),
    warnings: ctx.warnings,
  };
}

function onlineSteps(ctx: Context): string[] | undefined {
  const { relay, nodes, platform, customer: c, header } = ctx;
  const n = exchangeNames(ctx);
  const onPremises = "the server on your side that carries the provider's connection (an on-premises Exchange server in a hybrid setup, or a Postfix smarthost you run)";
  const notHere = (what: string) => [
    `Not possible from Exchange Online: ${what}. Exchange Online's outbound connectors deliver on port 25 without a password, and it cannot reach ${relay.address} or ${list(nodes.addresses)} on the provider's private network.`,
    `Do this stage on ${onPremises}, following the instructions for its software, and point an Exchange Online outbound connector (New-OutboundConnector -UseMXRecord $false -SmartHosts <that server> -TlsSettings DomainValidation) at it.`,
  ];
  switch (ctx.stage) {
    case "connection":
      return [
        ...sharedSteps(ctx)!,
        `Exchange Online alone cannot complete the onboarding (see the warnings): name ${onPremises} to the provider as the mail server, with its address and software.`,
      ];
    case "network":
      return [...sharedSteps(ctx)!, `These routes and firewall rules are for ${onPremises}: Exchange Online has no route into the provider's network.`];
    case "receive-connector":
      return [
        `Run the script in Exchange Online PowerShell: it creates inbound connector "${n.inbound}" for mail from the relay, TLS required with certificate name ${relay.hostname}, and skips the relay when checking SPF (Enhanced Filtering, guide 5.5).`,
        `Before running it, confirm with the provider the public addresses the relay delivers from; the script lists the provider's sending addresses (${list(platform.spf.egress)}), which the relay may not be limited to.`,
      ];
    case "test-send-connector":
      return notHere(`a connector to ${relay.hostname}:${relay.port} for ${list(ctx.testDomains)}`);
    case "secure-switch":
      return notHere(`submitting to ${nodes.hostname}:${nodes.port} with basic authentication (the user name and password handed out at onboarding)`);
    case "cutover":
      return notHere("sending all outbound mail (address space *) through the secure nodes");
    case "x-headers":
      return [
        `Run the script in Exchange Online PowerShell: the same groups and transport rules as on Exchange Server (${header}: false for "${c.policy.secureGroup}", true for "${c.policy.bypassGroup}", never overwriting a header already present; a user in both groups mails securely).`,
        `The header only matters on mail that reaches the secure nodes, that is mail Exchange Online hands to ${onPremises}.`,
      ];
    case "x-header-test":
      return groupHeaderTest(ctx);
    default:
      return undefined;
  }
}

function onlineScript(ctx: Context): PsScript | undefined {
  const { relay, platform } = ctx;
  const n = exchangeNames(ctx);
  const q = psQuote;
  switch (ctx.stage) {
    case "receive-connector":
      return {
        changes: [`creates inbound connector "${n.inbound}": mail from the relay's addresses, TLS required, certificate ${relay.hostname}.`],
        body: [
          `$name = ${q(n.inbound, "inbound connector name")}`,
          "if (@(Get-InboundConnector | Where-Object { $_.Name -eq $name }).Count -gt 0) {",
          "  throw \"Inbound connector $($name) exists already: compare it with this script, remove it, then run this script again.\"",
          "}",
          "# The provider's sending addresses (platform.spf.egress): confirm with the provider which of",
          "# them the relay delivers from before running this.",
          `$relayAddresses = @(${platform.spf.egress.map((a) => q(a, "platform.spf.egress")).join(", ")})`,
          "",
          "# Partner connector: identifies the relay by address and certificate and requires TLS for it;",
          "# EFSkipLastIP skips the relay itself when checking SPF (guide 5.5). Mail from elsewhere is",
          "# not restricted: until the MX moves to the mailfilters, internet mail still arrives directly.",
          [
            "New-InboundConnector -Name $name -ConnectorType Partner -SenderDomains '*' -SenderIPAddresses $relayAddresses",
            `-RequireTls $true -TlsSenderCertificateName ${q(relay.hostname, "platform.relay.hostname")} -EFSkipLastIP $true`,
          ].join(" "),
          "Get-InboundConnector -Identity $name | Format-List Name, ConnectorType, SenderIPAddresses, RequireTls, TlsSenderCertificateName, EFSkipLastIP",
        ],
      };
    case "x-headers":
      return groupRulesScript(ctx);
    default:
      return undefined;
  }
}

/*
 * Known shortcoming: the relay's public sending addresses are not in the platform model; the
 * inbound connector lists platform.spf.egress and asks the administrator to confirm them.
 * Known shortcoming: the relay renders its delivery to a customer as an IP next hop
 * (mailServer.address), which cannot name Exchange Online's MX host; direct delivery from the
 * relay to Exchange Online needs that platform change, so in practice inbound mail also goes
 * through the on-premises server.
 */
