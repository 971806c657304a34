/**
 * What every mail platform's instructions share: the checked input values, the stage
 * numbering, the preflight (known incompatibilities per software and version) and the
 * human steps of chapter 5 of the provider's guide that do not depend on the software.
 */
import { isIP } from "node:net";
import { Customer, MailSoftware, PlatformConfig, Stage, STAGES } from "../../config/model";
import { TABLE_2, Table2Row } from "../../postfix/secure-header";
import { checkPrintable, commentText } from "./quote";

/**
 * Instructions for the customer's administrator for one stage. Structurally the same as
 * `Instructions` in scripts/onboard/types.ts; declared here because components never
 * import from scripts.
 */
export interface Instructions {
  stage: Stage;
  /** Human steps, in order, one line each. */
  steps: string[];
  /** A script to run (PowerShell for Exchange, a sh script for Postfix), if the stage has one. */
  script?: { language: "powershell" | "postfix" | "text"; content: string };
  /** Known incompatibilities for this platform and version, found by the preflight. */
  warnings: string[];
}

export interface InstructionOptions {
  /** Folder of the customer's Postfix main.cf the generated sh scripts edit. Default `/etc/postfix`. */
  postfixDirectory?: string;
}

/** The values the instructions print, each checked once. */
export interface Context {
  platform: PlatformConfig;
  customer: Customer;
  stage: Stage;
  /** 1-based position of the stage, for "stage 4/13". */
  number: number;
  relay: { hostname: string; address: string; port: number };
  nodes: { hostname: string; addresses: string[]; port: number };
  header: string;
  helpdesk: { to: string; cc: string };
  /**
   * Domains the test send connector routes to the provider: the test domain and the
   * domains of both helpdesk addresses. The route tests mail `helpdesk@e-zorg.nl` with CC
   * `helpdesk@ezorg.nl`; routing only the test domain would send one of the two copies over
   * the internet and the test would prove nothing about the route.
   */
  testDomains: string[];
  /** `Exchange Server 2019 CU14`, `Postfix 3.7`: software and version as the customer gave them. */
  software: string;
  warnings: string[];
}

export const SOFTWARE_NAMES: Record<MailSoftware, string> = {
  "exchange-2016": "Exchange Server 2016",
  "exchange-2019": "Exchange Server 2019",
  "exchange-se": "Exchange Server SE",
  "exchange-online": "Exchange Online",
  postfix: "Postfix",
};

const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const MAILBOX = /^[A-Za-z0-9._%+-]+@(.+)$/;

function fail(field: string, value: unknown, rule: string, fix: string): never {
  throw new Error(`${field}: got ${JSON.stringify(value)}; ${rule}. Fix: ${fix}`);
}

function domain(value: string, field: string): string {
  if (!DOMAIN.test(value)) fail(field, value, "it must be a domain name such as ezorg.nl, without a trailing dot", "correct the value in the descriptor or stack file");
  return value.toLowerCase();
}

function address(value: string, field: string): string {
  if (isIP(value) === 0) fail(field, value, "it must be an IPv4 or IPv6 address", "give the address itself, not a host name");
  return value;
}

function port(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(field, value, "it must be a TCP port from 1 to 65535", "give the port number");
  return value;
}

function mailbox(value: string, field: string): string {
  const m = MAILBOX.exec(value);
  if (!m) fail(field, value, "it must be a mail address such as helpdesk@e-zorg.nl", "give the plain address");
  domain(m[1], field);
  return value;
}

