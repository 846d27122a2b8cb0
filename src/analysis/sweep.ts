import { DDSketch } from '@datadog/sketches-js';
import type { SpanRow, SpanSource } from '../model/trace';
import { overlapWith, quantile, RunningUnion, type Interval } from './intervals';

/**
 * Durations of one statement class kept exactly up to this many calls (8 bytes each), and as a DDSketch
 * (relative accuracy 1%) beyond: quantiles of small classes are exact, memory per class is bounded.
 */
export const EXACT_DURATIONS = 4096;
/** Relative accuracy of the quantile sketch of large classes: a p95 is within 1% of the true p95. */
const SKETCH_ACCURACY = 0.01;

/** Duration quantiles of one class: exact for up to {@link EXACT_DURATIONS} values, sketched beyond. */
export class Durations {
  private exact: number[] | null = [];
  private sorted: Float64Array | null = null;
  private readonly sketch = new DDSketch({ relativeAccuracy: SKETCH_ACCURACY });
  /** Largest value (exact). */
  max = 0;
  /** Smallest value (exact). */
  min = Number.POSITIVE_INFINITY;
  /** Number of values. */
  count = 0;

  add(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.count++;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
    this.sketch.accept(v);
    if (this.exact) { if (this.exact.length < EXACT_DURATIONS) this.exact.push(v); else this.exact = null; }
    this.sorted = null;
  }

  /** True while every value is kept (quantiles are exact). */
  get isExact(): boolean { return this.exact !== null; }

  /** Value at quantile q (0..1): linear interpolation over the exact values, else the sketch's estimate clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (this.exact) {
      if (!this.sorted) this.sorted = Float64Array.from(this.exact).sort();
      return quantile(this.sorted, q);
    }
    if (q >= 1) return this.max;
    if (q <= 0) return this.min;
    return Math.min(this.max, Math.max(this.min, this.sketch.getValueAtQuantile(q)));
  }
}

/** What one sweep learnt of one group (statement class or connect kind): see {@link RunAggregates}. */
export interface GroupStats {
  calls: number;
  errors: number;
  totalMs: number;
  /** Start of the first call and end of the last-started call, epoch ms. */
  firstStart: number;
  lastEnd: number;
  /** Sum of rows over the calls that reported rows, and how many did. */
  rowsSum: number;
  rowsCalls: number;
  maxRows: number;
  durations: Durations;
  /** Time the group's calls were in flight with no other I/O of the run pending (its critical-path time), ms. */
  soleMs: number;
  /** Most calls of the group in flight at once (0 for none with a positive duration). */
  maxConcurrency: number;
  /** Length of the union of the group's calls, ms. */
  unionMs: number;
  /** Overlap of that union with each stage's union (same order as the `stageUnions` option), ms; empty without stages. */
  stageOverlapMs: Float64Array;
  /** Failed calls followed by the next call of the group within maxRetryGapMs (a retry). */
  retries: number;
  /** The part of the waits before those retries in which no I/O of the run was in flight, ms. */
  retryWaitMs: number;
  /** Failed calls by error type (code or class; 'error' when the span said none). */
  errorTypes: Map<string, number>;
}

/** A long, successful database call (sequential-queries reads these): a copy of its row and what ran around it. */
export interface LongCall {
  start: number;
  end: number;
  pid: number;
  group: number;
  /** I/O calls (db, db-connect, ftp) of the run that started before this call started, and before it ended. */
  ioStartsBefore: number;
  ioStartsBeforeEnd: number;
}

/** Per process: spans, and the union of its database and FTP calls. */
export interface ProcessStats {
  spans: number;
  dbMs: number;
  ftpMs: number;
}

/** Everything one pass over the spans computes for the analysis (memory: per group and per process, not per span). */
export interface RunAggregates {
  /** Indexed like the source's groups. */
  groups: GroupStats[];
  /** Union of database (query and connect) and of FTP calls, ms. */
  dbUnionMs: number;
  ftpUnionMs: number;
  /** Most database queries (kind 'db') in flight at once, over the whole run (0 for none). */
  dbMaxConcurrency: number;
  processes: Map<number, ProcessStats>;
  /** Successful database calls of at least `minLongMs`, in start order. */
  longCalls: LongCall[];
}

/** Options of {@link sweepRun}. */
export interface SweepOptions {
  /** Receives the union of database calls, as disjoint intervals in order. */
  onDbInterval?: (a: number, b: number) => void;
  /** Receives the union of FTP calls, as disjoint intervals in order. */
  onFtpInterval?: (a: number, b: number) => void;
  /** Sorted disjoint intervals of each stage, to measure each group's overlap with. Default none. */
  stageUnions?: readonly (readonly Interval[])[];
  /** Shortest database call kept in `longCalls`, ms. Default: none kept. */
  minLongMs?: number;
  /** Longest wait between a failure and the next call of its group that counts as a retry, ms. Default 0. */
  maxRetryGapMs?: number;
}

const isIo = (k: string) => k === 'db' || k === 'db-connect' || k === 'ftp';

/**
 * Pool checkouts (`pg-pool.connect`): waiting for a pooled client is not I/O of its own. The wait is for another
 * call of the job to give a client back (that call's span is the I/O), or for a new physical connection (its own
 * `pg.connect` span inside the checkout). Counting it as I/O would make concurrent pool queries overlap "other I/O"
 * and leave them no critical-path time at all.
 */
const POOL_CHECKOUT = /(^|[.-])pool\.connect$|^pool\.acquire$/;

/** Per group: true for pool checkouts (not I/O, see POOL_CHECKOUT). */
function checkoutGroups(source: SpanSource): boolean[] {
  return source.groups.map((g) => g.kind === 'db-connect' && POOL_CHECKOUT.test(g.name));
}

/** A min-heap of in-flight calls keyed by end time, carrying their group and whether they are a query. */
class EndHeap {
  ends = new Float64Array(64);
  tags = new Int32Array(64);
  size = 0;
  push(end: number, tag: number): void {
    if (this.size === this.ends.length) {
      const e = new Float64Array(this.size * 2); e.set(this.ends); this.ends = e;
      const t = new Int32Array(this.size * 2); t.set(this.tags); this.tags = t;
    }
    let i = this.size++;
    const ends = this.ends, tags = this.tags;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ends[p]! <= end) break;
      ends[i] = ends[p]!; tags[i] = tags[p]!; i = p;
    }
    ends[i] = end; tags[i] = tag;
  }
  /** Removes the top; returns its tag. */
  pop(): number {
    const ends = this.ends, tags = this.tags;
    const top = tags[0]!;
    const n = --this.size;
    const e = ends[n]!, t = tags[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && ends[r]! < ends[l]! ? r : l;
      if (ends[m]! >= e) break;
      ends[i] = ends[m]!; tags[i] = tags[m]!; i = m;
    }
    ends[i] = e; tags[i] = t;
    return top;
  }
}

