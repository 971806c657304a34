/**
 * How the Postfix renderers scale: 10,000 generated customers with two domains each,
 * rendered for the relay and a secure node, then looked up by Postfix itself with
 * `postmap -q` on the texthash files exactly as written (no postmap build step).
 * Run: npx tsx bench/maps.bench.ts   (prints numbers; not a test)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { Customer } from "../components/config/model";
import { renderRelay } from "../components/postfix/relay";
import { renderSecureNode } from "../components/postfix/secure-node";
import { sampleCustomers, samplePlatform } from "../test/fixtures";

const CUSTOMERS = 10_000;

function generate(n: number): Customer[] {
  const template = sampleCustomers()[0];
  return Array.from({ length: n }, (_, i) => ({
    ...template,
    slug: `klant-${i}`,
    domains: [`klant-${i}.example.nl`, `praktijk-${i}.example.nl`],
    mailServer: { ...template.mailServer, address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
    credential: { username: `klant-${i}`, passwordHash: `{SHA512-CRYPT}$6$salt${i}$${"x".repeat(86)}` },
  }));
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const v = f();
  return [v, (performance.now() - t) / 1000];
}

function main(): void {
  const platform = samplePlatform();
  const customers = generate(CUSTOMERS);
  const dir = mkdtempSync(join(tmpdir(), "ezorg-bench-"));
  const options = { configDirectory: join(dir, "relay") };
  const [relay, relaySeconds] = timed(() => renderRelay(platform, customers, options));
  const nodeOptions = { configDirectory: join(dir, "node"), dovecotDirectory: join(dir, "dovecot") };
  const first = platform.secureNodes.nodes[0];
  const [node, nodeSeconds] = timed(() => renderSecureNode(platform, customers, first, nodeOptions));
  const domains = customers.reduce((n, c) => n + c.domains.length, 0);
  console.log(`customers ${CUSTOMERS}, domains ${domains}`);
  console.log(`render relay        ${relaySeconds.toFixed(3)} s`);
  console.log(`render secure node  ${nodeSeconds.toFixed(3)} s`);

  for (const [path, text] of Object.entries({ ...relay, ...node })) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }

  const last = customers[customers.length - 1];
  const lastDomain = last.domains[last.domains.length - 1];
  const lookups: Array<[string, string, string]> = [
    [join(options.configDirectory, "relay_domains"), lastDomain, last.slug],
    [join(options.configDirectory, "transport"), lastDomain, `customer:[${last.mailServer.address}]:25`],
    [join(options.configDirectory, "relay_clients"), last.mailServer.address, "OK"],
    [join(nodeOptions.configDirectory, "sender_logins"), `@${lastDomain}`, last.credential!.username],
  ];
  let failures = 0;
  for (const [file, key, expected] of lookups) {
    // Best of three: the first exec of postmap on a cold machine also pays for loading its libraries.
    let got = "";
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      got = execFileSync("postmap", ["-q", key, `texthash:${file}`], { encoding: "utf8" }).trim();
      ms = Math.min(ms, performance.now() - t);
    }
    const ok = got === expected;
    if (!ok) failures++;
    const kib = (statSync(file).size / 1024).toFixed(0);
    const mark = ok ? "✓" : "✗";
    console.log(`${mark} postmap -q ${key} texthash:${file} -> ${got}  (best of 3: ${ms.toFixed(1)} ms, ${kib} KiB read)`);
  }

  // postconf reads main.cf the way every Postfix daemon does; a parse error would show here.
  const settings = execFileSync("postconf", ["-c", options.configDirectory, "-n"], { encoding: "utf8" }).split("\n").filter(Boolean).length;
  console.log(`postconf -c ${options.configDirectory} -n: ${settings} settings parsed`);

  rmSync(dir, { recursive: true, force: true });
  const tally = `${lookups.length - failures}/${lookups.length} lookups returned the expected value`;
  console.log(`${failures ? "✗" : "✓"} ${tally}`);
  process.exitCode = failures ? 1 : 0;
}

main();
