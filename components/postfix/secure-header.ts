/**
 * Which value of the secure-mail header (`x-ezorg-secbypass`) reaches the secure nodes,
 * and what the node does with it. The customer's Exchange sets the header (onboarding
 * stage 7); the node only reads it, so Table 2 of the guide is decided by what arrives.
 */

/** Who asked for what: the Outlook add-in's "send unsafe" button and the two AD groups. */
export interface HeaderSources {
  outlookUnsafe: boolean;
  bypassGroup: boolean;
  secureGroup: boolean;
}

/** The header value the node receives; `undefined` means no header at all. */
export type HeaderValue = "true" | "false" | undefined;

/**
 * The customer's side, as the onboarding instructs it: the add-in writes `true` before
 * the message leaves Outlook; then Exchange's transport rules run in priority order and
 * each adds the header only when it is absent. The secure-group rule gets the higher
 * priority, so a user in both groups ends up with `false` (security by default, 6.1.16).
 */
export function headerReachingNode(s: HeaderSources): HeaderValue {
  if (s.outlookUnsafe) return "true";
  if (s.secureGroup) return "false";
  if (s.bypassGroup) return "true";
  return undefined;
}

/** The node's decision: only an explicit `true` (any case, surrounding blanks allowed) bypasses. */
export function routesSecurely(value: HeaderValue): boolean {
  return value?.trim().toLowerCase() !== "true";
}

export interface Table2Row {
  row: string;
  sources: HeaderSources;
  /** What reaches the node for this row. */
  header: HeaderValue;
  /** The guide's "mail sent securely" column. */
  secure: boolean;
}

/** One row: the V/X columns in the guide's order, then what reaches the node and the outcome. */
function row(label: string, flags: boolean[], header: HeaderValue, secure: boolean): Table2Row {
  const [outlookUnsafe, bypassGroup, secureGroup] = flags;
  return { row: label, sources: { outlookUnsafe, bypassGroup, secureGroup }, header, secure };
}
const [V, X] = [true, false];

/**
 * Table 2 of the guide (V = set, X = not set), with the header each row delivers, plus
 * the unlisted "user in both groups" row, which the guide leaves open and 6.1.16 settles.
 */
export const TABLE_2: readonly Table2Row[] = [
  row("X X X: nobody set anything", [X, X, X], undefined, true),
  row("X X V: safe group", [X, X, V], "false", true),
  row("X V X: unsafe group", [X, V, X], "true", false),
  row("V X X: Outlook unsafe", [V, X, X], "true", false),
  row("V V X: Outlook unsafe + unsafe group", [V, V, X], "true", false),
  row("V X V: Outlook unsafe + safe group", [V, X, V], "true", false),
  row("X V V: user in both groups (not in the guide)", [X, V, V], "false", true),
];