/** A new group's stats, all zero. */
function emptyGroup(stages: number): GroupStats {
  return {
    calls: 0, errors: 0, totalMs: 0, firstStart: Number.NaN, lastEnd: Number.NaN, rowsSum: 0, rowsCalls: 0, maxRows: 0,
    durations: new Durations(), soleMs: 0, maxConcurrency: 0, unionMs: 0, stageOverlapMs: new Float64Array(stages),
    retries: 0, retryWaitMs: 0, errorTypes: new Map(),
  };
}

/** Counts, durations, rows and errors of a group's calls: what needs nothing but the call itself. */
function addCall(st: GroupStats, r: SpanRow): void {
  const d = r.end - r.start;
  if (st.calls === 0) st.firstStart = r.start;
  st.calls++; st.totalMs += d; st.lastEnd = r.end;
  st.durations.add(d);
  if (r.rows !== null) { st.rowsSum += r.rows; st.rowsCalls++; if (r.rows > st.maxRows) st.maxRows = r.rows; }
  if (r.error) {
    st.errors++;
    const k = r.errorType || 'error';
    st.errorTypes.set(k, (st.errorTypes.get(k) ?? 0) + 1);
  }
}

/**
 * The I/O union of the run, built online, with its closed pieces kept as long as a retry wait may look back at them
 * (`maxGap`): how much of a wait between a failed call and its retry some I/O of the run covered.
 */
class IoCoverage {
  private readonly recent: [number, number][] = [];
  private head = 0;
  private readonly union = new RunningUnion((a, b) => this.recent.push([a, b]));
  constructor(private readonly maxGap: number) {}

  /** Adds an I/O call (calls come in start order). */
  add(start: number, end: number): void {
    this.union.add(start, end);
    // Closed pieces older than the longest retry wait are never looked at again.
    while (this.head < this.recent.length && this.recent[this.head]![1] < start - this.maxGap) this.head++;
    if (this.head > 4096 && this.head * 2 > this.recent.length) { this.recent.splice(0, this.head); this.head = 0; }
  }

  /** I/O time of the run within [a, b), from the pieces so far. */
  covered(a: number, b: number): number {
    let len = 0;
    for (let i = this.recent.length - 1; i >= this.head; i--) {
      const [x, y] = this.recent[i]!;
      if (y <= a) break;
      len += Math.max(0, Math.min(b, y) - Math.max(a, x));
    }
    if (!Number.isNaN(this.union.start)) len += Math.max(0, Math.min(b, this.union.end) - Math.max(a, this.union.start));
    return len;
  }
}

