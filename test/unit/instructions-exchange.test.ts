/**
 * Exchange Server scripts. PowerShell cannot run here (Debian ships no pwsh), so these
 * tests pin the generated commands exactly and evaluate the transport rules' logic
 * against Table 2 with a small model of Exchange's rule processing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer, STAGES } from "../../components/config/model";
import { instructionsFor } from "../../components/onboarding/instructions";
import { routesSecurely, TABLE_2 } from "../../components/postfix/secure-header";
import { sampleCustomers, samplePlatform } from "../fixtures";

const noord = (over: Partial<Customer> = {}): Customer => ({ ...sampleCustomers()[0], ...over });
const script = (stage: (typeof STAGES)[number], c = noord()) => instructionsFor(samplePlatform(), c, stage).script!.content;
const lines = (text: string) => text.split("\n");

const QUOTE = /['\u2018\u2019\u201a\u201b]/;

/** The PowerShell single-quoted literal at the start of `text`, and what follows it. */
function readPsLiteral(text: string): { value: string; rest: string } {
  assert.ok(QUOTE.test(text[0] ?? ""), `no literal at ${JSON.stringify(text.slice(0, 20))}`);
  let value = "";
  for (let i = 1; i < text.length; i++) {
    if (QUOTE.test(text[i])) {
      if (QUOTE.test(text[i + 1] ?? "")) {
        value += text[i++];
        continue;
      }
      return { value, rest: text.slice(i + 1) };
    }
    value += text[i];
  }
  throw new Error("unterminated literal");
}

/** Splits a command line into words, single-quoted literals read whole. */
function words(line: string): string[] {
  const out: string[] = [];
  let rest = line.trim();
  while (rest) {
    if (QUOTE.test(rest[0])) {
      const lit = readPsLiteral(rest);
      out.push(`'${lit.value}`); // marked as a literal
      rest = lit.rest.trimStart();
    } else {
      const end = rest.search(/\s/);
      out.push(end < 0 ? rest : rest.slice(0, end));
      rest = end < 0 ? "" : rest.slice(end).trimStart();
    }
  }
  return out;
}

interface Rule {
  priority: number;
  fromMemberOf: string;
  exceptFromMemberOf?: string;
  exceptHeader?: { name: string; pattern: RegExp };
  set: { name: string; value: string };
}

/** The transport rules of an x-headers script, with variables resolved. */
function rulesOf(text: string): Rule[] {
  const vars = new Map<string, string | string[]>();
  for (const l of lines(text)) {
    const m = /^\$(\w+) = (.*)$/.exec(l);
    if (!m) continue;
    if (m[2].startsWith("@(")) vars.set(m[1], words(m[2].slice(2, -1).replace(/,/g, " ")).map((w) => w.slice(1)));
    else if (QUOTE.test(m[2][0])) vars.set(m[1], readPsLiteral(m[2]).value);
  }
  const value = (w: string): string => {
    if (w.startsWith("'")) return w.slice(1);
    const idx = /^\$(\w+)\[(\d)\]$/.exec(w);
    if (idx) return (vars.get(idx[1]) as string[])[Number(idx[2])];
    const v = vars.get(w.slice(1));
    assert.equal(typeof v, "string", `unresolved ${w}`);
    return v as string;
  };
  return lines(text).filter((l) => l.startsWith("New-TransportRule ")).map((l) => {
    const ws = words(l);
    const arg = (name: string) => {
      const i = ws.indexOf(`-${name}`);
      return i < 0 ? undefined : ws[i + 1];
    };
    const header = arg("ExceptIfHeaderMatchesMessageHeader");
    return {
      priority: Number(arg("Priority")),
      fromMemberOf: value(arg("FromMemberOf")!),
      exceptFromMemberOf: arg("ExceptIfFromMemberOf") && value(arg("ExceptIfFromMemberOf")!),
      exceptHeader: header ? { name: value(header), pattern: new RegExp(value(arg("ExceptIfHeaderMatchesPatterns")!)) } : undefined,
      set: { name: value(arg("SetHeaderName")!), value: value(arg("SetHeaderValue")!) },
    };
  });
}

/**
 * Exchange applies rules in priority order. Whether a rule's condition sees a header an
 * earlier rule set is not something the scripts may depend on, so both readings are run.
 */
function evaluate(rules: Rule[], groups: Set<string>, header: string | undefined, laterRulesSee: boolean): string | undefined {
  let current = header;
  for (const r of [...rules].sort((a, b) => a.priority - b.priority)) {
    const seen = laterRulesSee ? current : header;
    const excepted = (r.exceptFromMemberOf !== undefined && groups.has(r.exceptFromMemberOf))
      || (r.exceptHeader !== undefined && seen !== undefined && r.exceptHeader.pattern.test(seen));
    if (groups.has(r.fromMemberOf) && !excepted) current = r.set.value;
  }
  return current;
}

