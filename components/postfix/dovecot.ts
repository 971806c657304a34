/**
 * Dovecot as the secure nodes' SASL service: Postfix's own SASL cannot check the
 * {SHA512-CRYPT} hashes the onboarding hands out, Dovecot's passwd-file can. It speaks
 * no mail protocol itself.
 */
import { Customer } from "../config/model";

export interface DovecotSaslOptions {
  /** Title line naming the host, for whoever opens the file. */
  title: string;
  /** Path of the passwd-file in the container. */
  usersFile: string;
  /**
   * passwd-file of the previous hashes of credentials in a rotation's overlap, tried when
   * the first one refuses a login. Default: none (no overlap running).
   */
  previousUsersFile?: string;
  baseDir: string;
  logFile: string;
  /** Address and port of the auth listener Postfix's smtpd_sasl_path points at. */
  address: string;
  port: number;
}

/** dovecot.conf for SASL only. */
export function renderDovecotConf(o: DovecotSaslOptions): string {
  return `# ${o.title}
# Rendered from the platform config; edits here are overwritten.
protocols =
ssl = no
base_dir = ${o.baseDir}
log_path = ${o.logFile}
# NEN 7513: every failed authentication is logged.
auth_verbose = yes
# Postfix tells Dovecot whether the session is inside TLS; refuse plaintext outside it too.
disable_plaintext_auth = yes
# LOGIN for Exchange's basic authentication, PLAIN for everyone else.
auth_mechanisms = plain login
${passdbs(o)}userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=/nonexistent
}
# A TCP listener on loopback rather than a socket in Postfix's private/ folder, which
# belongs to the postfix user and which the Dovecot master (root) may not write into.
service auth {
  inet_listener postfix {
    address = ${o.address}
    port = ${o.port}
  }
}
`;
}

/*
 * During a credential rotation the previous hash sits in a second passdb: Dovecot tries the
 * next passdb when one refuses (result_failure = continue is the default), so the old and
 * the new password both work. A passwd-file holds one line per user, hence a second file.
 */
function passdbs(o: DovecotSaslOptions): string {
  const files = [o.usersFile, ...(o.previousUsersFile ? [o.previousUsersFile] : [])];
  return files.map((file) => `passdb {\n  driver = passwd-file\n  args = scheme=SHA512-CRYPT ${file}\n}\n`).join("");
}

/** The passwd-file: `user:{SHA512-CRYPT}hash`, one line per customer with a credential. */
export function renderDovecotUsers(users: ReadonlyArray<Required<Pick<Customer, "credential">>>): string {
  return users.map(({ credential: c }) => `${c.username}:${c.passwordHash}\n`).join("");
}

/** The previous hashes of credentials in an overlap, one line per such customer. */
export function renderDovecotPreviousUsers(users: ReadonlyArray<Customer & Required<Pick<Customer, "credential">>>): string {
  return users
    .filter(({ credential: c }) => c.previous)
    .map(({ slug, credential: c }) => {
      const hash = c.previous!.passwordHash;
      if (!/^\{SHA512-CRYPT\}\$6\$[^\s:]+$/.test(hash)) {
        throw new Error(`customer ${slug}: credential.previous.passwordHash must be a {SHA512-CRYPT}$6$... hash, never a password; restore it from the descriptor's history or drop previous`);
      }
      return `${c.username}:${hash}\n`;
    })
    .join("");
}
