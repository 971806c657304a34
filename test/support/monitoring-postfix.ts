/**
 * A real Postfix instance on a loopback address for the monitoring service tests, with
 * a test CA and a certificate for the probed host name. Set-up is idempotent: the
 * instance folder is registered once in /etc/postfix/main.cf (alternate_config_directories,
 * which `postfix -c DIR` requires) and rebuilt on every start.
 */
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runOk, waitForPort } from "./procs-run";

/** Fixed, because alternate_config_directories must name the exact folder. */
export const POSTFIX_TEST_ROOT = "/tmp/ezorg-monitoring-postfix";

export interface TlsFiles {
  caCert: string;
  cert: string;
  key: string;
}

/** A CA and a server certificate for `hostname` (ECDSA P-256), written to `dir`. */
export async function makeCertificates(dir: string, hostname: string): Promise<TlsFiles> {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  await runOk("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("ca.key")]);
  await runOk("openssl", [
    "req", "-x509", "-new", "-key", f("ca.key"), "-sha256", "-days", "2", "-subj", "/CN=ezorg test CA", "-out", f("ca.pem"),
  ]);
  await runOk("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f("server.key")]);
  await runOk("openssl", ["req", "-new", "-key", f("server.key"), "-subj", `/CN=${hostname}`, "-out", f("server.csr")]);
  writeFileSync(f("ext.cnf"), `subjectAltName=DNS:${hostname}\nextendedKeyUsage=serverAuth\n`);
  await runOk("openssl", [
    "x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial",
    "-days", "2", "-sha256", "-extfile", f("ext.cnf"), "-out", f("server.pem"),
  ]);
  return { caCert: f("ca.pem"), cert: f("server.pem"), key: f("server.key") };
}

export interface Listener {
  port: number;
  /** smtpd_tls_(mandatory_)protocols of this listener, e.g. `>=TLSv1.3` or `<=TLSv1.2`. */
  tlsProtocols: string;
}

export interface PostfixInstance {
  configDir: string;
  address: string;
  logFile: string;
  stop(): Promise<void>;
}

async function registerAlternateDirectory(dir: string): Promise<void> {
  const current = (await runOk("postconf", ["-h", "alternate_config_directories"])).stdout.trim();
  const dirs = current.split(/[\s,]+/).filter(Boolean);
  if (dirs.includes(dir)) return;
  await runOk("postconf", ["-e", `alternate_config_directories = ${[...dirs, dir].join(", ")}`]);
}

const SERVICES = `
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

/**
 * Starts (or restarts) instance `name` on `address`, one smtpd per listener, all with
 * STARTTLS required (`smtpd_tls_security_level = encrypt`) and the given protocols.
 */
export async function startPostfix(opts: {
  name: string;
  address: string;
  hostname: string;
  tls: TlsFiles;
  listeners: Listener[];
  /** More main.cf lines, e.g. a relayhost nothing listens on, so mail stays queued. */
  mainCf?: string[];
}): Promise<PostfixInstance> {
  const dir = join(POSTFIX_TEST_ROOT, opts.name);
  await registerAlternateDirectory(dir);
  if (existsSync(join(dir, "main.cf"))) await run("postfix", ["-c", dir, "stop"]);
  rmSync(dir, { recursive: true, force: true });
  for (const sub of ["queue", "log"]) mkdirSync(join(dir, sub), { recursive: true });
  mkdirSync(join(dir, "data"));
  const uid = Number((await runOk("id", ["-u", "postfix"])).stdout);
  const gid = Number((await runOk("id", ["-g", "postfix"])).stdout);
  chownSync(join(dir, "data"), uid, gid);
  const logFile = join(dir, "log", "postfix.log");

  writeFileSync(
    join(dir, "main.cf"),
    [
      "compatibility_level = 3.6",
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      `maillog_file = ${logFile}`,
      `maillog_file_prefixes = ${dir}/log`,
      `myhostname = ${opts.hostname}`,
      // Postfix only accepts interface addresses here; master.cf binds the 127.x address.
      "inet_interfaces = loopback-only",
      "inet_protocols = ipv4",
      "mydestination =",
      "alias_maps =",
      "alias_database =",
      "smtpd_banner = $myhostname ESMTP",
      `smtpd_tls_cert_file = ${opts.tls.cert}`,
      `smtpd_tls_key_file = ${opts.tls.key}`,
      "smtpd_tls_security_level = encrypt",
      "smtpd_relay_restrictions = reject",
      ...(opts.mainCf ?? []),
      "",
    ].join("\n"),
  );
  const listeners = opts.listeners
    // With security level `encrypt` smtpd applies the mandatory list; set both.
    .map(
      (l) =>
        `${opts.address}:${l.port} inet n - n - - smtpd -o { smtpd_tls_protocols = ${l.tlsProtocols} } -o { smtpd_tls_mandatory_protocols = ${l.tlsProtocols} }`,
    )
    .join("\n");
  writeFileSync(join(dir, "master.cf"), `${listeners}\n${SERVICES}`);

  // Errors before logging starts go only to a terminal; `script` gives them one.
  const started = await run("script", ["-qc", `postfix -c ${dir} start`, "/dev/null"]);
  if (started.code !== 0 || /fatal:/.test(started.stdout)) {
    throw new Error(`postfix -c ${dir} start exited ${started.code}: ${started.stdout}${started.stderr}`);
  }
  for (const l of opts.listeners) await waitForPort(opts.address, l.port, `postfix ${opts.name}`);

  return {
    configDir: dir,
    address: opts.address,
    logFile,
    async stop() {
      await run("postfix", ["-c", dir, "stop"]);
      for (const l of opts.listeners) await waitForPort(opts.address, l.port, `postfix ${opts.name}`, true);
    },
  };
}