/** Checks every value the instructions use, before anything is rendered. */
export function context(platform: PlatformConfig, customer: Customer, stage: Stage): Context {
  const number = STAGES.indexOf(stage) + 1;
  if (number === 0) fail("stage", stage, `it must be one of ${STAGES.join(", ")}`, "use a stage from the list");
  const software = SOFTWARE_NAMES[customer.mailServer.software];
  if (!software) {
    const known = Object.keys(SOFTWARE_NAMES).join(", ");
    fail(`customer ${customer.slug}: mailServer.software`, customer.mailServer.software, `it must be one of ${known}`, "use one of the listed values");
  }
  const test = checkCustomer(customer);

  const relay = {
    hostname: domain(platform.relay.hostname, "platform.relay.hostname"),
    address: address(platform.relay.address, "platform.relay.address"),
    port: port(platform.relay.port, "platform.relay.port"),
  };
  const nodes = {
    hostname: domain(platform.secureNodes.hostname, "platform.secureNodes.hostname"),
    addresses: platform.secureNodes.nodes.map((n, i) => address(n.address, `platform.secureNodes.nodes[${i}].address`)),
    port: port(platform.secureNodes.port, "platform.secureNodes.port"),
  };
  if (nodes.addresses.length === 0) fail("platform.secureNodes.nodes", [], "it must list at least one node", "add the nodes of Table 1");
  const header = platform.secureHeader.name;
  if (!/^[A-Za-z0-9-]+$/.test(header)) fail("platform.secureHeader.name", header, "a header name holds letters, digits and hyphens only", "use x-ezorg-secbypass");
  const helpdesk = {
    to: mailbox(platform.helpdesk.to, "platform.helpdesk.to").toLowerCase(),
    cc: mailbox(platform.helpdesk.cc, "platform.helpdesk.cc").toLowerCase(),
  };
  const domainOf = (a: string) => a.slice(a.indexOf("@") + 1);
  const testDomains = [...new Set([test, domainOf(helpdesk.to), domainOf(helpdesk.cc)])];
  checkPrintable(platform.provider.name, "platform.provider.name");
  if (platform.tls.minimumVersion !== "TLSv1.2" && platform.tls.minimumVersion !== "TLSv1.3") {
    fail("platform.tls.minimumVersion", platform.tls.minimumVersion, "it must be TLSv1.2 or TLSv1.3", "use TLSv1.3 (guide 5.5), or TLSv1.2 as a reviewed exception");
  }

  const label = `${software} ${customer.mailServer.version}`;
  const ctx = {
    platform, customer, stage, number, relay, nodes, header, helpdesk, testDomains, software: label, warnings: [],
  };
  return { ...ctx, warnings: preflightWarnings(ctx) };
}

/** Checks the descriptor's values the instructions print; returns the test domain, lower case. */
function checkCustomer(c: Customer): string {
  const who = `customer ${c.slug}`;
  // Printed in script comments and one-line steps: a line break would end the comment.
  const printed: Array<[string, string]> = [
    ["slug", c.slug], ["organisation", c.organisation], ["mailServer.version", c.mailServer.version],
    ["policy.secureGroup", c.policy.secureGroup], ["policy.bypassGroup", c.policy.bypassGroup],
    ...(["implementer", "administrator"] as const).flatMap((k): Array<[string, string]> => [
      [`contacts.${k}.name`, c.contacts[k].name], [`contacts.${k}.email`, c.contacts[k].email], [`contacts.${k}.phone`, c.contacts[k].phone],
    ]),
  ];
  for (const [field, value] of printed) commentText(value, `${who}: ${field}`);
  for (const field of ["secureGroup", "bypassGroup"] as const) {
    const value = c.policy[field];
    if (!value.trim()) fail(`${who}: policy.${field}`, value, "it must name an AD universal security group", "give the group's name");
  }
  if (c.policy.secureGroup.trim().toLowerCase() === c.policy.bypassGroup.trim().toLowerCase()) {
    fail(`${who}: policy.bypassGroup`, c.policy.bypassGroup, "it must differ from policy.secureGroup", "use two groups: one mails securely by default, the other may bypass");
  }
  if (c.credential && !/^[A-Za-z0-9._@-]+$/.test(c.credential.username)) {
    fail(`${who}: credential.username`, c.credential.username, "it may only hold letters, digits and . _ @ -", "use the user name handed out at onboarding");
  }
  address(c.mailServer.address, `${who}: mailServer.address`);
  port(c.mailServer.port, `${who}: mailServer.port`);
  c.domains.forEach((d, i) => domain(d, `${who}: domains[${i}]`));
  return domain(c.testDomain, `${who}: testDomain`);
}

