/**
 * Exchange Server 2016, 2019 and SE: the onboarding stages as Exchange Management Shell
 * scripts. Cmdlets and parameters follow Microsoft's reference for New-ReceiveConnector,
 * New-SendConnector, Set-SendConnector, Set-TransportConfig, New-TransportRule and
 * Get-MessageTrackingLog. PowerShell is not run here: tests assert the text exactly.
 */
import { Context, groupHeaderTest, Instructions, list, sharedSteps } from "./common";
import { exchangeNames, groupRulesScript, PsScript, psScript } from "./powershell";
import { psQuote } from "./quote";

/** The cost the outbound connector's `*` address space gets at cutover: the lowest there is. */
export const CUTOVER_COST = 1;

export function exchangeInstructions(ctx: Context): Instructions {
  const steps = [...(exchangeSteps(ctx) ?? sharedSteps(ctx) ?? [])];
  const script = exchangeScript(ctx);
  return {
    stage: ctx.stage,
    steps,
    ...(script ? { script: { language: "powershell" as const, content: psScript(ctx, script) } } : {}),
    warnings: ctx.warnings,
  };
}

function exchangeSteps(ctx: Context): string[] | undefined {
  const { customer: c, relay, nodes, header } = ctx;
  const n = exchangeNames(ctx);
  const tested = list(ctx.testDomains);
  switch (ctx.stage) {
    case "network":
      return [...sharedSteps(ctx)!, "Run the script on the Exchange server: it tests the TCP connections to the relay and the secure nodes."];
    case "receive-connector":
      return [
        "Bind a valid certificate to the SMTP service (Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP); the script stops without one (guide 5.5).",
        `Run the script: it creates receive connector "${n.receive}" on ${c.mailServer.address}:${c.mailServer.port} that accepts only ${relay.address} and requires TLS, and exempts ${relay.address} from Sender ID (SPF) checks.`,
        `If another filter in front of Exchange checks SPF on inbound mail, exempt ${relay.address} there as well (guide 5.5).`,
      ];
    case "test-send-connector":
      return [
        `The relay's certificate must chain to a CA in the server's Trusted Root Certification Authorities store: the connector checks that it is valid and names ${relay.hostname}.`,
        `Run the script: it creates send connector "${n.send}" for ${tested} (the test domain and the domains of both helpdesk addresses, so both route-test copies take the relay) through ${relay.address}:${relay.port}, TLS required (guide 5.5.2). Mail to every other domain keeps its current route.`,
      ];
    case "route-test":
    case "final-route-test":
      return [...sharedSteps(ctx)!, `The script lists the helpdesk messages this server sent in the last two hours; each must show connector "${n.send}".`];
    case "x-headers":
      return [
        `Run the script: it creates the universal security groups "${c.policy.secureGroup}" and "${c.policy.bypassGroup}" where they do not exist, and two transport rules: ${header}: false for the first group, ${header}: true for the second.`,
        `Neither rule touches a message that already carries ${header} (the Outlook add-in may have set it), and a user in both groups mails securely (NTA 7516 6.1.16).`,
        `Add the members: "${c.policy.secureGroup}" for those who mail securely by default, "${c.policy.bypassGroup}" for those who may send unsecured by default. Group changes can take a while to apply (guide 5.5.5.1).`,
      ];
    case "x-header-test":
      return groupHeaderTest(ctx);
    case "secure-switch":
      return [
        `The provider hands out the user name${c.credential ? ` (${c.credential.username})` : ""} and the password for ${nodes.hostname}; keep the password out of mail, tickets and files.`,
        `Run the script and type the password when asked: Exchange stores it with the connector; it never appears in the script. The connector then delivers to ${list(nodes.addresses)} on port ${nodes.port} with basic authentication inside TLS (guide 5.5.7).`,
        `The connector keeps its address spaces: still only mail for ${tested} goes to the secure nodes.`,
      ];
    case "cutover":
      return [
        `Run the script: it stops if another enabled send connector covers * at cost ${CUTOVER_COST} (Exchange would then split outbound mail between the two), and otherwise sets the address space of "${n.send}" to * (guide 5.5.9).`,
        `If it stops: disable the other connector (Set-SendConnector -Identity <name> -Enabled $false) or raise its cost above ${CUTOVER_COST}, then run it again. Keep that connector disabled rather than removed, for a rollback.`,
        "Connectors for specific domains keep carrying mail for those domains past the secure nodes; the script names them.",
      ];
    default:
      return undefined;
  }
}

