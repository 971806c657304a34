/**
 * `inside-relay`: the customers' gateway to the provider's network. Port 25 takes the
 * mail the mailfilters accepted for customer domains; the submission port (587) takes
 * the customers' own servers, TLS only. Mail for a customer domain goes to that
 * customer's server, with TLS required.
 */
import { Customer, PlatformConfig } from "../config/model";
import {
  baseSections, baseServices, checkQueue, inetService, InstanceOptions, minimumProtocol, queueSection,
  RELAY_INBOUND_PORT, renderMainCf, renderMasterCf, resolveInstance, TLS_CERT_PATH, TLS_KEY_PATH,
} from "./cf";
import { connectedCustomers, domainOwners, mapToken, nextHop, renderMap } from "./maps";

// Re-exported so a component imports the paths it uploads from the renderer it calls.
export { RELAY_INBOUND_PORT, TLS_CERT_PATH, TLS_KEY_PATH };

export interface RelayOptions extends InstanceOptions {
  /** Submission port for the customers' servers. Default `platform.relay.port` (587). */
  submissionPort?: number;
  /** Port for the mailfilters. Default {@link RELAY_INBOUND_PORT}. */
  inboundPort?: number;
}

/** The relay's files, keyed by absolute path inside the container. */
export function renderRelay(
  platform: PlatformConfig,
  customers: Customer[],
  options: RelayOptions = {},
): Record<string, string> {
  const inst = resolveInstance(options);
  const tls = minimumProtocol(platform.tls.minimumVersion, "platform.tls.minimumVersion");
  checkQueue(platform);
  const owners = domainOwners(customers);

  const dir = inst.configDirectory;
  const host = platform.relay.hostname;
  const map = (name: string) => `texthash:${dir}/${name}`;
  const main = renderMainCf(`${host}: main.cf`, [
    ...baseSections(host, platform.provider.zone, inst),
    {
      why: ["Recipients: registered customer domains only; each goes to its customer's server."],
      settings: [
        ["relay_domains", map("relay_domains")],
        ["transport_maps", map("transport")],
        ["smtpd_relay_restrictions", "reject_non_fqdn_recipient, reject_unauth_destination"],
      ],
    },
    {
      why: [
        "Port 25 stays opportunistic: internet senders reach it through the mailfilters, and",
        "refusing plaintext there would bounce their mail rather than protect it.",
      ],
      settings: [
        ["smtpd_tls_security_level", "may"],
        ["smtpd_tls_protocols", ">=TLSv1.2"],
      ],
    },
    {
      why: [
        "Submission (master.cf uses these): only connected customer servers, only registered",
        "sender domains (or the helpdesk, for the route test before the domains are registered).",
        "Minimum TLS from platform.tls.minimumVersion: TLS 1.3 per the guide (5.5); a deployment",
        "lowers it to TLSv1.2 only while a customer's Exchange Server cannot speak TLS 1.3 for SMTP.",
      ],
      settings: [
        ["submission_tls_protocols", tls],
        ["submission_client_restrictions", `check_client_access ${map("relay_clients")}, reject`],
        ["submission_relay_restrictions", [
          "reject_non_fqdn_sender, reject_non_fqdn_recipient",
          `check_recipient_access ${map("helpdesk")}`,
          `check_sender_access ${map("relay_senders")}`,
          "reject",
        ].join(", ")],
      ],
    },
    {
      why: ["Deliveries to customer servers (the `customer` transport) require TLS (guide 5.5)."],
      settings: [
        ["smtp_tls_security_level", "may"],
        ["smtp_tls_mandatory_protocols", tls],
      ],
    },
    queueSection(platform),
  ]);

  const inbound = options.inboundPort ?? RELAY_INBOUND_PORT;
  const master = renderMasterCf(`${host}: master.cf`, [
    { name: inetService(inst, inbound), type: "inet", private: "n", command: "smtpd" },
    {
      name: inetService(inst, options.submissionPort ?? platform.relay.port),
      type: "inet",
      private: "n",
      command: "smtpd",
      options: [
        ["syslog_name", "postfix/submission"],
        ["smtpd_tls_security_level", "encrypt"],
        ["smtpd_tls_protocols", "$submission_tls_protocols"],
        ["smtpd_tls_mandatory_protocols", "$submission_tls_protocols"],
        ["smtpd_client_restrictions", "$submission_client_restrictions"],
        ["smtpd_relay_restrictions", "$submission_relay_restrictions"],
      ],
    },
    ...baseServices(),
    { name: "customer", type: "unix", command: "smtp", options: [["smtp_tls_security_level", "encrypt"]] },
  ]);

  const server = (c: Customer) => `customer:${nextHop(c.mailServer.address, c.mailServer.port)}`;
  const { to, cc } = platform.helpdesk;
  const helpdesk = [to, cc].map((a) => mapToken(a.toLowerCase(), "platform.helpdesk"));
  return {
    [`${dir}/main.cf`]: main,
    [`${dir}/master.cf`]: master,
    [`${dir}/relay_domains`]: renderMap("registered customer domains (recipient side)", owners.map(([d, c]) => [d, c.slug])),
    [`${dir}/relay_senders`]: renderMap("registered customer domains (sender side)", owners.map(([d]) => [d, "OK"])),
    [`${dir}/transport`]: renderMap("customer domain -> customer mail server", owners.map(([d, c]) => [d, server(c)])),
    [`${dir}/relay_clients`]: renderMap("customer mail servers allowed on submission", clientEntries(customers)),
    [`${dir}/helpdesk`]: renderMap("route-test recipients", helpdesk.map((a) => [a, "OK"])),
  };
}

/*
 * Known shortcoming: submission checks "a connected customer server" and "a registered
 * sender domain" separately, so one customer's server could use another customer's domain
 * as sender. The relay carries outbound mail only in the test stages, and the secure nodes
 * tie each domain to its own login; per-customer restriction classes would close it here.
 * Known shortcoming: submission refuses the null sender, so a customer server cannot send
 * bounces through the relay; there is no rule yet to tell its bounces from abuse.
 * Known shortcoming: port 25 takes mail from any client for registered domains; the model
 * has no internal addresses of the mailfilters to limit it to.
 */
function clientEntries(customers: Customer[]): Array<[string, string]> {
  const field = (c: Customer) => `customer ${c.slug}: mailServer.address`;
  const servers = connectedCustomers(customers).map((c) => mapToken(c.mailServer.address, field(c)));
  const addresses = new Set(servers);
  return [...addresses].map((a) => [a, "OK"]);
}
