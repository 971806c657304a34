/**
 * A customer that runs Postfix: the stages as sh scripts that edit the customer's own
 * main.cf with postconf and write our tables beside it. Settings follow postconf(5) and
 * transport(5): transport_maps with next-hop lists (3.5), smtp_tls_policy_maps at level
 * `secure` with `match=` (the certificate name, like Exchange's TlsDomain), and
 * smtp_sasl_password_maps for the login on the secure nodes. The password never passes
 * through here: the script leaves a placeholder file for the administrator to fill in.
 */
import { STAGES } from "../../config/model";
import { Context, InstructionOptions, Instructions, list, postfixVersion, sharedSteps } from "./common";
import { commentText, shQuote } from "./quote";

/** Placeholders in the password table; the scripts refuse to go on while one is left. */
export const PASSWORD_PLACEHOLDER = "ENTER-PASSWORD";
export const USERNAME_PLACEHOLDER = "ENTER-USERNAME";

/** Our tables, beside main.cf. */
export const POSTFIX_TABLES = {
  transport: "ezorg_transport",
  tlsPolicy: "ezorg_tls_policy",
  passwords: "ezorg_sasl_passwd",
} as const;

/** What one stage changes in the customer's Postfix; the script is rendered from it. */
export interface PostfixPlan {
  /** Tables written whole (postmapped as `hash:`), by file name beside main.cf. */
  tables: Array<{ file: string; lines: string[] }>;
  /** List settings our table is put first in; entries already there stay behind it. */
  prepend: Array<[name: string, file: string]>;
  /** Settings set outright. */
  set: Array<[name: string, value: string]>;
  /** The password table's first content, with placeholders; written only when the file is absent. */
  passwords?: string[];
}

/** `[10.254.253.199]:587` */
const hop = (address: string, port: number) => `[${address.includes(":") ? `ipv6:${address}` : address}]:${port}`;

/**
 * The protocols attribute of a TLS policy entry: the range syntax from Postfix 3.6, the
 * colon-separated exclusions before it (3.5 is the oldest release these tables work on).
 */
export function policyProtocols(minimum: "TLSv1.2" | "TLSv1.3", version: string): string {
  const v = postfixVersion(version);
  if (v && v[0] === 3 && v[1] === 5) {
    return ["!SSLv2", "!SSLv3", "!TLSv1", "!TLSv1.1", ...(minimum === "TLSv1.3" ? ["!TLSv1.2"] : [])].join(":");
  }
  return `>=${minimum}`;
}

/** The oldest Postfix the rendered tables work on: 3.6 for the range syntax, else 3.5 (next-hop lists). */
function requiredVersion(ctx: Context): [number, number] {
  return policyProtocols(ctx.platform.tls.minimumVersion, ctx.customer.mailServer.version).startsWith(">=") ? [3, 6] : [3, 5];
}

