/**
 * `secure-smtpnodes`: the customers' outbound servers after the secure switch (stage 9).
 * Submission on 587 with SMTP AUTH after STARTTLS, one credential per customer, each
 * sending only from its own domains; the secure-mail header picks the route.
 */
import { Customer, PlatformConfig, SecureNode } from "../config/model";
import {
  baseSections, baseServices, checkQueue, inetService, InstanceOptions, minimumProtocol, queueSection,
  RELAY_INBOUND_PORT, renderMainCf, renderMasterCf, resolveInstance, TLS_CERT_PATH, TLS_KEY_PATH,
} from "./cf";
import { renderDovecotConf, renderDovecotPreviousUsers, renderDovecotUsers } from "./dovecot";
import { credentialCustomers, domainOwners, nextHop, renderMap } from "./maps";
import { NTA_SOCKETMAP_NAME } from "./nta7516";

// Re-exported so a component imports the paths it uploads from the renderer it calls.
export { TLS_CERT_PATH, TLS_KEY_PATH };

export interface SecureNodeOptions extends InstanceOptions {
  /** Submission port. Default `platform.secureNodes.port` (587). */
  port?: number;
  /**
   * Portal handoff: where secure mail goes when the recipient's server is not known to be
   * NTA 7516 compliant. Default: `platform.portal` as `[hostname]:port`.
   */
  portalNextHop?: string;
  /**
   * The NTA 7516 compliance lookup (scripts/nta7516-socketmap.ts), e.g. `inet:127.0.0.1:10516`:
   * recipients it finds compliant are delivered directly. Default: none, only customer
   * domains count as compliant.
   * Known shortcoming: off by default because the node image does not run the service yet;
   * named but not running, it would make Postfix defer all mail bound for the portal.
   */
  complianceLookup?: string;
  /** Next hop of the bypass (internet) route. Default empty: the recipient domain's MX. */
  internetNextHop?: string;
  /** Folder of dovecot.conf and the passwd-file. Default `/etc/dovecot`. */
  dovecotDirectory?: string;
  /** Dovecot's runtime folder. Default `/run/dovecot`. */
  dovecotBaseDir?: string;
  /** Default `/dev/stderr`, the container log stream. */
  dovecotLogFile?: string;
  /** Where Dovecot's auth service listens for Postfix. Default `127.0.0.1`. */
  saslAddress?: string;
  /** Default 12345. */
  saslPort?: number;
}

