import { round3 } from '../analysis/intervals';
import { queryClassId } from '../analysis/query-digest';
import type { DbSystem, DigestClass } from '../model/db';

/**
 * Histogram bucket growth factor: each bucket is 5% wider than the one below,
 * so a percentile read from it is within 5% of the true value, in memory
 * independent of the number of statements (as pt-query-digest's buckets).
 */
export const HISTOGRAM_GROWTH = 1.05;
/** Smallest time the histogram separates, ms (1 µs: the slow log's resolution). */
const HISTOGRAM_MIN_MS = 0.001;
const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);

/** A log-bucketed histogram of durations in ms. */
export class DurationHistogram {
  private readonly buckets = new Map<number, number>();
  count = 0;
  /** Buckets as [index, count] pairs, for passing between threads. */
  toJSON(): [number, number][] { return [...this.buckets]; }
  /** Adds the counts of another histogram's buckets. */
  mergeBuckets(pairs: [number, number][]): void {
    for (const [b, c] of pairs) { this.buckets.set(b, (this.buckets.get(b) ?? 0) + c); this.count += c; }
  }
  add(ms: number): void {
    const b = ms <= HISTOGRAM_MIN_MS ? 0 : Math.floor(Math.log(ms / HISTOGRAM_MIN_MS) / LOG_GROWTH) + 1;
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
  }
  /** The q-quantile (0..1), as the upper edge of its bucket. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return b === 0 ? HISTOGRAM_MIN_MS : HISTOGRAM_MIN_MS * HISTOGRAM_GROWTH ** b;
    }
    return HISTOGRAM_MIN_MS * HISTOGRAM_GROWTH ** Math.max(...this.buckets.keys());
  }
}

/** One statement execution as a source reports it. */
export interface StatementSample {
  system: DbSystem;
  fingerprint: string;
  parsed: boolean;
  ms: number;
  rowsSent?: number | null;
  rowsExamined?: number | null;
  database?: string | null;
  /** Time waiting for table locks, ms (MySQL/MariaDB slow logs: Lock_time). */
  lockMs?: number | null;
  /** Temporary tables the statement created, and how many of them on disk (slow logs with extended verbosity). */
  tmpTables?: number | null;
  tmpDiskTables?: number | null;
}

/** An accumulator as plain data. */
export interface AccumulatorState {
  statements: number;
  classes: (Omit<Acc, 'hist'> & { hist: [number, number][] })[];
}

interface Acc {
  system: DbSystem; fingerprint: string; parsed: boolean; database: string | null;
  calls: number; sum: number; sumSq: number; max: number; hist: DurationHistogram;
  rowsSent: number | null; rowsExamined: number | null;
  lockMs: number | null; tmpTables: number | null; tmpDiskTables: number | null;
}

/** Adds a number to a sum that stays null until a source reports one. */
const addN = (sum: number | null, x: number | null | undefined): number | null => (typeof x === 'number' ? (sum ?? 0) + x : sum);


/**
 * Aggregates executions into statement classes in one pass, with memory that
 * grows with the number of classes, not of statements.
 */
export class DigestAccumulator {
  private readonly bySystem: Record<DbSystem, Map<string, Acc>> = { postgresql: new Map(), mysql: new Map() };
  statements = 0;

  add(s: StatementSample): void {
    this.statements++;
    const classes = this.bySystem[s.system];
    let a = classes.get(s.fingerprint);
    if (!a) {
      a = { system: s.system, fingerprint: s.fingerprint, parsed: s.parsed, database: s.database ?? null, calls: 0, sum: 0, sumSq: 0, max: 0, hist: new DurationHistogram(), rowsSent: null, rowsExamined: null, lockMs: null, tmpTables: null, tmpDiskTables: null };
      classes.set(s.fingerprint, a);
    }
    a.calls++; a.sum += s.ms; a.sumSq += s.ms * s.ms;
    if (s.ms > a.max) a.max = s.ms;
    a.hist.add(s.ms);
    if (typeof s.rowsSent === 'number') a.rowsSent = (a.rowsSent ?? 0) + s.rowsSent;
    if (typeof s.rowsExamined === 'number') a.rowsExamined = (a.rowsExamined ?? 0) + s.rowsExamined;
    a.lockMs = addN(a.lockMs, s.lockMs); a.tmpTables = addN(a.tmpTables, s.tmpTables); a.tmpDiskTables = addN(a.tmpDiskTables, s.tmpDiskTables);
    a.database ??= s.database ?? null;
  }

  /** The state of every class, as plain data (for a worker thread to send back). */
  exportState(): AccumulatorState {
    const all = [...this.bySystem.postgresql.values(), ...this.bySystem.mysql.values()];
    return { statements: this.statements, classes: all.map((a) => ({ ...a, hist: a.hist.toJSON() })) };
  }

  /** Adds another accumulator's state (from {@link exportState}). */
  mergeState(st: AccumulatorState): void {
    this.statements += st.statements;
    for (const c of st.classes) {
      const classes = this.bySystem[c.system];
      const a = classes.get(c.fingerprint);
      if (!a) { const h = new DurationHistogram(); h.mergeBuckets(c.hist); classes.set(c.fingerprint, { ...c, hist: h }); continue; }
      a.calls += c.calls; a.sum += c.sum; a.sumSq += c.sumSq; a.max = Math.max(a.max, c.max); a.hist.mergeBuckets(c.hist);
      if (c.rowsSent !== null) a.rowsSent = (a.rowsSent ?? 0) + c.rowsSent;
      if (c.rowsExamined !== null) a.rowsExamined = (a.rowsExamined ?? 0) + c.rowsExamined;
      a.lockMs = addN(a.lockMs, c.lockMs); a.tmpTables = addN(a.tmpTables, c.tmpTables); a.tmpDiskTables = addN(a.tmpDiskTables, c.tmpDiskTables);
      a.database ??= c.database;
    }
  }

  /** The classes ranked by total time (ties: more calls first, then fingerprint). */
  finish(): DigestClass[] {
    const all = [...this.bySystem.postgresql.values(), ...this.bySystem.mysql.values()];
    const total = all.reduce((x, a) => x + a.sum, 0);
    return all.map((a): DigestClass => {
      const mean = a.sum / a.calls;
      const variance = Math.max(0, a.sumSq / a.calls - mean * mean);
      return {
        id: queryClassId(a.system, a.fingerprint), system: a.system, fingerprint: a.fingerprint, parsed: a.parsed,
        calls: a.calls, totalMs: round3(a.sum), meanMs: round3(mean), p95Ms: round3(a.hist.quantile(0.95)), maxMs: round3(a.max),
        varianceToMean: mean > 0 ? round3(variance / mean) : 0, rowsSent: a.rowsSent, rowsExamined: a.rowsExamined,
        share: total > 0 ? round3(a.sum / total) : 0, database: a.database,
        ...(a.lockMs !== null ? { lockMs: round3(a.lockMs) } : {}),
        ...(a.tmpTables !== null ? { tmpTables: a.tmpTables } : {}),
        ...(a.tmpDiskTables !== null ? { tmpDiskTables: a.tmpDiskTables } : {}),
      };
    }).sort(compareClasses);
  }
}

/** Order of digest classes: total time, then calls, then fingerprint (deterministic). */
export function compareClasses(a: DigestClass, b: DigestClass): number {
  return b.totalMs - a.totalMs || b.calls - a.calls || (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0);
}
