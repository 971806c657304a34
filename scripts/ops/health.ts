/**
 * Health of a datacentre: its SMTP endpoints answer, offer STARTTLS and complete a TLS
 * handshake at the platform's minimum version with a certificate valid for the service's
 * name. The SMTP dialogue is nodemailer's SMTPConnection (well kept, no dependencies, CommonJS
 * export): the probe runs in-process, so no swaks is needed where the operator runs it.
 */
import type { TLSSocket } from "node:tls";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import { PlatformConfig } from "../../components/config/model";

export interface SmtpEndpoint {
  /** What the ✓/✗ detail calls it, e.g. `smtpnode1`. */
  label: string;
  address: string;
  port: number;
  /** Name the certificate must be valid for (also sent as SNI). */
  hostname: string;
  /** Which certificate secret the endpoint serves. */
  service: "relay" | "secureNode";
}

export interface ProbeOptions {
  /** Minimum TLS version, e.g. `TLSv1.3`. */
  minVersion: "TLSv1.2" | "TLSv1.3";
  /** Extra trusted CA certificates (PEM); default: the system's. */
  ca?: string;
  /** SHA-256 fingerprint (`AA:BB:...`) the served certificate must have, e.g. after a rotation. */
  fingerprint256?: string;
  timeoutMs?: number;
}

export interface ProbeResult {
  endpoint: SmtpEndpoint;
  ok: boolean;
  /** e.g. `STARTTLS TLSv1.3` or the reason it failed. */
  detail: string;
}

export interface HealthResult {
  ok: boolean;
  probes: ProbeResult[];
}

/** Expected certificates per service, by SHA-256 fingerprint. */
export type CertificateExpectations = Partial<Record<SmtpEndpoint["service"], string>>;

/**
 * The endpoints of one datacentre: its secure nodes, and the relay.
 * Known shortcoming: both sites' relays bind the same service address, so the relay probe
 * shows that some relay answers, not that this site's does; the model has no per-site relay
 * address to probe instead.
 */
export function datacenterEndpoints(platform: PlatformConfig, datacenter: string): SmtpEndpoint[] {
  if (!platform.datacenters.some((d) => d.name === datacenter)) {
    throw new Error(`datacentre: got ${JSON.stringify(datacenter)}; it must be one of ${platform.datacenters.map((d) => d.name).join(", ")}`);
  }
  const nodes = platform.secureNodes.nodes.filter((n) => n.datacenter === datacenter);
  return [
    ...nodes.map((n) => ({ label: n.name, address: n.address, port: platform.secureNodes.port, hostname: platform.secureNodes.hostname, service: "secureNode" as const })),
    { label: "relay (shared address)", address: platform.relay.address, port: platform.relay.port, hostname: platform.relay.hostname, service: "relay" as const },
  ];
}

/** One SMTP session up to STARTTLS and the second EHLO, then QUIT. Never throws. */
export function probeStartTls(endpoint: SmtpEndpoint, o: ProbeOptions): Promise<ProbeResult> {
  const timeout = o.timeoutMs ?? 10_000;
  const conn = new SMTPConnection({
    host: endpoint.address,
    port: endpoint.port,
    requireTLS: true,
    name: "ezorg-health",
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    tls: { servername: endpoint.hostname, minVersion: o.minVersion, ca: o.ca, rejectUnauthorized: true },
  });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      resolve({ endpoint, ok, detail });
      if (ok) conn.quit();
      else conn.close();
    };
    conn.on("error", (err: Error) => settle(false, err.message));
    conn.connect((err) => {
      if (err) return settle(false, err.message);
      const socket = conn._socket as TLSSocket;
      const protocol = socket.getProtocol?.() ?? "no TLS";
      if (!conn.secure) return settle(false, "the session did not switch to TLS");
      const served = socket.getPeerX509Certificate?.();
      if (o.fingerprint256 && served?.fingerprint256 !== o.fingerprint256) {
        return settle(false, `${protocol}, but serves certificate ${served?.fingerprint256.slice(0, 23) ?? "none"}…, not the expected ${o.fingerprint256.slice(0, 23)}…`);
      }
      settle(true, `STARTTLS ${protocol}, certificate valid until ${served?.validTo ?? "?"}`);
    });
  });
}

/** Probes every endpoint at once; healthy when all answer. */
export async function probeAll(endpoints: SmtpEndpoint[], o: ProbeOptions, expect: CertificateExpectations = {}): Promise<HealthResult> {
  const probes = await Promise.all(endpoints.map((e) => probeStartTls(e, { ...o, fingerprint256: expect[e.service] ?? o.fingerprint256 })));
  return { ok: probes.every((p) => p.ok), probes };
}

/** One line for a ✓/✗: every probe with its verdict. */
export function describeHealth(h: HealthResult): string {
  return h.probes.map((p) => `${p.endpoint.label} ${p.endpoint.address}:${p.endpoint.port} ${p.ok ? "ok" : "FAILED"} (${p.detail})`).join("; ");
}