export function postfixPlan(ctx: Context): PostfixPlan | undefined {
  const { relay, nodes, customer: c } = ctx;
  const protocols = policyProtocols(ctx.platform.tls.minimumVersion, c.mailServer.version);
  const relayHop = hop(relay.address, relay.port);
  const nodeHops = nodes.addresses.map((a) => hop(a, nodes.port));
  const route = (next: string) => ctx.testDomains.map((d) => `${d} smtp:${next}`);
  const policy = (hops: string[], name: string) => hops.map((h) => `${h} secure match=${name} protocols=${protocols}`);
  const user = c.credential?.username ?? USERNAME_PLACEHOLDER;
  switch (ctx.stage) {
    case "test-send-connector":
      return {
        tables: [
          { file: POSTFIX_TABLES.transport, lines: route(relayHop) },
          { file: POSTFIX_TABLES.tlsPolicy, lines: policy([relayHop], relay.hostname) },
        ],
        prepend: [["transport_maps", POSTFIX_TABLES.transport], ["smtp_tls_policy_maps", POSTFIX_TABLES.tlsPolicy]],
        set: [],
      };
    case "secure-switch":
      return {
        tables: [
          { file: POSTFIX_TABLES.transport, lines: route(nodeHops.join(", ")) },
          { file: POSTFIX_TABLES.tlsPolicy, lines: policy(nodeHops, nodes.hostname) },
        ],
        prepend: [
          ["transport_maps", POSTFIX_TABLES.transport],
          ["smtp_tls_policy_maps", POSTFIX_TABLES.tlsPolicy],
          ["smtp_sasl_password_maps", POSTFIX_TABLES.passwords],
        ],
        // Plaintext mechanisms (PLAIN, LOGIN) only inside TLS: the default noplaintext stays for
        // sessions without it, which the TLS policy never allows for these hops anyway.
        set: [["smtp_sasl_auth_enable", "yes"], ["smtp_sasl_tls_security_options", "noanonymous"]],
        passwords: [
          `# ${nodes.hostname}: replace ${PASSWORD_PLACEHOLDER} on each line with the password handed out at onboarding${c.credential ? "" : `, and ${USERNAME_PLACEHOLDER} with the user name`}.`,
          ...nodeHops.map((h) => `${h} ${user}:${PASSWORD_PLACEHOLDER}`),
        ],
      };
    case "cutover":
      // relayhost rather than a `*` transport entry: `*` would also take mail for this server's
      // own domains (mydestination) away from local delivery.
      return { tables: [], prepend: [], set: [["relayhost", nodeHops.join(", ")]] };
    default:
      return undefined;
  }
}

export function postfixInstructions(ctx: Context, options: InstructionOptions = {}): Instructions {
  const dir = options.postfixDirectory ?? "/etc/postfix";
  const body = postfixScript(ctx, dir);
  return {
    stage: ctx.stage,
    steps: postfixSteps(ctx) ?? sharedSteps(ctx) ?? [],
    ...(body ? { script: { language: "postfix" as const, content: frame(ctx, dir, body) } } : {}),
    warnings: ctx.warnings,
  };
}

function postfixSteps(ctx: Context): string[] | undefined {
  const { customer: c, relay, nodes, header } = ctx;
  const tested = list(ctx.testDomains);
  const ca = "Postfix must trust the CA of the provider's certificates: set smtp_tls_CAfile (Debian: /etc/ssl/certs/ca-certificates.crt, read before any chroot); the script stops while it and smtp_tls_CApath are both empty.";
  switch (ctx.stage) {
    case "receive-connector":
      return [
        `Configure a valid certificate for the SMTP service (smtpd_tls_cert_file and smtpd_tls_key_file, or smtpd_tls_chain_files); the relay delivers only with TLS (guide 5.5).`,
        `Run the script as root: it checks the certificate and makes sure STARTTLS is offered (smtpd_tls_security_level may, unless it is already may or encrypt), then reloads Postfix.`,
        `Postfix accepts mail for its own domains from ${relay.address} without further settings; if smtpd restrictions limit clients, allow ${relay.address}.`,
        `If an SPF policy service checks inbound mail (policyd-spf), exempt ${relay.address} (policyd-spf: skip_addresses) (guide 5.5).`,
      ];
    case "test-send-connector":
      return [
        ca,
        `Run the script as root: mail for ${tested} goes to ${relay.address}:${relay.port}, TLS required and the certificate checked for ${relay.hostname}; mail to every other domain keeps its route.`,
      ];
    case "route-test":
    case "final-route-test":
      return [...sharedSteps(ctx)!, "The script shows the log lines of the helpdesk messages: each must name the relay= address given in its first line."];
    case "x-headers":
      return [
        `Postfix has no AD groups and no rule that adds a header only when it is absent: the descriptor's groups ("${c.policy.secureGroup}", "${c.policy.bypassGroup}") are not used.`,
        `Mail without ${header} goes securely (the secure nodes read an absent header as false), so users who mail securely by default need nothing.`,
        `Users who may send unsecured by default need ${header}: true set by the sending application or mail client, or by a milter you run in front of Postfix; these instructions ship no milter.`,
        `Do not add the header with header_checks PREPEND: it adds a second ${header} even when the sender chose already, and the sender's choice (Table 2) would be lost.`,
      ];
    case "x-header-test":
      return [
        `Send a test message to ${ctx.helpdesk.to} with CC ${ctx.helpdesk.cc} without ${header}, and one with ${header}: true from the application or client that sets it; have the helpdesk confirm the first arrived without the header (secure) and the second with true (unsecured).`,
      ];
    case "secure-switch":
      return [
        `The provider hands out the user name${c.credential ? ` (${c.credential.username})` : ""} and the password for ${nodes.hostname}; keep the password out of mail, tickets and files.`,
        "The Postfix SMTP client logs in through Cyrus SASL: install its PLAIN and LOGIN modules (Debian: libsasl2-modules).",
        `Run the script as root. The first run writes the password table with placeholders and stops: put the password in it (the file is readable by root only), then run the script again.`,
        `Mail for ${tested} then goes to ${list(nodes.addresses)} on port ${nodes.port}, TLS required with certificate name ${nodes.hostname}, logging in only inside TLS (guide 5.5.7).`,
      ];
    case "cutover":
      return [
        `Run the script as root: it stops if default_transport names a next hop or a sender-dependent relay map is set (either would win over relayhost), and otherwise sets relayhost to ${list(nodes.addresses)} port ${nodes.port} (guide 5.5.9).`,
        "If this server also relays mail for its own domains to internal servers (relay_domains), those domains need their own transport_maps entries, or relayhost sends them to the secure nodes too.",
        "The script prints the old relayhost, if there was one, with the command that restores it.",
      ];
    default:
      return undefined;
  }
}