/** Retries per group: a failed call followed by the group's next call within `maxGap`, and the wait outside any I/O. */
class RetryTracker {
  private readonly lastEnd: Float64Array;
  private readonly lastFailed: Uint8Array;
  constructor(groups: number, private readonly maxGap: number, private readonly io: IoCoverage) {
    this.lastEnd = new Float64Array(groups).fill(Number.NaN);
    this.lastFailed = new Uint8Array(groups);
  }

  add(st: GroupStats, g: number, r: SpanRow): void {
    const le = this.lastEnd[g]!;
    if (this.lastFailed[g] && !Number.isNaN(le) && r.start >= le && r.start - le <= this.maxGap) {
      st.retries++;
      if (r.start > le) st.retryWaitMs += r.start - le - this.io.covered(le, r.start);
    }
    this.lastEnd[g] = r.end; this.lastFailed[g] = r.error ? 1 : 0;
  }
}

/**
 * The calls in flight, as a heap by end time: between two consecutive boundaries a group gets the time when every
 * call in flight is its own (its critical-path time, critical-path.ts); the most calls of a group, and the most
 * queries, in flight at once.
 */
class InFlight {
  private readonly heap = new EndHeap();
  private readonly perGroup: Int32Array;
  private total = 0;
  private queries = 0;
  private prevT = Number.NEGATIVE_INFINITY;
  /** Most queries (kind 'db') in flight at once. */
  maxQueries = 0;
  constructor(private readonly groups: GroupStats[]) { this.perGroup = new Int32Array(groups.length); }

  private accrue(t: number): void {
    const dt = t - this.prevT;
    if (dt > 0 && this.total > 0) {
      const g = this.heap.tags[0]! >> 1;
      if (g > 0 && this.perGroup[g - 1] === this.total) this.groups[g - 1]!.soleMs += dt;
    }
    this.prevT = t;
  }

  /** Ends the calls that ended by `t` (Infinity: all), accruing the time between boundaries up to `t`. */
  advance(t: number): void {
    while (this.heap.size > 0 && this.heap.ends[0]! <= t) {
      this.accrue(this.heap.ends[0]!);
      const tag = this.heap.pop();
      this.total--;
      const g = tag >> 1;
      if (g > 0) this.perGroup[g - 1]!--;
      if (tag & 1) this.queries--;
    }
    if (t !== Number.POSITIVE_INFINITY) this.accrue(t);
  }

  /** A call of group `g` (-1: none, as FTP) in flight until `end`; call {@link advance} to its start first. */
  push(end: number, g: number, isQuery: boolean): void {
    this.heap.push(end, ((g + 1) << 1) | (isQuery ? 1 : 0));
    this.total++;
    if (g >= 0) { const n = ++this.perGroup[g]!; if (n > this.groups[g]!.maxConcurrency) this.groups[g]!.maxConcurrency = n; }
    if (isQuery && ++this.queries > this.maxQueries) this.maxQueries = this.queries;
  }
}

/** Long successful database calls, with the count of I/O calls started before each began and before it ended. */
class LongCalls {
  readonly calls: LongCall[] = [];
  private readonly pending: LongCall[] = [];
  constructor(private readonly minMs: number) {}

  /** Before an I/O call starting at `t`, counted as the `ioStarts`-th: the pending long calls that ended by then learn the count. */
  ioStarting(t: number, ioStarts: number): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i]!.end <= t) { this.pending[i]!.ioStartsBeforeEnd = ioStarts; this.pending.splice(i, 1); }
    }
  }

  add(r: SpanRow, g: number, ioStarts: number): void {
    if (r.kind !== 'db' || r.error || r.end - r.start < this.minMs) return;
    const lc: LongCall = { start: r.start, end: r.end, pid: r.pid, group: g, ioStartsBefore: ioStarts, ioStartsBeforeEnd: -1 };
    this.calls.push(lc); this.pending.push(lc);
  }

  finish(ioStarts: number): void { for (const lc of this.pending) lc.ioStartsBeforeEnd = ioStarts; }
}

/**
 * One pass over every span in start order, computing what the breakdown, the query table and the detectors need.
 * Each aggregate has its own small accumulator (addCall, {@link RetryTracker}, {@link InFlight},
 * {@link LongCalls}, {@link IoCoverage} and the running unions), checked one by one against brute-force reference
 * implementations on random runs (test/unit/sweep-property.test.ts).
 */
