/**
 * SPF records as data: parse, merge the provider's include into what a domain already
 * publishes, and count DNS lookups against the limit of RFC 7208 section 4.6.4.
 */

/** RFC 7208 4.6.4: at most 10 mechanisms or modifiers that cause DNS lookups. */
export const SPF_LOOKUP_LIMIT = 10;

const LOOKUP_MECHANISMS = new Set(["include", "a", "mx", "ptr", "exists", "redirect"]);

export interface SpfLookup {
  /** The term as written, e.g. `include:_spf.ezorg.nl`. */
  term: string;
  /** Lookups this term costs, known without resolving anything further. */
  lookups: number;
}

export interface SpfMerge {
  /** The single record the domain must publish. */
  record: string;
  /** One entry per term that costs a lookup. */
  lookups: SpfLookup[];
  /** Sum of `lookups`; nested includes add to it when resolved (the live DNS check does that). */
  total: number;
  /** True when the total already exceeds the limit. */
  overLimit: boolean;
}

function mechanismName(term: string): string {
  const bare = term.replace(/^[-+~?]/, "");
  return bare.split(/[:/=]/, 1)[0].toLowerCase();
}

/** Terms of a record after `v=spf1`, in order. */
export function spfTerms(record: string): string[] {
  const parts = record.trim().split(/\s+/);
  if (parts[0]?.toLowerCase() !== "v=spf1") {
    throw new Error(`not an SPF record (must start with v=spf1): ${record}`);
  }
  return parts.slice(1).filter(Boolean);
}

/** The terms that cost a DNS lookup, one lookup each before nested records are resolved. */
export function countLookups(terms: string[]): SpfLookup[] {
  return terms.filter((t) => LOOKUP_MECHANISMS.has(mechanismName(t))).map((term) => ({ term, lookups: 1 }));
}

/**
 * Merges `include:<include>` into an existing record: every existing term is kept in its
 * order, the include goes right before the `all` mechanism (or a `redirect=`), and a
 * domain without a record gets `v=spf1 include:<include> -all`.
 */
export function mergeSpf(existing: string | undefined, include: string): SpfMerge {
  const wanted = `include:${include}`;
  let terms = existing ? spfTerms(existing) : ["-all"];
  const has = terms.some((t) => t.replace(/^\+/, "").toLowerCase() === wanted.toLowerCase());
  if (!has) {
    const end = terms.findIndex((t) => ["all", "redirect"].includes(mechanismName(t)));
    terms = end === -1 ? [...terms, wanted] : [...terms.slice(0, end), wanted, ...terms.slice(end)];
  }
  const lookups = countLookups(terms);
  const total = lookups.reduce((n, l) => n + l.lookups, 0);
  return { record: ["v=spf1", ...terms].join(" "), lookups, total, overLimit: total > SPF_LOOKUP_LIMIT };
}
