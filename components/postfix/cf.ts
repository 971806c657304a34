/**
 * main.cf and master.cf as data, and the instance paths a caller may move. Production
 * values are the defaults here; a service test passes temp folders and loopback
 * addresses and gets otherwise the very file the component uploads.
 */
import { PlatformConfig } from "../config/model";

/** Where the component uploads the TLS certificate chain, from secret config. */
export const TLS_CERT_PATH = "/etc/postfix/tls/cert.pem";
/** Where the component uploads the TLS private key, from secret config. */
export const TLS_KEY_PATH = "/etc/postfix/tls/key.pem";

/** Port of the relay where the mailfilters (and the secure nodes) deliver mail for customer domains. */
export const RELAY_INBOUND_PORT = 25;

/** Instance paths and listen addresses; everything else comes from the platform config. */
export interface InstanceOptions {
  /** Folder of main.cf, master.cf and the maps. Default `/etc/postfix`. */
  configDirectory?: string;
  /** Default `/var/spool/postfix`. */
  queueDirectory?: string;
  /** Default `/var/lib/postfix`; must belong to the postfix user. */
  dataDirectory?: string;
  /** Default `/dev/stdout`: the container log stream, with `postfix start-fg`. */
  maillogFile?: string;
  /** Address the SMTP services bind to. Default: every address of the container. */
  listenAddress?: string;
  /** Default {@link TLS_CERT_PATH}. */
  tlsCertFile?: string;
  /** Default {@link TLS_KEY_PATH}. */
  tlsKeyFile?: string;
}

export type ResolvedInstance = Required<InstanceOptions>;

export function resolveInstance(o: InstanceOptions = {}): ResolvedInstance {
  return {
    configDirectory: o.configDirectory ?? "/etc/postfix",
    queueDirectory: o.queueDirectory ?? "/var/spool/postfix",
    dataDirectory: o.dataDirectory ?? "/var/lib/postfix",
    maillogFile: o.maillogFile ?? "/dev/stdout",
    listenAddress: o.listenAddress ?? "",
    tlsCertFile: o.tlsCertFile ?? TLS_CERT_PATH,
    tlsKeyFile: o.tlsKeyFile ?? TLS_KEY_PATH,
  };
}

/** A group of main.cf settings with the reason they exist. */
export interface Section {
  /** Comment lines above the settings: why they are what they are. */
  why: string[];
  settings: Array<readonly [name: string, value: string | number]>;
}

export function renderMainCf(title: string, sections: readonly Section[]): string {
  const seen = new Set<string>();
  const out = [`# ${title}`, "# Rendered from the platform config; edits here are overwritten."];
  for (const s of sections) {
    out.push("", ...s.why.map((l) => `# ${l}`));
    for (const [name, value] of s.settings) {
      // Postfix keeps the last of two equal names; rendering both would hide the first.
      if (seen.has(name)) throw new Error(`main.cf: ${name} is set twice`);
      seen.add(name);
      out.push(value === "" ? `${name} =` : `${name} = ${value}`);
    }
  }
  return out.join("\n") + "\n";
}

/** The settings every instance has: paths, logging, no local delivery, no header rewriting. */
export function baseSections(hostname: string, domain: string, inst: ResolvedInstance): Section[] {
  return [
    {
      why: ["Instance paths (moved only by tests). maillog_file: no syslog in the container."],
      settings: [
        ["compatibility_level", "3.6"],
        ["queue_directory", inst.queueDirectory],
        ["data_directory", inst.dataDirectory],
        ["maillog_file", inst.maillogFile],
        ["inet_interfaces", "all"],
        ["inet_protocols", "ipv4"],
      ],
    },
    {
      why: ["Identity. myorigin = mydomain sends postmaster notices to the provider's own zone."],
      settings: [
        ["myhostname", hostname],
        ["mydomain", domain],
        ["myorigin", "$mydomain"],
        ["smtpd_banner", "$myhostname ESMTP"],
      ],
    },
    {
      why: [
        "Nothing is delivered locally; an empty mynetworks means no address is trusted for",
        "being nearby, only through the explicit maps below.",
      ],
      settings: [
        ["mydestination", ""],
        ["local_recipient_maps", ""],
        ["local_transport", "error:5.1.1 local delivery is disabled"],
        ["alias_maps", ""],
        ["alias_database", ""],
        ["mynetworks", ""],
        ["biff", "no"],
      ],
    },
    {
      why: [
        "Exact domains only: a registered example.nl must not make sub.example.nl a relay domain",
        "(unregistered domains can neither send nor receive).",
      ],
      settings: [["parent_domain_matches_subdomains", ""]],
    },
    {
      why: [
        "NTA 7516 6.1.6, what arrives is exactly what was sent: never rewrite a customer's",
        "headers or re-encode 8-bit bodies on the way through.",
      ],
      settings: [
        ["local_header_rewrite_clients", ""],
        ["remote_header_rewrite_domain", ""],
        ["disable_mime_output_conversion", "yes"],
      ],
    },
    {
      why: ["Server certificate, uploaded by the component from secret config."],
      settings: [
        ["smtpd_tls_cert_file", inst.tlsCertFile],
        ["smtpd_tls_key_file", inst.tlsKeyFile],
        ["smtpd_tls_loglevel", 1],
        ["smtp_tls_loglevel", 1],
      ],
    },
  ];
}