describe("Exchange Server instructions (sample customer zorggroep-noord, Exchange 2019 CU14)", () => {
  it("receive connector: bound to the customer's server, only the relay's address, TLS required; SPF skipped for the relay", () => {
    const l = lines(script("receive-connector"));
    assert.ok(l.includes("$name = 'E-Zorg from inside-relay.ezorg.nl'"));
    assert.ok(l.includes("New-ReceiveConnector -Name $name -Server $server -TransportRole FrontendTransport -Usage Custom -Bindings '172.16.40.10:25' -RemoteIPRanges '10.254.253.199' -PermissionGroups AnonymousUsers -AuthMechanism Tls -RequireTLS $true"));
    assert.ok(l.includes("Set-TransportConfig -InternalSMTPServers @{Add='10.254.253.199'}"));
    // The certificate check comes before anything is created.
    assert.ok(l.findIndex((x) => x.includes("Get-ExchangeCertificate")) < l.findIndex((x) => x.startsWith("New-ReceiveConnector")));
  });

  it("test send connector: test domain and helpdesk domains, relay as smart host on 587, DNS routing off in the same command, relay's certificate name validated", () => {
    const l = lines(script("test-send-connector"));
    assert.ok(l.includes("$name = 'E-Zorg outbound'"));
    assert.ok(l.includes("New-SendConnector -Name $name -AddressSpaces 'SMTP:ezorg.nl;1','SMTP:e-zorg.nl;1' -SourceTransportServers $server -DNSRoutingEnabled $false -SmartHosts '10.254.253.199' -Port 587 -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain 'inside-relay.ezorg.nl'"));
    assert.equal(l.filter((x) => /^(New|Set)-/.test(x)).length, 1);
  });

  it("secure switch: both nodes on 587, basic authentication only inside TLS, the credential asked for with Get-Credential", () => {
    const l = lines(script("secure-switch"));
    assert.ok(l.includes("$credential = Get-Credential -UserName 'zorggroep-noord' -Message 'Secure mail server secure-smtpnodes.ezorg.nl: the user name and password handed out at onboarding'"));
    assert.ok(l.includes("if (-not $credential) { throw 'No credential entered: nothing was changed.' }"));
    assert.ok(l.includes("Set-SendConnector -Identity $name -DNSRoutingEnabled $false -SmartHosts '10.254.253.86','10.254.253.87' -Port 587 -RequireTLS $true -TlsAuthLevel DomainValidation -TlsDomain 'secure-smtpnodes.ezorg.nl' -SmartHostAuthMechanism BasicAuthRequireTLS -AuthenticationCredential $credential"));
    const noUser = lines(script("secure-switch", noord({ credential: undefined })));
    assert.ok(noUser.includes("$credential = Get-Credential -Message 'Secure mail server secure-smtpnodes.ezorg.nl: the user name and password handed out at onboarding'"));
  });

  it("never writes a credential into any script: no hash, no plain-text secure string, no constructed PSCredential", () => {
    const hash = "{SHA512-CRYPT}$6$saltsalt$distinctive-hash-value";
    const c = noord({ credential: { username: "zorggroep-noord", passwordHash: hash } });
    for (const software of ["exchange-2016", "exchange-2019", "exchange-se", "exchange-online"] as const) {
      for (const stage of STAGES) {
        const text = instructionsFor(samplePlatform(), { ...c, mailServer: { ...c.mailServer, software } }, stage).script?.content ?? "";
        assert.ok(!text.includes(hash) && !text.includes("distinctive-hash-value"), `${software} ${stage}`);
        assert.doesNotMatch(text, /ConvertTo-SecureString|AsPlainText|PSCredential|-Password/i, `${software} ${stage}`);
      }
    }
  });

  it("x-headers: one rule per group, setting the header only when it has no value yet", () => {
    const l = lines(script("x-headers"));
    for (const expected of [
      "$secureGroup = 'default-Securemail'",
      "$bypassGroup = 'default-Securemail-Bypass'",
      "$header = 'x-ezorg-secbypass'",
      "$rules = @('E-Zorg x-ezorg-secbypass false (secure group)', 'E-Zorg x-ezorg-secbypass true (bypass group)')",
      "New-TransportRule -Name $rules[0] -Priority 0 -FromMemberOf $secureGroup -SetHeaderName $header -SetHeaderValue 'false' -ExceptIfHeaderMatchesMessageHeader $header -ExceptIfHeaderMatchesPatterns '\\S'",
      "New-TransportRule -Name $rules[1] -Priority 1 -FromMemberOf $bypassGroup -ExceptIfFromMemberOf $secureGroup -SetHeaderName $header -SetHeaderValue 'true' -ExceptIfHeaderMatchesMessageHeader $header -ExceptIfHeaderMatchesPatterns '\\S'",
      "    $null = New-DistributionGroup -Name $group -Type Security",
    ]) assert.ok(l.includes(expected), expected);
  });

  for (const laterRulesSee of [true, false]) {
    it(`x-headers: the rules give Table 2's header for every row, a user in both groups secure (${laterRulesSee ? "later rules see added headers" : "rules see only the original header"})`, () => {
      const c = noord();
      const rules = rulesOf(script("x-headers"));
      assert.equal(rules.length, 2);
      for (const row of TABLE_2) {
        const groups = new Set([...(row.sources.secureGroup ? [c.policy.secureGroup] : []), ...(row.sources.bypassGroup ? [c.policy.bypassGroup] : [])]);
        const got = evaluate(rules, groups, row.sources.outlookUnsafe ? "true" : undefined, laterRulesSee);
        assert.equal(got, row.header, row.row);
        assert.equal(routesSecurely(got), row.secure, row.row);
      }
    });
  }

  it("quotes a hostile group name into one literal, the same value the rules then match on", () => {
    const hostile = "Veilig'; Remove-Item C:\\ -Recurse; '\u2019";
    const c = noord({ policy: { secureGroup: hostile, bypassGroup: "default-Securemail-Bypass" } });
    const text = script("x-headers", c);
    const assignment = lines(text).find((x) => x.startsWith("$secureGroup = "))!;
    assert.equal(assignment, "$secureGroup = 'Veilig''; Remove-Item C:\\ -Recurse; ''\u2019\u2019'");
    assert.deepEqual(readPsLiteral(assignment.slice("$secureGroup = ".length)), { value: hostile, rest: "" });
    assert.equal(rulesOf(text)[0].fromMemberOf, hostile);
    assert.ok(!lines(text).some((x) => x.startsWith("Remove-Item")));
  });

  it("cutover: checks for a connector that would tie on * before changing anything, then sets * at cost 1", () => {
    const l = lines(script("cutover"));
    const at = (s: string) => l.findIndex((x) => x.includes(s));
    assert.ok(l.includes("$ties = @($others | Where-Object { (Get-WildcardCost $_) -eq $cost })"));
    assert.ok(l.includes("$others = @(Get-SendConnector | Where-Object { $_.Name -ne $name -and $_.Enabled })"));
    assert.ok(l.includes("$cost = 1"));
    assert.ok(l.includes("  Write-Warning \"Send connector $($tie.Name) also routes * at cost $($cost): it would tie with $($name), and Exchange would send part of the outbound mail past the secure nodes.\""));
    assert.ok(l.includes("  throw 'Stopped before the cutover, nothing changed: disable the connector named above (Set-SendConnector -Identity <name> -Enabled $false) or raise its cost above 1, then run this script again.'"));
    assert.ok(l.includes("Set-SendConnector -Identity $name -AddressSpaces 'SMTP:*;1'"));
    assert.ok(at("if ($ties.Count -gt 0)") < at("Set-SendConnector -Identity $name -AddressSpaces"));
    assert.ok(at("-ne 'BasicAuthRequireTLS'") < at("$ties = "), "the secure switch must be in place first");
  });

  it("cutover: the wildcard pattern in the script reads * address spaces and their cost, and nothing else", () => {
    const line = lines(script("cutover")).find((x) => x.includes("-match"))!;
    const pattern = readPsLiteral(line.slice(line.indexOf("-match ") + "-match ".length)).value;
    const re = new RegExp(pattern, "i"); // PowerShell's -match is case-insensitive
    const cost = (s: string) => re.exec(s)?.[2];
    assert.equal(cost("SMTP:*;1"), "1");
    assert.equal(cost("smtp:*;10"), "10");
    assert.equal(cost("*;3"), "3");
    for (const other of ["SMTP:contoso.com;1", "SMTP:*.contoso.com;1", "X400:*;1", "SMTP:*;"]) assert.equal(cost(other), undefined, other);
  });

  it("route tests: read-only message tracking for both helpdesk addresses", () => {
    for (const stage of ["route-test", "x-header-test", "final-route-test"] as const) {
      const l = lines(script(stage));
      assert.ok(l.includes("Get-MessageTrackingLog -Server $server -Start (Get-Date).AddHours(-2) -EventId SEND -Recipients 'helpdesk@e-zorg.nl','helpdesk@ezorg.nl' |"));
      assert.ok(!l.some((x) => /^(New|Set|Remove)-/.test(x.trim())), `${stage} changes nothing`);
    }
  });

  it("x-header test steps list Table 2 with the customer's groups", () => {
    const steps = instructionsFor(samplePlatform(), noord(), "x-header-test").steps;
    assert.equal(steps.length, 1 + TABLE_2.length);
    assert.equal(steps[3], "As a member of default-Securemail-Bypass: expect x-ezorg-secbypass: true, sent unsecured.");
    assert.equal(steps[7], "As a member of both default-Securemail and default-Securemail-Bypass: expect x-ezorg-secbypass: false, sent securely.");
    assert.equal(steps[6], "As a member of default-Securemail, using the Outlook add-in's \"send unsafe\" button: expect x-ezorg-secbypass: true, sent unsecured.");
  });

  it("emits each preflight warning at run time too", () => {
    const i = instructionsFor(samplePlatform(), noord(), "test-send-connector");
    assert.equal(i.warnings.length, 2);
    for (const w of i.warnings) assert.ok(lines(i.script!.content).includes(`Write-Warning '${w.replace(/'/g, "''")}'`));
  });
});
