/**
 * Reading the shape of a fingerprinted statement (lower-case, literals as ?).
 * Pure helpers shared by the database detectors.
 */
import { isPgParserLoaded, pgKeyLookup, type KeyLookup } from '../../db/pg-parser';
import { mysqlKeyLookup } from '../../db/mysql-parser';
import type { DetectorContext } from './types';

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

/**
 * A lookup by key (SELECT, UPDATE or DELETE whose WHERE is `column = value`, a composite key, or `IN (...)`), read
 * with the engine's own grammar: PostgreSQL's parser (libpg_query, loaded by the CLI before analysing) or the
 * MySQL/MariaDB grammar. Only when PostgreSQL's parser is not loaded does the plain `where col = ?` shape stand in.
 */
export function keyLookup(fingerprint: string, system: string): KeyLookup | null {
  if (!/postgres/i.test(system)) return mysqlKeyLookup(fingerprint);
  if (isPgParserLoaded()) return pgKeyLookup(fingerprint);
  const m = singleKeyPredicate(fingerprint);
  if (!m) return null;
  const at = fingerprint.search(/\bwhere\s/);
  const before = fingerprint.slice(0, at).match(/\(\?\+\)|\?|\$\d+/g)?.length ?? 0;
  return { columns: [m.column], slots: [before], table: mainTable(fingerprint), form: 'eq' };
}

/** What a key lookup's keys did over the run. */
export interface KeyValues {
  lookup: KeyLookup;
  /** Every call used the same key (in each process); null when the probes did not track the values. */
  constant: boolean | null;
  /** About how many distinct keys the calls used (the key column with the most); null when not tracked. */
  distinct: number | null;
}

/** A statement class's key and what its values did: the figures that tell one row from many. */
export function keyValues(fingerprint: string, system: string, ctx: DetectorContext): KeyValues | null {
  const lookup = keyLookup(fingerprint, system);
  if (!lookup) return null;
  const stats = ctx.valueStats(system, fingerprint);
  const slots = lookup.slots.map((i) => stats?.slots[i] ?? null);
  if (!stats || slots.some((s) => s === null)) return { lookup, constant: null, distinct: null };
  return {
    lookup,
    constant: slots.every((s) => s!.constant),
    distinct: Math.max(...slots.map((s) => s!.distinct)),
  };
}
