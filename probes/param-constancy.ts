import { fingerprintSql, type SqlDialect } from './sql-fingerprint';
import type { ConstantParamsRecord } from './trace-records';

/**
 * Which bind parameters of a repeated statement never changed: the difference between a progress row written
 * over and over (`UPDATE job SET done = $1 WHERE id = $2` with the same `$2` every time) and a row-by-row
 * update of many rows, which no timing can tell apart. Only equality is kept, never a value: the first call's
 * values stay in memory to compare with, and the trace gets the positions that never varied.
 * Cost per call: one map lookup and one comparison per parameter.
 */

/** Statement texts tracked per process (a bound on memory; later texts are not tracked). */
export const MAX_TRACKED_STATEMENTS = 500;
/** Parameters compared per statement (the rest count as varying). */
export const MAX_TRACKED_PARAMS = 16;

interface Entry {
  system: SqlDialect;
  first: unknown[];
  /** Bit i set: parameter i differed from the first call's at least once. */
  varies: number;
  calls: number;
}

/** Tracks, per statement text, which bind positions kept their first value. */
export class ParamConstancy {
  private readonly byText = new Map<string, Entry>();

  /** Records one call (callers guard it with safely()). */
  observe(system: SqlDialect, text: unknown, values: unknown): void {
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return;
    let e = this.byText.get(text);
    if (!e) {
      if (this.byText.size >= MAX_TRACKED_STATEMENTS) return;
      const n = Math.min(values.length, MAX_TRACKED_PARAMS);
      // Values we cannot compare cheaply count as varying; parameters past MAX_TRACKED_PARAMS are not reported.
      let varies = 0;
      const first: unknown[] = [];
      for (let i = 0; i < n; i++) { const v = comparable(values[i]); first.push(v); if (v === UNCOMPARABLE) varies |= 1 << i; }
      this.byText.set(text, (e = { system, first, varies, calls: 0 }));
    }
    e.calls++;
    const first = e.first;
    for (let i = 0; i < first.length; i++) {
      if ((e.varies & (1 << i)) === 0 && comparable(values[i]) !== first[i]) e.varies |= 1 << i;
    }
  }

  /** Statements called more than once that have at least one parameter, with their constant positions. */
  summary(): ConstantParamsRecord[] {
    const out: ConstantParamsRecord[] = [];
    for (const [text, e] of this.byText) {
      if (e.calls < 2) continue;
      const constant: number[] = [];
      for (let i = 0; i < e.first.length; i++) if ((e.varies & (1 << i)) === 0) constant.push(i + 1);
      const fp = fingerprintSql(text, e.system);
      if (!fp.parsed) continue;
      out.push({ system: e.system === 'postgresql' ? 'postgresql' : 'mysql', fingerprint: fp.text, calls: e.calls, params: e.first.length, constant });
    }
    return out;
  }
}

const UNCOMPARABLE = Symbol('uncomparable');

/** A value compared with ===: primitives as they are, dates by time, anything else uncomparable. */
function comparable(v: unknown): unknown {
  if (v === null || v === undefined || typeof v !== 'object') return v;
  if (v instanceof Date) return v.getTime();
  return UNCOMPARABLE;
}
