/**
 * Reading the shape of a fingerprinted statement (lower-case, literals as ?).
 * Pure helpers shared by the database detectors.
 */

/** The statement's verb: select, insert, update, delete, ... ('with' is looked through). */
export function verbOf(fingerprint: string): string {
  const m = /^\(*\s*([a-z]+)/.exec(fingerprint);
  const v = m?.[1] ?? '';
  if (v === 'with') {
    const main = /\)\s*(select|insert|update|delete)\b(?![\s\S]*\)\s*(select|insert|update|delete)\b)/.exec(fingerprint);
    return main?.[1] ?? 'with';
  }
  return v;
}

const PARAM = String.raw`(?:\$\d+|\?)`;
const IDENT = String.raw`(?:[a-z_][a-z0-9_$]*|"[^"]+"|` + '`[^`]+`' + String.raw`)(?:\.(?:[a-z_][a-z0-9_$]*|"[^"]+"|` + '`[^`]+`' + '))?';

/**
 * A single-key lookup `... where <col> = <param>` with no other predicate:
 * returns the column, or null.
 */
export function singleKeyPredicate(fingerprint: string): { column: string; param: string } | null {
  const m = new RegExp(String.raw`\bwhere\s+(${IDENT})\s*=\s*(${PARAM})\s*(?:$|order\b|limit\b|for\b|;)`).exec(fingerprint);
  if (!m) return null;
  return { column: m[1]!, param: m[2]! };
}

/** The table after FROM / INTO / UPDATE, if simple. */
export function mainTable(fingerprint: string): string | null {
  const m = new RegExp(String.raw`\b(?:from|into|update)\s+(${IDENT})`).exec(fingerprint);
  return m?.[1] ?? null;
}

/** Column list of an INSERT ... (cols) VALUES, if present. */
export function insertColumns(fingerprint: string): string[] | null {
  const m = /\binsert\s+(?:ignore\s+)?into\s+\S+\s*\(([^)]*)\)\s*values\b/.exec(fingerprint);
  return m ? m[1]!.split(',').map((c) => c.trim()).filter(Boolean) : null;
}