/** The preflight comment block and the helpers every script shares, around the stage's body. */
function frame(ctx: Context, dir: string, body: string[]): string {
  const { customer: c } = ctx;
  const plan = postfixPlan(ctx);
  const changes = plan ? planSummary(plan, dir) : [scriptPurpose(ctx)];
  const known = ctx.warnings.length ? ctx.warnings.map((w) => `#   ! ${w}`) : ["#   none found."];
  const head = [
    "#!/bin/sh",
    `# ${ctx.platform.provider.name} onboarding, stage ${ctx.number}/${STAGES.length} (${ctx.stage}): ${c.organisation} (${c.slug})`,
    "#",
    "# Preflight",
    `#   Server: ${ctx.software} at ${c.mailServer.address}; run as root on that server.`,
    ...changes.map((l, i) => `#   ${i === 0 ? "Changes:" : "        "} ${l}`),
    "#   Known incompatibilities:",
    ...known,
    "#   Generated from the customer descriptor: change the descriptor, not this file.",
  ].map((l) => commentText(l, `customer ${c.slug}: script comment`));
  return [
    ...head,
    "set -eu",
    `dir=${shQuote(dir, "postfixDirectory")}`,
    'pc() { postconf -c "$dir" "$@"; }',
    'fail() { echo "✗ $*" >&2; exit 1; }',
    "",
    ...body,
  ].join("\n") + "\n";
}

function scriptPurpose(ctx: Context): string {
  return ctx.stage === "receive-connector"
    ? "makes sure STARTTLS is offered with a certificate, for the relay's deliveries."
    : "nothing: it shows the log lines of the helpdesk messages.";
}

function planSummary(plan: PostfixPlan, dir: string): string[] {
  return [
    ...plan.tables.map((t) => `writes ${dir}/${t.file} and its hash table;`),
    ...(plan.passwords ? [`creates ${dir}/${POSTFIX_TABLES.passwords} with placeholders if it does not exist (never a password);`] : []),
    ...plan.prepend.map(([name, file]) => `puts hash:${dir}/${file} first in ${name};`),
    ...plan.set.map(([name, value]) => `sets ${name} = ${value};`),
    "reloads Postfix.",
  ];
}

