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
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT ${o.usersFile}
}
userdb {
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

/** The passwd-file: `user:{SHA512-CRYPT}hash`, one line per customer with a credential. */
export function renderDovecotUsers(users: ReadonlyArray<Required<Pick<Customer, "credential">>>): string {
  return users.map(({ credential: c }) => `${c.username}:${c.passwordHash}\n`).join("");
}
