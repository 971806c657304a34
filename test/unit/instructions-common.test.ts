import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Customer, MailSoftware, PlatformConfig, STAGES } from "../../components/config/model";
import { instructionsFor, preflight, psQuote, shQuote } from "../../components/onboarding/instructions";
import { Instructions as OnboardInstructions } from "../../scripts/onboard/types";
import { sampleCustomers, samplePlatform } from "../fixtures";

const SOFTWARE: MailSoftware[] = ["exchange-2016", "exchange-2019", "exchange-se", "exchange-online", "postfix"];
const noord = () => sampleCustomers()[0];
const as = (software: MailSoftware, version = "CU14", over: Partial<Customer> = {}): Customer =>
  ({ ...noord(), ...over, mailServer: { ...noord().mailServer, software, version } });
const withTls = (minimumVersion: "TLSv1.2" | "TLSv1.3"): PlatformConfig => ({ ...samplePlatform(), tls: { minimumVersion } });

/** Reads the PowerShell single-quoted literal at the start of `text`; returns it and what follows. */
function readPsLiteral(text: string): { value: string; rest: string } {
  const quote = /['\u2018\u2019\u201a\u201b]/;
  assert.ok(quote.test(text[0] ?? ""), `no literal at ${JSON.stringify(text.slice(0, 20))}`);
  let value = "";
  for (let i = 1; i < text.length; i++) {
    if (quote.test(text[i])) {
      if (quote.test(text[i + 1] ?? "")) {
        value += text[i];
        i++;
        continue;
      }
      return { value, rest: text.slice(i + 1) };
    }
    value += text[i];
  }
  throw new Error("unterminated literal");
}

describe("psQuote", () => {
  it("doubles every single quotation mark PowerShell closes a string on, and nothing else", () => {
    assert.equal(psQuote("default-Securemail", "g"), "'default-Securemail'");
    assert.equal(psQuote("O'Brien", "g"), "'O''Brien'");
    assert.equal(psQuote("Zorg\u2019s groep", "g"), "'Zorg\u2019\u2019s groep'");
    assert.equal(psQuote("$env:USERNAME `whoami` \"x\"", "g"), "'$env:USERNAME `whoami` \"x\"'");
  });

  it("round-trips hostile values as one literal with nothing after it", () => {
    for (const v of ["a'; Remove-Item C:\\ -Recurse; '", "\u2018\u2019\u201a\u201b", "''", "'", "x'+'y"]) {
      assert.deepEqual(readPsLiteral(psQuote(v, "g")), { value: v, rest: "" });
    }
  });

  it("refuses control characters, naming the field and the character", () => {
    assert.throws(() => psQuote("group\nRemove-Item x", "customer x: policy.secureGroup"), /^Error: customer x: policy\.secureGroup: got "group\\nRemove-Item x"; it holds the control character U\+000a/);
    assert.throws(() => psQuote("a\u2028b", "f"), /U\+2028/);
    assert.throws(() => psQuote("a\u0085b", "f"), /U\+0085/);
  });
});

describe("shQuote", () => {
  it("closes, escapes and reopens around a quote", () => {
    assert.equal(shQuote("/etc/post'fix", "dir"), `'/etc/post'\\''fix'`);
    assert.throws(() => shQuote("a\rb", "dir"), /U\+000d/);
  });
});

describe("preflight", () => {
  const tlsWarning = (p: PlatformConfig, c: Customer) => preflight(p, c).filter((w) => w.startsWith("TLS:"));

  it("warns that Exchange Server cannot speak TLS 1.3 for SMTP while the platform asks for it", () => {
    const cases: Array<[MailSoftware, string]> = [
      ["exchange-2016", "Exchange Server 2016 has no TLS 1.3 at all"],
      ["exchange-2019", "Exchange Server 2019 does not use TLS 1.3 for SMTP (CU15 added TLS 1.3 on Windows Server 2022 and later for HTTPS client traffic only)"],
      ["exchange-se", "Exchange Server SE, as of its current releases (built on Exchange 2019 CU15), does not use TLS 1.3 for SMTP; check the release notes of the installed update"],
    ];
    for (const [software, why] of cases) {
      assert.deepEqual(tlsWarning(withTls("TLSv1.3"), as(software)), [
        `TLS: ${why}, and platform.tls.minimumVersion is TLSv1.3: this server cannot connect to inside-relay.ezorg.nl:587 or secure-smtpnodes.ezorg.nl:587, nor receive mail from the relay, until the platform minimum is lowered to TLSv1.2 for this customer's connection (a reviewed exception to guide 5.5, which asks for TLS 1.3).`,
      ], software);
      assert.deepEqual(tlsWarning(withTls("TLSv1.2"), as(software)), [], `${software} with TLSv1.2`);
    }
  });

  it("names the end of support of Exchange 2016 and 2019, not of SE", () => {
    const support = (s: MailSoftware) => preflight(withTls("TLSv1.2"), as(s)).filter((w) => w.startsWith("Support:"));
    assert.deepEqual(support("exchange-2016"), ["Support: Exchange Server 2016 reached the end of its support on 14 October 2025 and gets no more security updates; plan the move to Exchange Server SE."]);
    assert.equal(support("exchange-2019").length, 1);
    assert.deepEqual(support("exchange-se"), []);
  });

  it("says plainly that Exchange Online cannot do port 587 with basic authentication", () => {
    const w = preflight(withTls("TLSv1.2"), as("exchange-online", "n/a"));
    assert.equal(w.length, 2);
    assert.equal(w[0], "Exchange Online: its outbound connectors have no port and no password setting (New-OutboundConnector takes SmartHosts, TlsSettings and TlsDomain only and delivers on port 25), so they cannot submit to secure-smtpnodes.ezorg.nl:587 with basic authentication: the secure-switch stage cannot be done as specified. Nor can Exchange Online reach the provider's private network (10.254.253.199, 10.254.253.86 and 10.254.253.87).");
    assert.match(w[1], /^Exchange Online: outbound mail has to leave through a server under your control on the provider's connection: an on-premises Exchange server \(hybrid\) or a Postfix smarthost/);
  });

  it("grades Postfix by version: 3.6 and later fine, 3.5 older syntax, older than 3.5 refused, unreadable named", () => {
    const pf = (version: string, tls: "TLSv1.2" | "TLSv1.3" = "TLSv1.2") => preflight(withTls(tls), as("postfix", version));
    assert.deepEqual(pf("3.7"), []);
    assert.deepEqual(pf("3.10.1"), []);
    assert.deepEqual(pf("3.5.24"), [`Postfix 3.5: no ">=TLSv1.x" protocol syntax (added in 3.6); the TLS policy uses the older exclusion form instead.`]);
    for (const old of ["3.4.14", "2.11"]) assert.match(pf(old)[0], /^Postfix \d+\.\d+: too old for these instructions\. Lists of next hops .* need 3\.5/);
    assert.deepEqual(pf("latest"), [`Postfix: version "latest" is not of the form 3.7 or 3.7.11; the scripts check mail_version themselves and stop on a release older than 3.5.`]);
    assert.deepEqual(pf("3.7", "TLSv1.3"), ["Postfix: TLS 1.3 needs Postfix linked with OpenSSL 1.1.1 or later (Debian 10, Ubuntu 18.10 and later ship one)."]);
  });
});

describe("instructionsFor", () => {
  it("gives steps for every stage on every mail platform, and the same warnings as the preflight", () => {
    for (const software of SOFTWARE) {
      const c = as(software, software === "postfix" ? "3.7" : "CU14");
      for (const stage of STAGES) {
        const i: OnboardInstructions = instructionsFor(samplePlatform(), c, stage);
        assert.equal(i.stage, stage);
        assert.ok(i.steps.length > 0, `${software} ${stage}: no steps`);
        for (const s of i.steps) assert.doesNotMatch(s, /\n/, `${software} ${stage}: a step is one line`);
        assert.deepEqual(i.warnings, preflight(samplePlatform(), c));
      }
    }
  });

  it("writes scripts only where a stage changes or checks something", () => {
    const scripted = (software: MailSoftware) => STAGES.filter((s) => instructionsFor(samplePlatform(), as(software, "3.7"), s).script);
    assert.deepEqual(scripted("exchange-2019"), ["network", "receive-connector", "test-send-connector", "route-test", "x-headers", "x-header-test", "secure-switch", "final-route-test", "cutover"]);
    assert.deepEqual(scripted("exchange-online"), ["receive-connector", "x-headers"]);
    assert.deepEqual(scripted("postfix"), ["receive-connector", "test-send-connector", "route-test", "secure-switch", "final-route-test", "cutover"]);
  });

  it("begins every PowerShell script with the preflight comment block and then $ErrorActionPreference = 'Stop'", () => {
    for (const software of SOFTWARE.filter((s) => s !== "postfix")) {
      for (const stage of STAGES) {
        const script = instructionsFor(samplePlatform(), as(software), stage).script;
        if (!script) continue;
        assert.equal(script.language, "powershell");
        const lines = script.content.split("\n");
        const first = lines.findIndex((l) => !l.startsWith("#"));
        assert.ok(lines.slice(0, first).includes("# Preflight"), `${software} ${stage}`);
        assert.equal(lines[first], "$ErrorActionPreference = 'Stop'", `${software} ${stage}`);
      }
    }
  });

  it("routes the test domain and both helpdesk domains, once each", () => {
    const c = as("exchange-2019", "CU14", { testDomain: "ezorg.nl" });
    assert.match(instructionsFor(samplePlatform(), c, "test-send-connector").script!.content, / -AddressSpaces 'SMTP:ezorg\.nl;1','SMTP:e-zorg\.nl;1' /);
  });

  it("refuses bad input before rendering anything, naming the field, the value and the fix", () => {
    const c = as("exchange-2019");
    assert.throws(() => instructionsFor(samplePlatform(), { ...c, policy: { ...c.policy, secureGroup: "a\u0000b" } }, "x-headers"), /^Error: customer zorggroep-noord: policy\.secureGroup: got "a\\u0000b"; it holds the control character U\+0000/);
    assert.throws(() => instructionsFor(samplePlatform(), { ...c, policy: { secureGroup: "Veilig", bypassGroup: "veilig" } }, "x-headers"), /^Error: customer zorggroep-noord: policy\.bypassGroup: got "veilig"; it must differ from policy\.secureGroup\. Fix: use two groups/);
    assert.throws(() => instructionsFor(samplePlatform(), { ...c, testDomain: "ezorg.nl'" }, "test-send-connector"), /^Error: customer zorggroep-noord: testDomain: got "ezorg\.nl'"; it must be a domain name/);
    const p = samplePlatform();
    p.relay = { ...p.relay, address: "inside-relay.ezorg.nl" };
    assert.throws(() => instructionsFor(p, c, "network"), /^Error: platform\.relay\.address: got "inside-relay\.ezorg\.nl"; it must be an IPv4 or IPv6 address\. Fix: give the address itself/);
    assert.throws(() => instructionsFor(samplePlatform(), { ...c, credential: { username: "a b", passwordHash: "x" } }, "secure-switch"), /credential\.username: got "a b"/);
  });

  it("puts the real values of Table 1 into the human steps", () => {
    const network = instructionsFor(samplePlatform(), as("exchange-2019"), "network").steps;
    assert.equal(network[0], "Route 10.254.253.199 (inside-relay.ezorg.nl) and 10.254.253.86 and 10.254.253.87 (secure-smtpnodes.ezorg.nl) through the provider's router.");
    assert.equal(network[1], "Firewall: allow 172.16.40.10 to 10.254.253.199 on TCP 587 (outbound mail in the test stages).");
    assert.equal(network[2], "Firewall: allow 10.254.253.199 to 172.16.40.10 on TCP 25 (inbound mail, always through the relay).");
    const route = instructionsFor(samplePlatform(), as("exchange-2019"), "route-test").steps;
    assert.equal(route[0], "Send a test message from an address in zorggroep-noord.example.nl to helpdesk@e-zorg.nl with CC helpdesk@ezorg.nl (two different domains: mind the hyphen).");
  });
});
