/**
 * The lab's certificates: one throw-away CA, and server certificates it signs for the
 * platform's service names, so the TLS checks verify names against a CA file exactly as
 * they do against the public CAs in production.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { mustRun } from "./proc";

export interface CertFiles {
  cert: string;
  key: string;
}

export interface LabCa {
  /** PEM file to give the checks as `caFile`. */
  caFile: string;
  /** A P-256 certificate for `names` (the first is the subject), signed by this CA. */
  issue(dir: string, names: string[]): Promise<CertFiles>;
}

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export async function createCa(dir: string): Promise<LabCa> {
  await mkdir(dir, { recursive: true });
  const ca = { cert: join(dir, "ca.pem"), key: join(dir, "ca-key.pem") };
  await mustRun("openssl", ["req", "-x509", ...ec, "-keyout", ca.key, "-out", ca.cert, "-days", "2", "-subj", "/CN=ezorg lab CA"]);
  await chmod(ca.key, 0o600);
  let serial = 0;
  return {
    caFile: ca.cert,
    async issue(out, names) {
      await mkdir(out, { recursive: true });
      const files = { cert: join(out, "cert.pem"), key: join(out, "key.pem") };
      const csr = join(out, "req.csr");
      const ext = join(out, "ext.cnf");
      await writeFile(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
      await mustRun("openssl", ["req", "-new", ...ec, "-keyout", files.key, "-out", csr, "-subj", `/CN=${names[0]}`]);
      await mustRun("openssl", [
        "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", String(++serial + Date.now()),
        "-days", "2", "-extfile", ext, "-out", files.cert,
      ]);
      await chmod(files.key, 0o600);
      return files;
    },
  };
}

/** A `{SHA512-CRYPT}` hash of `password`, as the onboarding hands it to the descriptor. */
export async function sha512Crypt(password: string): Promise<string> {
  const hash = (await mustRun("openssl", ["passwd", "-6", "-stdin"], password + "\n")).trim();
  return `{SHA512-CRYPT}${hash}`;
}
