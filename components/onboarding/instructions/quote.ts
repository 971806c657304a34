/**
 * Quoting for the scripts the instructions generate. Every value from a descriptor or a
 * platform stack passes through one of these before it lands in a script, so a group name
 * with a quote in it stays a group name and never becomes code.
 */

// C0 controls, DEL, C1 controls and the Unicode line and paragraph separators: each can end
// a comment line or a statement in PowerShell or sh, and none belongs in a name or address.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Throws unless `value` is free of control characters; `field` names where it came from. */
export function checkPrintable(value: string, field: string): string {
  const bad = CONTROL.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, "0");
    throw new Error(`${field}: got ${JSON.stringify(value)}; it holds the control character U+${code}, which could end a line of the generated script. Fix: remove it from the descriptor or stack file`);
  }
  return value;
}

// PowerShell closes a single-quoted string on the ASCII apostrophe and on the four Unicode
// single quotation marks (‘ ’ ‚ ‛); inside the string each is escaped by doubling it.
const PS_SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;

/** A PowerShell single-quoted string literal holding exactly `value` (no expansion inside). */
export function psQuote(value: string, field: string): string {
  checkPrintable(value, field);
  return `'${value.replace(PS_SINGLE_QUOTES, "$&$&")}'`;
}

/** A POSIX sh single-quoted word holding exactly `value`. */
export function shQuote(value: string, field: string): string {
  checkPrintable(value, field);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Text for a `#` comment line (PowerShell and sh alike): printable, so it cannot end the comment. */
export function commentText(value: string, field: string): string {
  return checkPrintable(value, field);
}