export function sweepRun(source: SpanSource, options: SweepOptions = {}): RunAggregates {
  const G = source.groups.length;
  const checkout = checkoutGroups(source);
  const stages = options.stageUnions ?? [];
  const groups = Array.from({ length: G }, () => emptyGroup(stages.length));
  const io = new IoCoverage(options.maxRetryGapMs ?? 0);
  const retries = new RetryTracker(G, options.maxRetryGapMs ?? 0, io);
  const inFlight = new InFlight(groups);
  const long = new LongCalls(options.minLongMs ?? Number.POSITIVE_INFINITY);
  const processes = new Map<number, { spans: number; db: RunningUnion; ftp: RunningUnion }>();
  let ioStarts = 0;
  // Running unions: database, FTP, each group (its overlap with each stage as its pieces close).
  const dbU = new RunningUnion(options.onDbInterval), ftpU = new RunningUnion(options.onFtpInterval);
  const groupU = groups.map((st) => new RunningUnion((a, b) => {
    for (let s = 0; s < stages.length; s++) st.stageOverlapMs[s]! += overlapWith(a, b, stages[s]!);
  }));

  source.forEach((r: SpanRow) => {
    let p = processes.get(r.pid);
    if (!p) processes.set(r.pid, (p = { spans: 0, db: new RunningUnion(), ftp: new RunningUnion() }));
    p.spans++;
    const isIoCall = isIo(r.kind) && !(r.group >= 0 && checkout[r.group]);
    const positive = r.end > r.start;
    if (isIoCall) {
      inFlight.advance(r.start);
      long.ioStarting(r.start, ioStarts);
    }
    const g = r.group;
    if (g >= 0) {
      const st = groups[g]!;
      addCall(st, r);
      retries.add(st, g, r);
      long.add(r, g, ioStarts);
      if (positive) groupU[g]!.add(r.start, r.end);
    }
    if (!isIoCall) return;
    ioStarts++;
    if (!positive) return;
    io.add(r.start, r.end);
    if (r.kind === 'ftp') { ftpU.add(r.start, r.end); p.ftp.add(r.start, r.end); }
    else { dbU.add(r.start, r.end); p.db.add(r.start, r.end); }
    inFlight.push(r.end, g, r.kind === 'db');
  });
  inFlight.advance(Number.POSITIVE_INFINITY);
  long.finish(ioStarts);
  groupU.forEach((u, g) => { u.flush(); groups[g]!.unionMs = u.total; });
  dbU.flush(); ftpU.flush();
  const procOut = new Map<number, ProcessStats>();
  for (const [pid, p] of processes) { p.db.flush(); p.ftp.flush(); procOut.set(pid, { spans: p.spans, dbMs: p.db.total, ftpMs: p.ftp.total }); }
  return { groups, dbUnionMs: dbU.total, ftpUnionMs: ftpU.total, dbMaxConcurrency: inFlight.maxQueries, processes: procOut, longCalls: long.calls };
}

/**
 * Critical-path time of a chosen set of spans (one pass): the time during which at least one of them was in flight
 * and no other I/O call of the run was. `isOwn` picks rows of the source; `otherOwn` adds intervals that are not
 * I/O calls of the run (a wait between a failure and its retry): they count as own time, and only other I/O
 * during them is subtracted. Concurrent own spans count once. Rows of kinds other than db, db-connect and ftp that
 * `isOwn` picks count like `otherOwn`.
 */
export function soleTimeOf(source: SpanSource, isOwn: (r: SpanRow) => boolean, otherOwn: readonly Interval[] = []): number {
  const extra = otherOwn.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const io = new EndHeap(), other = new EndHeap();
  let total = 0, ownIo = 0, ownOther = 0, prevT = Number.NEGATIVE_INFINITY, sole = 0, k = 0;
  const accrue = (t: number) => {
    if (t > prevT && ownIo + ownOther > 0 && total === ownIo) sole += t - prevT;
    if (t > prevT) prevT = t;
  };
  const advance = (t: number) => {
    while (io.size + other.size > 0) {
      const e1 = io.size ? io.ends[0]! : Number.POSITIVE_INFINITY, e2 = other.size ? other.ends[0]! : Number.POSITIVE_INFINITY;
      const e = Math.min(e1, e2);
      if (e > t) break;
      accrue(e);
      if (e1 <= e2) { if (io.pop()) ownIo--; total--; } else { other.pop(); ownOther--; }
    }
    if (t !== Number.POSITIVE_INFINITY) accrue(t);
  };
  const addOther = (a: number, b: number) => { advance(a); other.push(b, 1); ownOther++; };
  const checkout = checkoutGroups(source);
  source.forEach((r) => {
    if (!(r.end > r.start)) return;
    while (k < extra.length && extra[k]![0] <= r.start) { addOther(extra[k]![0], extra[k]![1]); k++; }
    const own = isOwn(r);
    if (isIo(r.kind) && !(r.group >= 0 && checkout[r.group])) {
      advance(r.start);
      io.push(r.end, own ? 1 : 0); total++; if (own) ownIo++;
    } else if (own) addOther(r.start, r.end);
  });
  while (k < extra.length) { addOther(extra[k]![0], extra[k]![1]); k++; }
  advance(Number.POSITIVE_INFINITY);
  return sole;
}
