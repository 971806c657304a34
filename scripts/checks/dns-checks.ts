/**
 * DNS checks of a customer's domains, asked of a DNSSEC-validating resolver: what the
 * record model (components/dns/records.ts) says the domain must publish at its stage, as
 * the rest of the internet sees it. One result line per domain and rule. A resolver that
 * does not answer throws ResolverUnreachable: a fault to retry, not a verdict.
 */
import { Customer, PlatformConfig } from "../../components/config/model";
import { publishesNtaDns, publishesSpf } from "../../components/config/stages";
import { dmarcRecord, mxRecords } from "../../components/dns/records";
import { countLookups, mergeSpf, SPF_LOOKUP_LIMIT, spfTerms } from "../../components/dns/spf";
import { parseNtaRecord } from "../../components/postfix/nta7516";
import { CheckContext, CheckResult } from "../onboard/types";
import { DnsAnswer, query } from "./dns-client";
import type { StagedCheck } from "./index";

type Type = Parameters<typeof query>[2];
const asked = new WeakMap<CheckContext, Map<string, Promise<DnsAnswer>>>();

/** One question per name and type per check run: SPF and NTA share the apex TXT, domains share includes. */
function ask(ctx: CheckContext, name: string, type: Type): Promise<DnsAnswer> {
  let memo = asked.get(ctx);
  if (!memo) asked.set(ctx, (memo = new Map()));
  const key = `${name.toLowerCase()} ${type}`;
  if (!memo.has(key)) memo.set(key, query(ctx.targets.resolver, name, type));
  return memo.get(key)!;
}

const isSpf = (t: string) => /^v=spf1(\s|$)/i.test(t.trim());
const bare = (host: string) => host.toLowerCase().replace(/\.$/, "");

