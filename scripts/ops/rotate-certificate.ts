/**
 * `ezorg rotate certificate`: new TLS certificates for the relay and/or the secure nodes.
 * Each is checked before anything changes (key matches, valid for the service's name, not
 * about to expire), set as secret config, and rolled out one datacentre at a time, where
 * the health probes must see the new certificate served.
 */
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { PlatformConfig } from "../../components/config/model";
import { Operation, Phase, Step } from "./engine";
import { CertificateExpectations } from "./health";
import { StackRunner } from "./runner";

export type TlsService = "relay" | "secureNode";

export interface CertificateInput {
  service: TlsService;
  /** Where the PEM came from, for messages. */
  certFile: string;
  certPem: string;
  keyPem: string;
}

export interface CheckedCertificate extends CertificateInput {
  fingerprint256: string;
  validTo: string;
}

const KEYS: Record<TlsService, { cert: string; key: string }> = {
  relay: { cert: "ezorg:relayTlsCertificate", key: "ezorg:relayTlsKey" },
  secureNode: { cert: "ezorg:secureNodeTlsCertificate", key: "ezorg:secureNodeTlsKey" },
};

/** The name a service's certificate must be valid for. */
export function serviceHostname(platform: PlatformConfig, service: TlsService): string {
  return service === "relay" ? platform.relay.hostname : platform.secureNodes.hostname;
}

/** Throws one line saying what is wrong with the pair; returns its fingerprint. */
export function checkCertificate(i: CertificateInput, platform: PlatformConfig, now: Date, minDays = 14): CheckedCertificate {
  const host = serviceHostname(platform, i.service);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(i.certPem);
  } catch {
    throw new Error(`${i.certFile}: is not a PEM certificate; give the certificate for ${host}`);
  }
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(i.keyPem));
  } catch {
    throw new Error(`${i.certFile}: the key given with it is not a PEM private key`);
  }
  if (!matches) throw new Error(`${i.certFile}: the key given with it does not belong to this certificate; give the pair that was issued together`);
  if (!cert.checkHost(host)) throw new Error(`${i.certFile}: is not valid for ${host} (subject ${cert.subject.replace(/\n/g, ", ")}); the service is reached by that name`);
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (from > now.getTime()) throw new Error(`${i.certFile}: is valid only from ${cert.validFrom}; rotate on or after that moment`);
  if (to - now.getTime() < minDays * 86_400_000) throw new Error(`${i.certFile}: expires ${cert.validTo}, within ${minDays} days; get a certificate that lasts longer`);
  return { ...i, fingerprint256: cert.fingerprint256, validTo: cert.validTo };
}

export interface CertificateRotation {
  stack: string;
  certificates: CheckedCertificate[];
  runner: StackRunner;
  resumeHint: string;
  /** Builds the rollout whose health probes expect these certificates (rollout.ts). */
  rollout: (expect: CertificateExpectations) => Phase;
}

export function certificateOperation(r: CertificateRotation): Operation {
  const secret = (c: CheckedCertificate): Step => ({
    id: `secret:${c.service}`,
    title: `set ${c.service === "relay" ? "relay" : "secure-node"} certificate`,
    would: `set ${KEYS[c.service].cert} and ${KEYS[c.service].key} of ${r.stack} from ${c.certFile} (valid until ${c.validTo})`,
    // Known shortcoming: two config writes, not one; an unrelated `pulumi up` of this stack
    // between them would deploy the new key with the old certificate. --resume repeats both.
    run: async () => {
      await r.runner.setSecret(r.stack, KEYS[c.service].key, c.keyPem);
      await r.runner.setSecret(r.stack, KEYS[c.service].cert, c.certPem);
      return `${KEYS[c.service].cert} set (${c.fingerprint256.slice(0, 23)}…, valid until ${c.validTo})`;
    },
  });
  const expect = Object.fromEntries(r.certificates.map((c) => [c.service, c.fingerprint256]));
  return {
    id: `rotate-certificate-${r.stack}`,
    title: `certificate rotation of ${r.stack}`,
    resumeHint: r.resumeHint,
    // Resuming with other certificate files would skip setting them: refused.
    fingerprint: createHash("sha256").update(r.certificates.map((c) => c.fingerprint256).join(",")).digest("hex"),
    phases: [{ name: "certificates", mode: "sequence", steps: r.certificates.map(secret) }, r.rollout(expect)],
  };
}