function exchangeScript(ctx: Context): PsScript | undefined {
  const { customer: c, relay, nodes, helpdesk } = ctx;
  const n = exchangeNames(ctx);
  const q = psQuote;
  const tracking = (): PsScript => ({
    changes: ["nothing: it lists the helpdesk messages sent in the last two hours and the connector that carried them."],
    body: [
      `Write-Host ('Expected connector: ' + ${q(n.send, "send connector name")})`,
      `Get-MessageTrackingLog -Server $server -Start (Get-Date).AddHours(-2) -EventId SEND -Recipients ${q(helpdesk.to, "platform.helpdesk.to")},${q(helpdesk.cc, "platform.helpdesk.cc")} |`,
      "  Sort-Object Timestamp |",
      "  Format-Table Timestamp, Sender, Recipients, ConnectorId, MessageSubject -AutoSize",
    ],
  });
  const sendConnector = [
    `$name = ${q(n.send, "send connector name")}`,
    "if (@(Get-SendConnector | Where-Object { $_.Name -eq $name }).Count -ne 1) {",
    "  throw \"Send connector $($name) not found: run the test-send-connector stage first.\"",
    "}",
  ];
  const show = "Get-SendConnector -Identity $name | Format-List Name, AddressSpaces, SmartHosts, Port, RequireTLS, TlsAuthLevel, TlsDomain, SmartHostAuthMechanism";

  switch (ctx.stage) {
    case "network": {
      const targets: Array<[string, string, number]> = [
        [relay.hostname, relay.address, relay.port],
        ...nodes.addresses.map((a): [string, string, number] => [nodes.hostname, a, nodes.port]),
      ];
      return {
        changes: ["nothing: it tests the TCP connections to the relay and the secure nodes."],
        body: [
          "$targets = @(",
          ...targets.map(([h, a, p], i) => `  @{ Name = ${q(h, "host name")}; Address = ${q(a, "address")}; Port = ${p} }${i < targets.length - 1 ? "," : ""}`),
          ")",
          "$failed = 0",
          "foreach ($t in $targets) {",
          "  $open = Test-NetConnection -ComputerName $t.Address -Port $t.Port -InformationLevel Quiet -WarningAction SilentlyContinue",
          "  if ($open) { Write-Host \"[ok]   $($t.Name) $($t.Address):$($t.Port)\" }",
          "  else { Write-Host \"[fail] $($t.Name) $($t.Address):$($t.Port) unreachable: check the route and the firewall\"; $failed++ }",
          "}",
          "Write-Host \"$($targets.Count - $failed) of $($targets.Count) reachable\"",
          "if ($failed -gt 0) { exit 1 }",
        ],
      };
    }
    case "receive-connector":
      return {
        changes: [
          `creates receive connector "${n.receive}" on ${c.mailServer.address}:${c.mailServer.port} for ${relay.address} only, TLS required;`,
          `adds ${relay.address} to InternalSMTPServers, so Sender ID (SPF) skips mail from the relay.`,
        ],
        body: [
          `$name = ${q(n.receive, "receive connector name")}`,
          "if (-not (Get-ExchangeCertificate -Server $server | Where-Object { \"$($_.Services)\" -match 'SMTP' })) {",
          "  throw 'No certificate on this server is bound to SMTP: run Enable-ExchangeCertificate -Thumbprint <thumbprint> -Services SMTP, then this script again.'",
          "}",
          "if (@(Get-ReceiveConnector -Server $server | Where-Object { $_.Name -eq $name }).Count -gt 0) {",
          "  throw \"Receive connector $($name) exists already: compare it with this script, remove it or rename it, then run this script again.\"",
          "}",
          "",
          "# Only the relay may use it, only with TLS; AnonymousUsers because the relay does not log in.",
          [
            "New-ReceiveConnector -Name $name -Server $server -TransportRole FrontendTransport -Usage Custom",
            `-Bindings ${q(`${c.mailServer.address}:${c.mailServer.port}`, "mailServer")} -RemoteIPRanges ${q(relay.address, "platform.relay.address")}`,
            "-PermissionGroups AnonymousUsers -AuthMechanism Tls -RequireTLS $true",
          ].join(" "),
          "",
          "# Guide 5.5: no SPF checks on mail from the provider's network.",
          `Set-TransportConfig -InternalSMTPServers @{Add=${q(relay.address, "platform.relay.address")}}`,
          "Get-ReceiveConnector -Server $server | Where-Object { $_.Name -eq $name } | Format-List Name, Bindings, RemoteIPRanges, RequireTLS, AuthMechanism, PermissionGroups",
        ],
      };
    case "test-send-connector":
      return {
        changes: [`creates send connector "${n.send}" for ${list(ctx.testDomains)} through ${relay.address}:${relay.port}, TLS required, certificate name ${relay.hostname} validated.`],
        body: [
          `$name = ${q(n.send, "send connector name")}`,
          "if (@(Get-SendConnector | Where-Object { $_.Name -eq $name }).Count -gt 0) {",
          "  throw \"Send connector $($name) exists already: compare it with this script, remove it or rename it, then run this script again.\"",
          "}",
          "",
          "# A smart host needs DNS routing off in the same command. The relay is addressed by IP (no",
          "# DNS needed on the private network) and its certificate must carry the relay's name.",
          [
            "New-SendConnector -Name $name",
            `-AddressSpaces ${ctx.testDomains.map((d) => q(`SMTP:${d};1`, "testDomain")).join(",")}`,
            "-SourceTransportServers $server",
            `-DNSRoutingEnabled $false -SmartHosts ${q(relay.address, "platform.relay.address")} -Port ${relay.port}`,
            `-RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain ${q(relay.hostname, "platform.relay.hostname")}`,
          ].join(" "),
          show,
        ],
      };
    case "route-test":
    case "x-header-test":
    case "final-route-test":
      return tracking();
    case "x-headers":
      return groupRulesScript(ctx);
    case "secure-switch": {
      const user = c.credential ? `-UserName ${q(c.credential.username, `customer ${c.slug}: credential.username`)} ` : "";
      return {
        changes: [
          `points send connector "${n.send}" at ${list(nodes.addresses)}, port ${nodes.port} (${nodes.hostname}), basic authentication inside TLS;`,
          "asks for the password interactively: it is stored by Exchange with the connector, never in this file.",
        ],
        body: [
          ...sendConnector,
          "",
          "# The password is typed here and kept by Exchange; it is never written into this script.",
          `$credential = Get-Credential ${user}-Message ${q(`Secure mail server ${nodes.hostname}: the user name and password handed out at onboarding`, "message")}`,
          "if (-not $credential) { throw 'No credential entered: nothing was changed.' }",
          "",
          "# Both nodes by IP; the certificate must carry the nodes' shared name. BasicAuthRequireTLS",
          "# never sends the password before STARTTLS.",
          [
            "Set-SendConnector -Identity $name",
            `-DNSRoutingEnabled $false -SmartHosts ${nodes.addresses.map((a) => q(a, "platform.secureNodes address")).join(",")} -Port ${nodes.port}`,
            `-RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain ${q(nodes.hostname, "platform.secureNodes.hostname")}`,
            "-SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $credential",
          ].join(" "),
          show,
        ],
      };
    }
    case "cutover":
      return {
        changes: [
          `stops if another enabled send connector routes * at cost ${CUTOVER_COST} (it would tie with this one);`,
          `otherwise sets the address space of "${n.send}" to * at cost ${CUTOVER_COST}: all outbound mail goes through the secure nodes.`,
        ],
        body: [
          ...sendConnector,
          "if (\"$((Get-SendConnector -Identity $name).SmartHostAuthMechanism)\" -ne 'BasicAuthRequireTLS') {",
          "  throw \"Send connector $($name) does not log in to the secure nodes yet: run the secure-switch stage first.\"",
          "}",
          "",
          "# The cost of a connector's * address space, read from the documented <type>:<address>;<cost>",
          "# form: a remote shell hands AddressSpaces back as strings.",
          "function Get-WildcardCost($sendConnector) {",
          "  foreach ($space in @($sendConnector.AddressSpaces)) {",
          "    if (\"$space\" -match '^(smtp:)?\\*;(\\d+)$') { return [int]$Matches[2] }",
          "  }",
          "  return $null",
          "}",
          "",
          `$cost = ${CUTOVER_COST}`,
          "$others = @(Get-SendConnector | Where-Object { $_.Name -ne $name -and $_.Enabled })",
          "$ties = @($others | Where-Object { (Get-WildcardCost $_) -eq $cost })",
          "foreach ($tie in $ties) {",
          "  Write-Warning \"Send connector $($tie.Name) also routes * at cost $($cost): it would tie with $($name), and Exchange would send part of the outbound mail past the secure nodes.\"",
          "}",
          "if ($ties.Count -gt 0) {",
          `  throw 'Stopped before the cutover, nothing changed: disable the connector named above (Set-SendConnector -Identity <name> -Enabled $false) or raise its cost above ${CUTOVER_COST}, then run this script again.'`,
          "}",
          "foreach ($other in $others) {",
          "  $wild = Get-WildcardCost $other",
          "  if ($null -ne $wild) {",
          "    Write-Warning \"Send connector $($other.Name) routes * at cost $($wild): unused while $($name) is enabled; disable it once the cutover is confirmed.\"",
          "  } else {",
          "    Write-Warning \"Send connector $($other.Name) routes $(@($other.AddressSpaces) -join ', '): mail to those domains does not go through the secure nodes.\"",
          "  }",
          "}",
          "",
          `Set-SendConnector -Identity $name -AddressSpaces ${q(`SMTP:*;${CUTOVER_COST}`, "address space")}`,
          show,
        ],
      };
    default:
      return undefined;
  }
}

/*
 * Known shortcoming: the scripts stop when a connector or rule of the same name exists rather
 * than reconcile it, so a second run after a partial failure needs the leftover removed by hand.
 * Known shortcoming: New-DistributionGroup derives the group's alias from its name; a name with
 * characters an alias cannot hold needs the group created by hand (with -Alias) before the script.
 * Known shortcoming: PowerShell is not run by the tests (Debian has no pwsh); the scripts are
 * pinned by text and the transport rules by a model of Exchange's rule processing.
 */
