/**
 * DNS checks at fleet scale: the lab serves 1,000 signed customer domains (exactly the
 * record model's records at stage live), and every DNS check runs for all of them against
 * the lab's validating Unbound, a bounded number of domains at a time. Printed beside it:
 * the resolver's own ceiling, measured with the same client and concurrency on the same
 * questions. Goal: all 1,000 verified in under 10 s. Not a test: it prints numbers and
 * exits 1 when the goal is missed or a check fails.
 *
 * Run: npx tsx bench/dns-checks.bench.ts [--domains 1000] [--concurrency 64]
 * Takes 127.0.13.x (as test/service/checks-dns.test.ts does): run it when that test is not running.
 */
import { Customer } from "../components/config/model";
import { dnsChecks } from "../scripts/checks/dns-checks";
import { query } from "../scripts/checks/dns-client";
import { startLab } from "../scripts/lab/servers";
import { CheckContext } from "../scripts/onboard/types";
import { sampleCustomers, samplePlatform } from "../test/fixtures";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DOMAINS = arg("domains", 1000);
const CONCURRENCY = arg("concurrency", 64);
const GOAL_S = 10;

/** Runs `work` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function main(): Promise<void> {
  const platform = samplePlatform();
  const domains = Array.from({ length: DOMAINS }, (_, i) => `c${String(i).padStart(4, "0")}.example.nl`);
  const customer: Customer = { ...sampleCustomers()[1], stage: "live", domains, dkim: { selector: "ezorg2026", publicKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAbench" } };

  process.stdout.write(`starting the lab: Knot signs ${DOMAINS} zones, Unbound validates… `);
  let t = performance.now();
  const lab = await startLab({ name: "lab-bench", net: "127.0.13", platform, customer, mail: false });
  console.log(`${((performance.now() - t) / 1000).toFixed(1)} s`);

  try {
    const base = lab.context(() => new Date("2026-06-15T12:00:00Z"));
    const verify = async () => {
      let failed = 0;
      let lines = 0;
      const start = performance.now();
      await pool(domains, CONCURRENCY, async (d) => {
        // A context per domain, as the walkthrough makes one per customer.
        const ctx: CheckContext = { ...base, customer: { ...customer, domains: [d] } };
        const results = (await Promise.all(dnsChecks.map((c) => c.run(ctx)))).flat();
        lines += results.length;
        failed += results.filter((r) => !r.ok).length;
      });
      return { seconds: (performance.now() - start) / 1000, failed, lines };
    };

    // The same questions the checks ask per domain (SPF and NTA share the apex TXT).
    const questions = (d: string): Array<[string, Parameters<typeof query>[2]]> => [
      [d, "TXT"], [d, "MX"], [d, "DNSKEY"], [d, "DS"], [`ezorg2026._domainkey.${d}`, "TXT"], [`_dmarc.${d}`, "TXT"], [platform.spf.include, "TXT"],
    ];
    const ceiling = async () => {
      const start = performance.now();
      await pool(domains, CONCURRENCY, async (d) => void (await Promise.all(questions(d).map(([n, type]) => query(lab.targets.resolver, n, type)))));
      return (performance.now() - start) / 1000;
    };

    const cold = await verify();
    const warm = await verify();
    const plain = await ceiling();
    const perDomain = questions("x").length;
    const row = (label: string, s: number, extra = "") => console.log(`${label.padEnd(44)} ${s.toFixed(2).padStart(6)} s  ${Math.round(DOMAINS / s).toString().padStart(6)} domains/s${extra}`);
    console.log(`\n${DOMAINS} domains, ${CONCURRENCY} at a time, ${dnsChecks.length} checks (${cold.lines / DOMAINS} lines) per domain`);
    row("checks, cold resolver cache", cold.seconds, `  ${cold.failed} failed lines`);
    row("checks, warm resolver cache", warm.seconds, `  ${warm.failed} failed lines`);
    row(`resolver ceiling (${perDomain} plain queries/domain)`, plain, `  ${Math.round((DOMAINS * perDomain) / plain)} queries/s`);
    const ok = cold.failed === 0 && warm.failed === 0 && cold.seconds < GOAL_S && warm.seconds < GOAL_S;
    console.log(`${ok ? "✓" : "✗"} goal: every domain verified, in under ${GOAL_S} s`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    t = performance.now();
    await lab.stop();
    console.log(`lab stopped in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
}

main().catch((e) => {
  console.error(`✗ bench failed: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
});
