/** Throw-away certificates for the loopback servers; they live in the instance's temp folder. */
import { chmod, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { mustRun } from "./run";

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed P-256 certificate for `name`, written to `dir`. */
export async function makeCertificate(dir: string, name: string): Promise<CertFiles> {
  await mkdir(dir, { recursive: true });
  const files = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  await mustRun("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", files.key, "-out", files.cert, "-days", "2", "-subj", `/CN=${name}`,
    "-addext", `subjectAltName=DNS:${name}`,
  ]);
  await chmod(files.key, 0o600);
  return files;
}

/** A `{SHA512-CRYPT}` hash of `password`, as the onboarding hands it to the config. */
export async function sha512Crypt(password: string): Promise<string> {
  const hash = (await mustRun("openssl", ["passwd", "-6", "-stdin"], password + "\n")).trim();
  return `{SHA512-CRYPT}${hash}`;
}