/** `k=v; k=v` tag lists (DKIM, DMARC), names in lower case. */
export function tags(record: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of record.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** A check that runs the same rule on every domain of the customer. */
function perDomain(id: string, title: string, applies: (c: Customer) => boolean, rule: (ctx: CheckContext, domain: string) => Promise<CheckResult[]>): StagedCheck {
  return { id, title, applies, run: async (ctx) => (await Promise.all(ctx.customer.domains.map((d) => rule(ctx, d)))).flat() };
}

export const mxCheck = perDomain("dns.mx", "MX: exactly the platform's mailfilters", publishesNtaDns, async (ctx, domain) => {
  const id = `dns.mx:${domain}`;
  const want = mxRecords(ctx.platform, domain).map((r) => `${r.priority} ${bare(r.content)}`);
  const got = (await ask(ctx, domain, "MX")).values.map((v) => bare(v));
  const missing = want.filter((w) => !got.includes(w));
  const extra = got.filter((g) => !want.includes(g)).sort();
  if (!missing.length && !extra.length) return [{ id, ok: true, detail: `${domain}: ${want.join(", ")}` }];
  const seen = [missing.length ? `missing ${missing.join(", ")}` : "", extra.length ? `unexpected ${extra.join(", ")}` : ""].filter(Boolean);
  return [{ id, ok: false, detail: `${domain}: ${seen.join("; ")}`, fix: `publish exactly these MX records for ${domain}: ${want.join(", ")}, and remove any other` }];
});

/**
 * Lookups one SPF record costs, nested includes and redirects resolved through the resolver.
 * Known shortcoming: a term with a macro (`%{...}`) counts 1 and is not followed, and the
 * separate limits on names behind one `mx` and on void lookups (RFC 7208 4.6.4) are not counted.
 */
async function nestedLookups(ctx: CheckContext, target: string, path: string[], problems: string[]): Promise<number> {
  if (target.includes("%{")) return 0;
  if (path.includes(target) || path.length > SPF_LOOKUP_LIMIT) {
    problems.push(`${target}: include loop (${[...path, target].join(" → ")})`);
    return 0;
  }
  const records = (await ask(ctx, target, "TXT")).values.filter(isSpf);
  if (records.length !== 1) {
    problems.push(`${target}: ${records.length} SPF records (permerror)`);
    return 0;
  }
  let total = 0;
  for (const l of countLookups(spfTerms(records[0]))) total += await termLookups(ctx, l.term, [...path, target], problems);
  return total;
}

/** 1 for the term itself, plus what an include or redirect pulls in. */
async function termLookups(ctx: CheckContext, term: string, path: string[], problems: string[]): Promise<number> {
  const m = /^[-+~?]?(include:|redirect=)(.+)$/i.exec(term);
  return 1 + (m ? await nestedLookups(ctx, bare(m[2]), path, problems) : 0);
}

export const spfCheck = perDomain("dns.spf", "SPF: one record, the platform's include, at most 10 lookups", publishesSpf, async (ctx, domain) => {
  const include = `include:${ctx.platform.spf.include}`;
  // Sorted: resolvers return an RRset in any order, and the line must not change with it.
  const records = (await ask(ctx, domain, "TXT")).values.filter(isSpf).sort();
  const expected = spfFor(ctx.platform, ctx.customer, domain, records);
  if (records.length !== 1) {
    const detail = records.length ? `${domain}: ${records.length} SPF records: ${records.join(" | ")}` : `${domain}: no SPF record`;
    return [{ id: `dns.spf.record:${domain}`, ok: false, detail, fix: `publish exactly one SPF record at ${domain}: ${expected}` }];
  }
  const record = records[0];
  const terms = spfTerms(record);
  const out: CheckResult[] = [{ id: `dns.spf.record:${domain}`, ok: true, detail: `${domain}: ${record}` }];
  const has = terms.some((t) => t.replace(/^\+/, "").toLowerCase() === include.toLowerCase());
  out.push(has
    ? { id: `dns.spf.include:${domain}`, ok: true, detail: `${domain}: ${include} present` }
    : { id: `dns.spf.include:${domain}`, ok: false, detail: `${domain}: ${include} missing`, fix: `publish ${expected}` });

  const problems: string[] = [];
  const counts = await Promise.all(countLookups(terms).map(async (l) => ({ term: l.term, n: await termLookups(ctx, l.term, [domain], problems) })));
  const total = counts.reduce((s, c) => s + c.n, 0);
  const detail = `${domain}: ${counts.map((c) => `${c.term} ${c.n}`).join(", ") || "no lookups"} — ${total} of ${SPF_LOOKUP_LIMIT}${problems.length ? `; ${problems.join("; ")}` : ""}`;
  const ok = total <= SPF_LOOKUP_LIMIT && !problems.length;
  out.push(ok
    ? { id: `dns.spf.lookups:${domain}`, ok, detail }
    : { id: `dns.spf.lookups:${domain}`, ok, detail, fix: total > SPF_LOOKUP_LIMIT ? "replace includes by the ip4:/ip6: ranges they stand for, or drop the ones no longer used, until at most 10 lookups remain" : "fix or remove the includes named above: receivers treat them as a permanent error" });
  return out;
});

/** The record to publish: the one already there (or the descriptor's), with the platform's include merged in. */
function spfFor(platform: PlatformConfig, customer: Customer, domain: string, published: string[]): string {
  const base = published.length === 1 ? published[0] : customer.dns.existingSpf?.[domain];
  return mergeSpf(base, platform.spf.include).record;
}

// Known shortcoming: during a rotation only the signing (current) selector is checked, not
// that the previous one is still published until its `until` date.
export const dkimCheck = perDomain("dns.dkim", "DKIM: the signing key is published", publishesNtaDns, async (ctx, domain) => {
  const id = `dns.dkim:${domain}`;
  const dkim = ctx.customer.dkim;
  if (!dkim) return [{ id, ok: false, detail: `${domain}: the descriptor has no dkim key`, fix: "add dkim.selector and dkim.publicKey to the descriptor (ezorg rotate dkim creates them)" }];
  const name = `${dkim.selector}._domainkey.${domain}`;
  const keys = (await ask(ctx, name, "TXT")).values.filter((v) => "p" in tags(v));
  const fix = `publish TXT ${name}: v=DKIM1; k=rsa; p=${dkim.publicKey}`;
  if (keys.length !== 1) return [{ id, ok: false, detail: `${name}: ${keys.length} DKIM key records`, fix }];
  const p = tags(keys[0]).p.replace(/\s+/g, "");
  if (p !== dkim.publicKey) return [{ id, ok: false, detail: `${name}: p= is not the signing key (published ${p.slice(0, 16)}…, expected ${dkim.publicKey.slice(0, 16)}…)`, fix }];
  return [{ id, ok: true, detail: `${name}: the signing key (${p.slice(0, 16)}…)` }];
});

export const dmarcCheck = perDomain("dns.dmarc", "DMARC: an enforcing policy", publishesNtaDns, async (ctx, domain) => {
  const id = `dns.dmarc:${domain}`;
  const name = `_dmarc.${domain}`;
  const records = (await ask(ctx, name, "TXT")).values.filter((v) => /^v=DMARC1(;|\s|$)/i.test(v.trim()));
  const fix = `publish one TXT record at ${name}: ${dmarcRecord(ctx.customer, domain).content}`;
  if (records.length !== 1) return [{ id, ok: false, detail: `${name}: ${records.length} DMARC records`, fix }];
  const policy = (tags(records[0]).p ?? "").toLowerCase();
  if (policy !== "quarantine" && policy !== "reject") {
    return [{ id, ok: false, detail: `${name}: p=${policy || "(none given)"}; NTA 7516 asks for quarantine or reject`, fix }];
  }
  return [{ id, ok: true, detail: `${name}: p=${policy}` }];
});

/*
 * AD is read on the MX and DNSKEY answers: the DNS client asks no SOA (not among its types).
 * Known shortcoming: "the parent" in the messages is the domain minus its first label; the
 * zone cut is not looked up, so a domain delegated two labels down is named wrongly there
 * (the verdict, from the DS answer itself, is right either way).
 */
export const dnssecCheck = perDomain("dns.dnssec", "DNSSEC: validated answers and a DS at the parent", publishesNtaDns, async (ctx, domain) => {
  const [mx, keys, ds] = await Promise.all([ask(ctx, domain, "MX"), ask(ctx, domain, "DNSKEY"), ask(ctx, domain, "DS")]);
  const parent = domain.slice(domain.indexOf(".") + 1);
  const optOut = ctx.customer.dns.dnssec === false ? " (the descriptor has dns.dnssec: false; set it to true once the registrar can take the DS)" : "";
  const sign = ctx.customer.dns.hosting === "cloudflare" ? `turn DNSSEC on for ${domain}${optOut}` : `sign ${domain} at its DNS host${optOut}`;
  const out: CheckResult[] = [];
  const id = `dns.dnssec:${domain}`;
  if (mx.rcode === "SERVFAIL" || keys.rcode === "SERVFAIL") {
    out.push({ id, ok: false, detail: `${domain}: answers fail validation (SERVFAIL): the signatures do not match the DS at ${parent}`, fix: `publish the DS of the current key at the registrar of ${domain}, or re-sign the zone` });
  } else if (mx.ad && keys.ad && keys.values.length) {
    out.push({ id, ok: true, detail: `${domain}: MX and DNSKEY answers validated (AD)` });
  } else if (!keys.values.length) {
    out.push({ id, ok: false, detail: `${domain}: not signed (no DNSKEY)`, fix: sign });
  } else {
    out.push({ id, ok: false, detail: `${domain}: signed (${keys.values.length} DNSKEY) but answers are not validated: no chain of trust from ${parent}`, fix: `publish the DS of ${domain}'s key at its registrar (parent zone ${parent})` });
  }
  const dsId = `dns.ds:${domain}`;
  if (ds.values.length && ds.ad) out.push({ id: dsId, ok: true, detail: `${domain}: ${ds.values.length} DS at ${parent}, validated` });
  else if (ds.values.length) out.push({ id: dsId, ok: false, detail: `${domain}: DS at ${parent} but its answer is not validated`, fix: `${parent} itself must be signed and validated for the DS to count` });
  else out.push({ id: dsId, ok: false, detail: `${domain}: no DS at ${parent}`, fix: `publish the DS of ${domain}'s key at its registrar (parent zone ${parent})` });
  return out;
});

export const ntaCheck = perDomain("dns.nta7516", "NTA 7516 record: present and within its dates", publishesNtaDns, async (ctx, domain) => {
  const id = `dns.nta7516:${domain}`;
  const records = (await ask(ctx, domain, "TXT")).values.filter((t) => /^v=NTA7516-1(;|$)/.test(t.trim()));
  const fix = `publish the NTA 7516 record the plan lists for ${domain} (ezorg plan --stack customer-${ctx.customer.slug})`;
  if (records.length !== 1) return [{ id, ok: false, detail: `${domain}: ${records.length} NTA 7516 records`, fix }];
  const rec = parseNtaRecord(records[0]);
  if (!rec) return [{ id, ok: false, detail: `${domain}: malformed NTA 7516 record: ${records[0]}`, fix }];
  const month = ctx.now().toISOString().slice(0, 7);
  const span = `${rec.provider} ${rec.start}..${rec.end}`;
  if (month < rec.start || month > rec.end) {
    return [{ id, ok: false, detail: `${domain}: ${span} does not cover ${month}`, fix: `${fix}; the platform's certification period is ${ctx.platform.provider.certification.start}..${ctx.platform.provider.certification.end}` }];
  }
  return [{ id, ok: true, detail: `${domain}: ${span}, covers ${month}` }];
});

/** Every DNS check, in the order a walkthrough prints them. */
export const dnsChecks: StagedCheck[] = [spfCheck, mxCheck, dkimCheck, dmarcCheck, dnssecCheck, ntaCheck];