function postfixScript(ctx: Context, dir: string): string[] | undefined {
  const plan = postfixPlan(ctx);
  if (plan) return planScript(ctx, plan);
  const { helpdesk, relay, nodes } = ctx;
  switch (ctx.stage) {
    case "receive-connector":
      return [
        '# The relay delivers only with TLS (guide 5.5): a certificate and STARTTLS on offer.',
        'cert="$(pc -xh smtpd_tls_cert_file)$(pc -xh smtpd_tls_chain_files)"',
        '[ -n "$cert" ] || fail "no certificate for the SMTP service (smtpd_tls_cert_file, smtpd_tls_chain_files): configure one (guide 5.5), then run this script again"',
        'level=$(pc -h smtpd_tls_security_level)',
        'case "$level" in',
        '  may|encrypt) ;;',
        "  *) pc -e 'smtpd_tls_security_level = may' ;;",
        "esac",
        'postfix -c "$dir" reload',
        'echo "✓ smtpd_tls_security_level = $(pc -h smtpd_tls_security_level): STARTTLS is offered"',
      ];
    case "route-test":
    case "final-route-test": {
      const expected = ctx.stage === "route-test"
        ? `relay=...[${relay.address}]:${relay.port}`
        : `relay=...[address]:${nodes.port}, address one of ${list(nodes.addresses)}`;
      return [
        `echo ${shQuote(`Expected: ${expected}, status=sent`, "message")}`,
        'log=$(pc -xh maillog_file)',
        '[ -n "$log" ] || log=/var/log/mail.log',
        `grep -F -e ${shQuote(`to=<${helpdesk.to}>`, "platform.helpdesk.to")} -e ${shQuote(`to=<${helpdesk.cc}>`, "platform.helpdesk.cc")} "$log" | tail -n 20`,
      ];
    }
    default:
      return undefined;
  }
}

