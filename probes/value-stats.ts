import { fingerprintSql, hashChars, mix32, type SqlDialect, type SqlFingerprint } from './sql-fingerprint';
import type { ValueStatsRecord } from './trace-records';

/**
 * Per statement class, what its values do, computed from hashes and never from values: for each value position
 * of the fingerprint (a bind parameter or a literal inlined in the text, each `?`/`$n`/`(?+)` in order), whether
 * it kept its first value on every call and about how many distinct values it took.
 *
 * This tells apart what no timing can: one progress row written over and over (`where job = 'reconcile'` or
 * `where id = $2` with the same key every call) from many rows written once each; N lookups of N distinct keys
 * (an N+1 to batch) from N lookups of a few keys (a cache to add). Literals count as much as parameters: half of
 * real code concatenates its values into the SQL text.
 *
 * Distinct counts come from a K-minimum-values sketch of 32-bit hashes (exact below {@link SKETCH_K} distinct
 * values, about 1/sqrt(K-2) = 18% relative error above). Only counts and flags leave the process: no hash is
 * written, since a hash of a small domain (ids) could be reversed.
 *
 * Cost per call: the statement's fingerprint (cached by text), one hash per bind value (literal hashes are
 * computed once per text, with the fingerprint), and a compare with the sketch's largest kept hash.
 */

/** Statement classes tracked per process (a bound on memory; later classes are not tracked). */
export const MAX_TRACKED_CLASSES = 500;
/** Value positions tracked per class (the rest are not reported). */
export const MAX_TRACKED_SLOTS = 16;
/** Hashes kept per value position: K of the K-minimum-values sketch (32 x 4 bytes per position). */
export const SKETCH_K = 32;
/** Characters of a string value hashed at each end: long values are told apart by their ends and length. */
const HASH_EDGE_CHARS = 32;

const NULL_HASH = mix32(0x6e756c6c);
const TRUE_HASH = mix32(0x74727565), FALSE_HASH = mix32(0x66616c73);

/** A bind value's 32-bit hash (of its text, as a literal's is: see sql-fingerprint.ts), or null for values not compared cheaply (buffers, arrays, objects). */
export function hashValue(v: unknown): number | null {
  switch (typeof v) {
    // As its text: the same value hashes alike bound (`$1` with 5) or inlined (`= 5`, `= '5'`).
    case 'number': return hashString(String(v));
    case 'string': return hashString(v);
    case 'bigint': return hashString(v.toString());
    case 'boolean': return v ? TRUE_HASH : FALSE_HASH;
    case 'undefined': return NULL_HASH;
    case 'object':
      if (v === null) return NULL_HASH;
      if (v instanceof Date) return hashString(String(v.getTime()));
      return null;
    default: return null;
  }
}

function hashString(s: string): number {
  if (s.length <= HASH_EDGE_CHARS * 2) return hashChars(s, 0, s.length);
  return mix32(hashChars(s, 0, HASH_EDGE_CHARS) ^ Math.imul(hashChars(s, s.length - HASH_EDGE_CHARS, s.length), 31) ^ s.length);
}

/** One value position's statistics. */
class SlotStat {
  first = -1;
  varies = false;
  /** Set when a call's value could not be hashed (the position's figures are then unknown). */
  unknown = false;
  /** The smallest distinct hashes seen, ascending, at most SKETCH_K. */
  readonly mins: number[] = [];

  observe(h: number): void {
    if (this.first < 0) this.first = h;
    else if (h !== this.first) this.varies = true;
    const m = this.mins;
    const n = m.length;
    if (n === SKETCH_K && h >= m[n - 1]!) return;
    let i = n;
    while (i > 0 && m[i - 1]! > h) i--;
    if (i > 0 && m[i - 1] === h) return;
    m.splice(i, 0, h);
    if (m.length > SKETCH_K) m.pop();
  }

  /** Estimated distinct values: exact below SKETCH_K, else (K - 1) / (K-th smallest hash / 2^32). */
  distinct(): number {
    const m = this.mins;
    if (m.length < SKETCH_K) return m.length;
    return Math.round((SKETCH_K - 1) / ((m[SKETCH_K - 1]! + 1) / 0x100000000));
  }
}

interface ClassEntry { system: 'postgresql' | 'mysql'; fingerprint: string; calls: number; slots: SlotStat[] }

/** Tracks, per statement class, the constancy and distinct count of each value position. */
export class ValueStats {
  /**
   * The class entries by fingerprint text, per dialect. The key is the fingerprint's own string: a cached
   * fingerprint and a literal template (sql-fingerprint.ts) hand out the same string object each call, whose hash V8
   * keeps, so a lookup builds no key and hashes nothing.
   */
  private readonly pg = new Map<string, ClassEntry>();
  private readonly my = new Map<string, ClassEntry>();

  /**
   * Records one call: its statement text and bind values (callers guard it with safely()). `fp`, when the caller has
   * it already, is the text's fingerprint (a text with inlined values is not cached by text: fingerprinting it twice
   * would scan it twice).
   */
  observe(system: SqlDialect, text: unknown, values: unknown, fp?: SqlFingerprint): void {
    if (typeof text !== 'string') return;
    fp ??= fingerprintSql(text, system);
    const slots = fp.slots;
    if (!fp.parsed || !slots || slots.length === 0) return;
    const classes = system === 'mysql' ? this.my : this.pg;
    let e = classes.get(fp.text);
    if (!e) {
      if (this.pg.size + this.my.size >= MAX_TRACKED_CLASSES) return;
      const n = Math.min(slots.length, MAX_TRACKED_SLOTS);
      const stats: SlotStat[] = [];
      for (let i = 0; i < n; i++) stats.push(new SlotStat());
      classes.set(fp.text, (e = { system: system === 'mysql' ? 'mysql' : 'postgresql', fingerprint: fp.text, calls: 0, slots: stats }));
    }
    e.calls++;
    const vals = Array.isArray(values) ? values : null;
    const st = e.slots;
    for (let i = 0; i < st.length; i++) {
      const s = slots[i];
      const stat = st[i]!;
      if (s === null || s === undefined) { stat.unknown = true; continue; }
      const h = s >= 0 ? s : vals ? hashValue(vals[-s - 1]) : null;
      if (h === null) stat.unknown = true;
      else stat.observe(h);
    }
  }

  /** Classes called more than once with at least one value position, with each position's figures. */
  summary(): ValueStatsRecord[] {
    const out: ValueStatsRecord[] = [];
    for (const e of [...this.pg.values(), ...this.my.values()]) {
      if (e.calls < 2) continue;
      out.push({
        system: e.system, fingerprint: e.fingerprint, calls: e.calls,
        slots: e.slots.map((s) => (s.unknown ? null : { constant: !s.varies, distinct: s.distinct(), exact: s.mins.length < SKETCH_K })),
      });
    }
    return out;
  }
}