/** `10.254.253.86 and 10.254.253.87`. */
export function list(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Parses `3.7`, `3.7.11`, `v3.10.1` into [major, minor]; anything else is undefined. */
export function postfixVersion(version: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(\.\d+)*$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Known incompatibilities for the customer's software and version against this platform.
 * Sources: Microsoft's Exchange TLS guidance and the Exchange 2019 CU15 release (TLS 1.3
 * for HTTPS client traffic only, not SMTP); the New-OutboundConnector parameter set; the
 * Postfix postconf(5) and transport(5) manuals (next-hop lists 3.5, `>=TLSv1.x` 3.6).
 */
function preflightWarnings(ctx: Omit<Context, "warnings">): string[] {
  const { platform, customer, relay, nodes } = ctx;
  const out: string[] = [];
  const sw = customer.mailServer.software;
  const tls13 = platform.tls.minimumVersion === "TLSv1.3";
  const endpoints = `${relay.hostname}:${relay.port} or ${nodes.hostname}:${nodes.port}`;
  const lower = "until the platform minimum is lowered to TLSv1.2 for this customer's connection (a reviewed exception to guide 5.5, which asks for TLS 1.3)";

  if (tls13 && (sw === "exchange-2016" || sw === "exchange-2019" || sw === "exchange-se")) {
    const why = {
      "exchange-2016": "Exchange Server 2016 has no TLS 1.3 at all",
      "exchange-2019": "Exchange Server 2019 does not use TLS 1.3 for SMTP (CU15 added TLS 1.3 on Windows Server 2022 and later for HTTPS client traffic only)",
      "exchange-se": "Exchange Server SE, as of its current releases (built on Exchange 2019 CU15), does not use TLS 1.3 for SMTP; check the release notes of the installed update",
    }[sw];
    out.push(`TLS: ${why}, and platform.tls.minimumVersion is TLSv1.3: this server cannot connect to ${endpoints}, nor receive mail from the relay, ${lower}.`);
  }
  if (sw === "exchange-2016" || sw === "exchange-2019") {
    out.push(`Support: ${SOFTWARE_NAMES[sw]} reached the end of its support on 14 October 2025 and gets no more security updates; plan the move to Exchange Server SE.`);
  }
  if (sw === "exchange-online") {
    out.push(`Exchange Online: its outbound connectors have no port and no password setting (New-OutboundConnector takes SmartHosts, TlsSettings and TlsDomain only and delivers on port 25), so they cannot submit to ${nodes.hostname}:${nodes.port} with basic authentication: the secure-switch stage cannot be done as specified. Nor can Exchange Online reach the provider's private network (${relay.address}, ${list(nodes.addresses)}).`);
    out.push("Exchange Online: outbound mail has to leave through a server under your control on the provider's connection: an on-premises Exchange server (hybrid) or a Postfix smarthost, which does the authenticated step on port 587. Onboard that server (its software in mailServer) and route Exchange Online's outbound mail to it.");
  }
  if (sw === "postfix") {
    const v = postfixVersion(customer.mailServer.version);
    if (!v) {
      out.push(`Postfix: version ${JSON.stringify(customer.mailServer.version)} is not of the form 3.7 or 3.7.11; the scripts check mail_version themselves and stop on a release older than 3.5.`);
    } else if (v[0] < 3 || (v[0] === 3 && v[1] < 5)) {
      out.push(`Postfix ${v.join(".")}: too old for these instructions. Lists of next hops (two secure nodes in one route) need 3.5, the ">=TLSv1.x" protocol syntax 3.6, and TLS 1.3 control 3.4 with OpenSSL 1.1.1; upgrade to Postfix 3.6 or later first (the scripts stop on older releases).`);
    } else if (v[0] === 3 && v[1] === 5) {
      out.push(`Postfix 3.5: no ">=TLSv1.x" protocol syntax (added in 3.6); the TLS policy uses the older exclusion form instead.`);
    }
    if (tls13) out.push("Postfix: TLS 1.3 needs Postfix linked with OpenSSL 1.1.1 or later (Debian 10, Ubuntu 18.10 and later ship one).");
  }
  return out;
}

/*
 * Known shortcoming: the helpdesk's phone number (guide 5.5.3) is not in the platform model,
 * so the route-test steps say "call the helpdesk" without it.
 */

/** Human steps of the stages whose work does not depend on the mail software. */
export function sharedSteps(ctx: Context): string[] | undefined {
  const { customer: c, relay, nodes, helpdesk, platform } = ctx;
  const contact = (k: "implementer" | "administrator") => {
    const p = c.contacts[k];
    return `${p.name} <${p.email}>, ${p.phone}`;
  };
  const domains = list(c.domains);
  switch (ctx.stage) {
    case "connection":
      return [
        "Have the provider's connection delivered and the provider-configured router connected to your network (guide 5.3).",
        `Confirm these connection values with the provider: mail server ${c.mailServer.address}, port ${c.mailServer.port}; software ${ctx.software}.`,
        `Confirm every mail domain that sends or receives: ${domains}. Each must both send and receive; a domain the provider does not know can do neither.`,
        `Confirm the contacts: implementer ${contact("implementer")}; administrator ${contact("administrator")}.`,
        "Decide and write down the secure-mail policy: who mails securely by default and who may send unsecured by default (guide 4 and 5.3).",
      ];
    case "network":
      return [
        `Route ${relay.address} (${relay.hostname}) and ${list(nodes.addresses)} (${nodes.hostname}) through the provider's router.`,
        `Firewall: allow ${c.mailServer.address} to ${relay.address} on TCP ${relay.port} (outbound mail in the test stages).`,
        `Firewall: allow ${relay.address} to ${c.mailServer.address} on TCP ${c.mailServer.port} (inbound mail, always through the relay).`,
        `Firewall: allow ${c.mailServer.address} to ${list(nodes.addresses)} on TCP ${nodes.port} (outbound mail from the secure switch on); nothing comes in from them.`,
      ];
    case "route-test":
      return routeTest(ctx, relay.hostname);
    case "domains-registered":
      return [
        `The provider adds ${domains} to ${relay.hostname}, so they are trusted in the provider's network, and the outbound domains to the central spam filter (guide 5.5.4).`,
        c.dns.hosting === "cloudflare"
          ? `SPF: the provider adds include:${platform.spf.include} to the SPF record of ${domains} in the zones it runs for you.`
          : `SPF: add include:${platform.spf.include} to the SPF record of ${domains} (the provider sends on your domains' behalf).`,
      ];
    case "final-route-test":
      return routeTest(ctx, `${nodes.hostname} (${list(nodes.addresses)})`);
    case "nta-dns":
      return [
        `MX of ${domains}: ${platform.mailfilters.map((m) => `${m.preference} ${m.hostname}`).join(", ")} (Table 1, guide 5.7.3).`,
        `DMARC with an active policy (${c.dns.dmarc.policy}), DKIM signing of outbound mail, and DNSSEC on every mail domain (guide 5.7).`,
        c.dns.hosting === "cloudflare"
          ? "The provider publishes these records in the zones it runs for you; check them afterwards with the NTA 7516 checks."
          : `Publish exactly the records \`ezorg plan --stack customer-${c.slug}\` lists, then have the registrar publish the DS record (DNSSEC).`,
      ];
    case "live":
      return [
        "Nothing left to change: keep the connectors and settings as they are.",
        `Tell the provider before you change the mail server (${c.mailServer.address}), its software or a mail domain: each is part of the registration.`,
        `Test mail to ${helpdesk.to} with CC ${helpdesk.cc} remains the quickest route check after any change.`,
      ];
    default:
      return undefined;
  }
}

function routeTest(ctx: Context, through: string): string[] {
  const { helpdesk, customer: c } = ctx;
  return [
    `Send a test message from an address in ${c.domains[0]} to ${helpdesk.to} with CC ${helpdesk.cc} (two different domains: mind the hyphen).`,
    `Call the provider's helpdesk (technical option) and have them confirm that both copies arrived through ${through}.`,
    "Wait for the helpdesk's reply to arrive in your mailbox: it tests inbound mail through the relay.",
  ];
}

/** The X-header test with AD groups, one case per row of Table 2 plus the both-groups row the guide leaves open. */
export function groupHeaderTest(ctx: Context): string[] {
  const { customer: c, header, helpdesk } = ctx;
  const who = (r: Table2Row) => {
    const parts = [
      r.sources.secureGroup && r.sources.bypassGroup ? `a member of both ${c.policy.secureGroup} and ${c.policy.bypassGroup}`
        : r.sources.secureGroup ? `a member of ${c.policy.secureGroup}`
        : r.sources.bypassGroup ? `a member of ${c.policy.bypassGroup}`
        : "a user in neither group",
      ...(r.sources.outlookUnsafe ? ["using the Outlook add-in's \"send unsafe\" button"] : []),
    ];
    return parts.join(", ");
  };
  const expect = (r: Table2Row) => `${r.header === undefined ? "no header" : `${header}: ${r.header}`}, ${r.secure ? "sent securely" : "sent unsecured"}`;
  return [
    `Send a test message to ${helpdesk.to} with CC ${helpdesk.cc} as each sender below and have the helpdesk confirm the header it received (guide 5.5.6, Table 2); skip the add-in cases if the add-in is not installed on a test client.`,
    ...TABLE_2.map((r) => `As ${who(r)}: expect ${expect(r)}.`),
  ];
}