function planScript(ctx: Context, plan: PostfixPlan): string[] {
  const [major, minor] = requiredVersion(ctx);
  const { nodes } = ctx;
  const tableFor = (file: string) => `"hash:$dir/${file}"`;
  const out: string[] = [
    `# Preflight: Postfix ${major}.${minor} or later, and a CA to check the provider's certificates against.`,
    'version=$(pc -h mail_version)',
    'major=${version%%.*}; rest=${version#*.}; minor=${rest%%.*}',
    `if [ "$major" -lt ${major} ] || { [ "$major" -eq ${major} ] && [ "$minor" -lt ${minor} ]; }; then`,
    `  fail "Postfix $version: these settings need ${major}.${minor} or later; upgrade first"`,
    "fi",
    '[ -n "$(pc -h smtp_tls_CAfile)$(pc -h smtp_tls_CApath)" ] || fail "smtp_tls_CAfile and smtp_tls_CApath are empty, so no certificate can be checked: set smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt (Debian), then run this script again"',
  ];

  if (ctx.stage === "cutover") {
    const [first] = nodes.addresses.map((a) => hop(a, nodes.port));
    const relayhost = plan.set.find(([n]) => n === "relayhost")![1];
    out.push(
      "",
      "# The secure switch must be in place: TLS policy and login for the nodes.",
      `postmap -q ${shQuote(first, "hop")} ${tableFor(POSTFIX_TABLES.tlsPolicy)} >/dev/null || fail "no TLS policy for ${first}: run the secure-switch stage first"`,
      `postmap -q ${shQuote(first, "hop")} ${tableFor(POSTFIX_TABLES.passwords)} >/dev/null || fail "no login for ${first}: run the secure-switch stage first"`,
      "",
      "# Nothing may outrank relayhost for mail to other domains, or part of it would bypass the",
      "# secure nodes: a default_transport with its own next hop, or a sender-dependent relay map.",
      'case "$(pc -h default_transport)" in',
      "  smtp|smtp:) ;;",
      '  *) fail "default_transport = $(pc -h default_transport) names its own next hop, which wins over relayhost: set it back to smtp, then run this script again" ;;',
      "esac",
      "for p in sender_dependent_relayhost_maps sender_dependent_default_transport_maps; do",
      '  [ -z "$(pc -h "$p")" ] || fail "$p is set: for the senders it lists it wins over relayhost and their mail would bypass the secure nodes; empty it, then run this script again"',
      "done",
      "",
      `hop=${shQuote(relayhost, "relayhost")}`,
      'old=$(pc -h relayhost)',
      'if [ -n "$old" ] && [ "$old" != "$hop" ]; then',
      `  echo "! relayhost was $old; to roll back: postconf -e 'relayhost = $old' && postfix reload"`,
      "fi",
      'pc -e "relayhost = $hop"',
      'postfix -c "$dir" reload',
      `echo "✓ relayhost = $hop: all outbound mail goes to ${nodes.hostname}"`,
    );
    return out;
  }

  if (plan.passwords) {
    out.push(
      "",
      "# The Postfix SMTP client logs in through Cyrus SASL.",
      'pc -A | grep -qx cyrus || fail "this Postfix has no Cyrus SASL client: install a Postfix package built with it"',
      "",
      "# The password table: written with placeholders once, filled in by the administrator, never",
      "# by this script. Nothing is switched while a placeholder is left.",
      `sasl="$dir/${POSTFIX_TABLES.passwords}"`,
      'if [ ! -e "$sasl" ]; then',
      "  (",
      "    umask 077",
      "    cat > \"$sasl\" <<'EOF'",
      ...plan.passwords,
      "EOF",
      "  )",
      `  fail "wrote $sasl: replace ${PASSWORD_PLACEHOLDER}${ctx.customer.credential ? "" : ` and ${USERNAME_PLACEHOLDER}`} on each line, then run this script again"`,
      "fi",
      `if grep -v '^#' "$sasl" | grep -q -e ${PASSWORD_PLACEHOLDER} -e ${USERNAME_PLACEHOLDER}; then`,
      `  fail "$sasl still holds a placeholder: put the user name and password handed out at onboarding in it, then run this script again"`,
      "fi",
      'chmod 600 "$sasl"',
      '(umask 077 && postmap "hash:$sasl")',
      ...nodes.addresses.map((a) => hop(a, nodes.port)).map((h) =>
        `postmap -q ${shQuote(h, "hop")} "hash:$sasl" >/dev/null || fail "$sasl has no line for ${h}: add one as in the placeholder, then run this script again"`),
    );
  }

  out.push("", "# Our tables, written whole: running the script again gives the same files.");
  for (const t of plan.tables) {
    out.push(`cat > "$dir/${t.file}" <<'EOF'`, `# ${ctx.stage}: generated for ${ctx.customer.slug}; edits are overwritten by the next stage.`, ...t.lines, "EOF");
  }
  out.push(`postmap ${plan.tables.map((t) => tableFor(t.file)).join(" ")}`);
  out.push(
    "",
    "# Our table goes first in each list setting; what the list held before stays behind it.",
    "prepend() {",
    '  cur=$(pc -h "$1")',
    "  case \",$(printf '%s' \"$cur\" | tr ' \\t' ',,'),\" in",
    '    *",$2,"*) return 0 ;;',
    "  esac",
    '  pc -e "$1 = $2${cur:+, $cur}"',
    "}",
    ...plan.prepend.map(([name, file]) => `prepend ${name} ${tableFor(file)}`),
    ...(plan.set.length ? [`pc -e ${plan.set.map(([n, v]) => shQuote(`${n} = ${v}`, n)).join(" ")}`] : []),
    'postfix -c "$dir" reload',
    `echo ${shQuote(`✓ ${list(ctx.testDomains)} now go to ${ctx.stage === "secure-switch" ? `${list(nodes.addresses)}, port ${nodes.port}, with login,` : `${ctx.relay.address}:${ctx.relay.port},`} TLS required`, "message")}`,
  );
  return out;
}

/*
 * Known shortcoming: the TLS policy checks the provider's certificate names (`secure`), not
 * pinned fingerprints; NTA 7516 6.1.6 asks for pinning, and the model holds no fingerprints.
 * Known shortcoming: the scripts set smtp_sasl_auth_enable and smtp_sasl_tls_security_options
 * for the whole SMTP client; a server that already logs in elsewhere with other SASL options
 * needs a dedicated master.cf transport instead, which these instructions do not write.
 */