/** The node's files (Postfix and its Dovecot SASL service), keyed by absolute path in the container. */
export function renderSecureNode(
  platform: PlatformConfig,
  customers: Customer[],
  node: SecureNode,
  options: SecureNodeOptions = {},
): Record<string, string> {
  const inst = resolveInstance(options);
  const tls = minimumProtocol(platform.tls.minimumVersion, "platform.tls.minimumVersion");
  checkNode(platform, node);
  checkQueue(platform);
  const header = checkHeader(platform);
  const owners = domainOwners(customers);
  const users = credentialCustomers(customers);

  const dir = inst.configDirectory;
  const host = platform.secureNodes.hostname;
  const title = `${host} (${node.name})`;
  const sasl = { address: options.saslAddress ?? "127.0.0.1", port: options.saslPort ?? 12345 };
  const portal = options.portalNextHop ?? `[${platform.portal.hostname}]:${platform.portal.port}`;
  const map = (name: string) => `texthash:${dir}/${name}`;
  const lookup = options.complianceLookup;
  const compliance = lookup ? [`socketmap:${lookup}:${NTA_SOCKETMAP_NAME}`] : [];
  const main = renderMainCf(`${title}: main.cf`, [
    ...baseSections(host, platform.provider.zone, inst),
    {
      why: [
        "Submission only, TLS first (minimum from platform.tls.minimumVersion; TLSv1.2 only while",
        "a customer's Exchange Server cannot speak TLS 1.3 for SMTP), and AUTH only inside TLS.",
      ],
      settings: [
        ["syslog_name", `postfix-${node.name}`],
        ["smtpd_tls_security_level", "encrypt"],
        ["smtpd_tls_protocols", tls],
        ["smtpd_tls_mandatory_protocols", tls],
        // encrypt already implies it; kept so that lowering the level never exposes passwords.
        ["smtpd_tls_auth_only", "yes"],
      ],
    },
    {
      why: [
        "One credential per customer, checked by Dovecot against {SHA512-CRYPT} hashes; a login",
        "may only use its own customer's domains as sender (NTA 7516 6.1.5, 6.1.8).",
      ],
      settings: [
        ["smtpd_sasl_auth_enable", "yes"],
        ["smtpd_sasl_type", "dovecot"],
        ["smtpd_sasl_path", `inet:${sasl.address}:${sasl.port}`],
        ["smtpd_sasl_security_options", "noanonymous"],
        ["smtpd_sender_login_maps", map("sender_logins")],
        ["smtpd_sender_restrictions", "reject_non_fqdn_sender, reject_sender_login_mismatch"],
        ["smtpd_relay_restrictions", "reject_non_fqdn_recipient, permit_sasl_authenticated, reject"],
      ],
    },
    {
      why: [
        `Routing. ${header}: true takes the internet route (header_checks FILTER); anything`,
        "else the secure route: customer domains straight to the relay, domains the NTA 7516",
        "lookup finds compliant (when it is on) to their NTA MX, the rest to the portal.",
        "Only the message's own header counts: a forwarded message inside must not pick the route.",
      ],
      settings: [
        ["header_checks", `regexp:${dir}/header_checks`],
        ["nested_header_checks", ""],
        ["mime_header_checks", ""],
        ["relay_domains", ""],
        ["transport_maps", [map("transport"), ...compliance].join(", ")],
        ["default_transport", `portal:${portal}`],
        ["smtp_tls_security_level", "may"],
        ["smtp_tls_mandatory_protocols", tls],
      ],
    },
    queueSection(platform),
  ]);

  const smtp = (name: string, level: string) => ({
    name, type: "unix" as const, command: "smtp", options: [["smtp_tls_security_level", level] as const],
  });
  const submission = inetService(inst, options.port ?? platform.secureNodes.port);
  const master = renderMasterCf(`${title}: master.cf`, [
    { name: submission, type: "inet", private: "n", command: "smtpd" },
    ...baseServices(),
    smtp("secure", "encrypt"),
    smtp("portal", "encrypt"),
    smtp("internet", "may"),
  ]);

  const relayHop = `secure:${nextHop(platform.relay.address, RELAY_INBOUND_PORT)}`;
  const dovecotDir = options.dovecotDirectory ?? "/etc/dovecot";
  // Only while a rotation's overlap runs: afterwards neither the file nor its passdb exist.
  const previousUsers = renderDovecotPreviousUsers(users);
  const previousFile = previousUsers ? { [`${dovecotDir}/users.previous`]: previousUsers } : {};
  const dovecot = renderDovecotConf({
    title: `${title}: dovecot.conf`,
    usersFile: `${dovecotDir}/users`,
    previousUsersFile: previousUsers ? `${dovecotDir}/users.previous` : undefined,
    baseDir: options.dovecotBaseDir ?? "/run/dovecot",
    logFile: options.dovecotLogFile ?? "/dev/stderr",
    ...sasl,
  });
  return {
    [`${dir}/main.cf`]: main,
    [`${dir}/master.cf`]: master,
    [`${dir}/sender_logins`]: renderMap("sender domain -> the one login that may use it", senderLogins(owners, users)),
    [`${dir}/transport`]: renderMap("customer domains: on the provider's network, straight to the relay", owners.map(([d]) => [d, relayHop])),
    [`${dir}/header_checks`]: headerChecks(header, options.internetNextHop ?? ""),
    [`${dovecotDir}/dovecot.conf`]: dovecot,
    [`${dovecotDir}/users`]: renderDovecotUsers(users),
    ...previousFile,
  };
}

/*
 * Known shortcoming: without options.complianceLookup "compliant" means a customer domain
 * only; other providers' compliant recipients then go to the portal, which is safe but not
 * the direct delivery the guide describes.
 * Known shortcoming: FILTER overrides the transport map for the whole message, so a bypass
 * message to another customer travels the internet route (via that customer's MX, the
 * provider's own mailfilters) rather than straight to the relay.
 */

/**
 * Only domains of customers that hold a credential get an owner; every other domain
 * stays unowned, and reject_sender_login_mismatch refuses it to every login.
 */
function senderLogins(owners: Array<[string, Customer]>, users: Customer[]): Array<[string, string]> {
  const withLogin = new Set(users);
  return owners.filter(([, c]) => withLogin.has(c)).map(([d, c]) => [`@${d}`, c.credential!.username]);
}

/** The header_checks table: the only place the secure-mail header is read. */
function headerChecks(header: string, internetNextHop: string): string {
  const name = header.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return [
    `# ${header}: only an explicit "true" (any case) bypasses; absent, "false" or anything else`,
    "# stays on the secure route (NTA 7516 6.1.16, security by default).",
    `/^${name}:[[:space:]]*true[[:space:]]*$/ FILTER internet:${internetNextHop}`,
    "",
  ].join("\n");
}

function checkNode(platform: PlatformConfig, node: SecureNode): void {
  if (!platform.secureNodes.nodes.some((n) => n.name === node.name)) {
    const names = platform.secureNodes.nodes.map((n) => n.name).join(", ");
    throw new Error(`node: got ${JSON.stringify(node.name)}; it must be one of platform.secureNodes.nodes (${names})`);
  }
}

function checkHeader(platform: PlatformConfig): string {
  const { name, default: absent } = platform.secureHeader;
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    throw new Error(`platform.secureHeader.name: got ${JSON.stringify(name)}; a header name holds letters, digits and hyphens only`);
  }
  if (absent !== "false") {
    throw new Error(`platform.secureHeader.default: got ${JSON.stringify(absent)}; a message without the header must go securely (NTA 7516 6.1.16, security by default), so it must be "false"`);
  }
  return name.toLowerCase();
}