/** master.cf name of a TCP service on `port`, bound to the listen address when one is set. */
export function inetService(inst: ResolvedInstance, port: number): string {
  return inst.listenAddress ? `${inst.listenAddress}:${port}` : String(port);
}

/** One master.cf service. Columns left out take Postfix's defaults (`-`). */
export interface Service {
  name: string;
  type: "inet" | "unix" | "unix-dgram" | "fifo" | "pass";
  private?: "y" | "n";
  unpriv?: "y" | "n";
  wakeup?: string;
  maxproc?: string;
  command: string;
  options?: Array<readonly [name: string, value: string]>;
}

export function renderMasterCf(title: string, services: readonly Service[]): string {
  const out = [`# ${title}`, "# Rendered from the platform config; edits here are overwritten."];
  out.push("# chroot is n everywhere: the container is the jail, and a chroot would need copies of");
  out.push("# resolv.conf, the maps and the TLS files inside the queue folder.");
  for (const s of services) {
    const [p, u, w, m] = [s.private, s.unpriv, s.wakeup, s.maxproc].map((c) => c ?? "-");
    const cols = [s.name, s.type, p, u, "n", w, m, s.command];
    out.push(cols.map((c, i) => (i < 7 ? c.padEnd(i === 0 ? 10 : 6) : c)).join(" ").trimEnd());
    for (const [name, value] of s.options ?? []) out.push(`  -o ${name}=${value}`);
  }
  return out.join("\n") + "\n";
}

/*
 * Known shortcoming: mandatory TLS hops use `encrypt`, which does not verify the peer's
 * certificate. NTA 7516 6.1.6 asks for certificate pinning; that needs the customer
 * servers' certificate names or fingerprints in the model, which it does not have yet.
 */

/** The internal services every instance needs (Debian's master.cf without local delivery). */
export function baseServices(): Service[] {
  return [
    { name: "pickup", type: "unix", private: "n", wakeup: "60", maxproc: "1", command: "pickup" },
    { name: "cleanup", type: "unix", private: "n", maxproc: "0", command: "cleanup" },
    { name: "qmgr", type: "unix", private: "n", wakeup: "300", maxproc: "1", command: "qmgr" },
    { name: "tlsmgr", type: "unix", wakeup: "1000?", maxproc: "1", command: "tlsmgr" },
    { name: "rewrite", type: "unix", command: "trivial-rewrite" },
    { name: "bounce", type: "unix", maxproc: "0", command: "bounce" },
    { name: "defer", type: "unix", maxproc: "0", command: "bounce" },
    { name: "trace", type: "unix", maxproc: "0", command: "bounce" },
    { name: "verify", type: "unix", maxproc: "1", command: "verify" },
    { name: "flush", type: "unix", private: "n", wakeup: "1000?", maxproc: "0", command: "flush" },
    { name: "proxymap", type: "unix", command: "proxymap" },
    { name: "proxywrite", type: "unix", maxproc: "1", command: "proxymap" },
    { name: "smtp", type: "unix", command: "smtp" },
    { name: "relay", type: "unix", command: "smtp" },
    { name: "showq", type: "unix", private: "n", command: "showq" },
    { name: "error", type: "unix", command: "error" },
    { name: "retry", type: "unix", command: "error" },
    { name: "discard", type: "unix", command: "discard" },
    { name: "anvil", type: "unix", maxproc: "1", command: "anvil" },
    { name: "scache", type: "unix", maxproc: "1", command: "scache" },
    { name: "postlog", type: "unix-dgram", private: "n", maxproc: "1", command: "postlogd" },
  ];
}

/** `>=TLSv1.3` for Postfix's protocol settings; anything else in the config is refused. */
export function minimumProtocol(version: string, field: string): string {
  if (version !== "TLSv1.2" && version !== "TLSv1.3") {
    throw new Error(`${field}: got ${JSON.stringify(version)}; use "TLSv1.3" (NTA 7516 guide 5.5) or "TLSv1.2" where a customer's Exchange cannot speak TLS 1.3`);
  }
  return `>=${version}`;
}

/**
 * NTA 7516 6.1.4 allows no data loss unless the sender is told within
 * `notifyWithinHours`: mail queues (never bounces early) and a delay notice goes out in time.
 */
export function queueSection(platform: PlatformConfig): Section {
  return {
    why: [
        "NTA 7516 6.1.4/6.1.11: undeliverable mail stays queued; the sender hears of the delay",
        "within queue.notifyWithinHours.",
      ],
    settings: [
      ["delay_warning_time", `${platform.queue.delayWarningHours}h`],
      ["maximal_queue_lifetime", `${platform.queue.maximalLifetimeDays}d`],
      ["bounce_queue_lifetime", `${platform.queue.maximalLifetimeDays}d`],
    ],
  };
}

export function checkQueue(platform: PlatformConfig): void {
  const { delayWarningHours: warn, notifyWithinHours: limit, maximalLifetimeDays: days } = platform.queue;
  if (!(Number.isInteger(warn) && warn > 0 && warn < limit)) {
    throw new Error(`platform.queue.delayWarningHours: got ${warn}; it must be a whole number of hours above 0 and below notifyWithinHours (${limit}), or senders hear of a delay too late (NTA 7516 6.1.4)`);
  }
  if (!(Number.isInteger(days) && days * 24 > limit)) {
    throw new Error(`platform.queue.maximalLifetimeDays: got ${days}; it must be a whole number of days longer than notifyWithinHours (${limit} h), so mail is kept while the fault is fixed (6.1.11)`);
  }
}
