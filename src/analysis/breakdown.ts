import type { Breakdown, Category, CategoryTime, ProcessSummary, StageBreakdown, TimelineSummary } from '../model/report';
import { unitKeyOf, type TraceModel } from '../model/trace';
import { round3, union, totalLength, type Interval } from './intervals';
import type { RunAggregates } from './sweep';
import { memoryTimeline } from './memory';

/**
 * Most bins of the timeline. Bin width is max(1 ms, wall / MAX_BINS): 1 ms up to
 * a 33-minute run, a bound on memory (4 float arrays) beyond.
 */
const MAX_BINS = 2_000_000;

/**
 * The run's timeline in fixed bins: how much of each bin a database span, an
 * FTP span (outside database time) and CPU work (outside both) covered.
 *
 * Rules, in order, for every moment of the run:
 * 1. a database call in flight (any process) counts as database time;
 * 2. else an FTP call in flight counts as FTP time;
 * 3. else a wait on a socket of a client the probes do not instrument (probes/net-watch.ts) counts as network
 *    time (the category appears only in runs that had such waits);
 * 4. else event-loop busy time (from event-loop utilization, ELU) counts as
 *    logic: within each ELU window, busy time is placed into the time not
 *    covered by 1 to 3 first (the CPU work of a batch loop happens between its
 *    I/O calls), up to that uncovered time;
 * 5. the rest is waiting (timers, file I/O, child processes, I/O the probes cannot see).
 * Process start-up before the probes loaded counts as logic (module loading is CPU).
 * The four exclusive times add up to the wall time by construction.
 */
export class Timeline {
  readonly start: number;
  readonly end: number;
  readonly binMs: number;
  readonly db: Float64Array;
  readonly ftp: Float64Array;
  readonly logic: Float64Array;
  readonly net: Float64Array;
  private readonly n: number;

  private ftpAll: Float64Array | null;
  private netAll: Float64Array | null;
  /** Whether any network wait was added: only then is `network` a category of the run. */
  private hasNet = false;

  /** An empty timeline of the run: feed it the unions with addDb/addFtp (in any order), then call finish. */
  constructor(model: TraceModel) {
    this.start = model.run.startedAt;
    this.end = Math.max(model.run.endedAt, this.start + 1e-3);
    const wall = this.end - this.start;
    this.binMs = Math.max(1, wall / MAX_BINS);
    this.n = Math.max(1, Math.ceil(wall / this.binMs));
    this.db = new Float64Array(this.n);
    this.ftp = new Float64Array(this.n);
    this.logic = new Float64Array(this.n);
    this.net = new Float64Array(this.n);
    this.ftpAll = new Float64Array(this.n);
    this.netAll = new Float64Array(this.n);
  }

  /** Adds one piece of the union of database calls (pieces must not overlap each other). */
  addDb(a: number, b: number): void { this.cover(a, b, this.db); }

  /** Adds one piece of the union of FTP calls (pieces must not overlap each other). */
  addFtp(a: number, b: number): void { if (this.ftpAll) this.cover(a, b, this.ftpAll); }

  /** Adds one piece of the union of network waits (pieces must not overlap each other). */
  addNet(a: number, b: number): void { if (this.netAll && b > a) { this.hasNet = true; this.cover(a, b, this.netAll); } }

  /** FTP time outside database time, network waits outside both, then CPU placed into the rest (rules 2 to 4). Call once, after the unions. */
  finish(model: TraceModel): this {
    const all = this.ftpAll, net = this.netAll;
    if (!all || !net) return this;
    for (let i = 0; i < this.n; i++) {
      this.ftp[i] = Math.min(all[i]!, this.binLen(i) - this.db[i]!);
      this.net[i] = Math.max(0, Math.min(net[i]!, this.binLen(i) - this.db[i]! - this.ftp[i]!));
    }
    this.ftpAll = null;
    this.netAll = null;
    this.placeCpu(model);
    return this;
  }

  private binLen(i: number): number {
    const a = this.start + i * this.binMs;
    return Math.min(a + this.binMs, this.end) - a;
  }

  private cover(a0: number, b0: number, into: Float64Array): void {
    const a = Math.max(a0, this.start), b = Math.min(b0, this.end);
    if (b <= a) return;
    let i = Math.floor((a - this.start) / this.binMs);
    while (i < this.n) {
      const ba = this.start + i * this.binMs, bb = ba + this.binMs;
      if (ba >= b) break;
      into[i]! += Math.min(b, bb) - Math.max(a, ba);
      i++;
    }
  }

  /** Busy CPU time [a, b) of `busyMs` ms placed into uncovered time of the bins it spans. */
  private addBusy(a0: number, b0: number, busyMs: number): void {
    const a = Math.max(a0, this.start), b = Math.min(b0, this.end);
    if (b <= a || busyMs <= 0) return;
    const i0 = Math.floor((a - this.start) / this.binMs);
    const i1 = Math.min(this.n - 1, Math.floor((b - this.start - 1e-9) / this.binMs));
    let free = 0;
    const frees: number[] = [];
    for (let i = i0; i <= i1; i++) {
      const ba = this.start + i * this.binMs;
      const part = Math.max(0, Math.min(b, ba + this.binMs) - Math.max(a, ba));
      const f = Math.max(0, part * (1 - (this.db[i]! + this.ftp[i]! + this.net[i]! + this.logic[i]!) / this.binLen(i)));
      frees.push(f); free += f;
    }
    if (free <= 0) return;
    const k = Math.min(1, busyMs / free);
    for (let i = i0; i <= i1; i++) this.logic[i]! += frees[i - i0]! * k;
  }

  private placeCpu(model: TraceModel): void {
    for (const p of model.processes) {
      // Start-up before the probes loaded: Node's bootstrap and module loading.
      const bootStart = Math.max(p.header.processStartedAt, this.start);
      if (p.header.startedAt > bootStart) this.addBusy(bootStart, p.header.startedAt, p.header.startedAt - bootStart);
      const w = p.eluWindows;
      for (let i = 0; i + 2 < w.length; i += 3) {
        const a = w[i]!, b = w[i + 1]!, u = w[i + 2]!;
        this.addBusy(a, b, (b - a) * Math.min(1, Math.max(0, u)));
      }
    }
  }

  /** Exclusive category times over the given disjoint intervals (default: the whole run). */
  categories(within?: readonly Interval[]): CategoryTime[] {
    const sums: Partial<Record<Category, number>> & Record<'db' | 'ftp' | 'logic' | 'waiting', number> = this.hasNet
      ? { db: 0, ftp: 0, network: 0, logic: 0, waiting: 0 } : { db: 0, ftp: 0, logic: 0, waiting: 0 };
    const ranges = within ?? [[this.start, this.end] as Interval];
    let wall = 0;
    for (const [a0, b0] of ranges) {
      const a = Math.max(a0, this.start), b = Math.min(b0, this.end);
      if (b <= a) continue;
      wall += b - a;
      const i0 = Math.floor((a - this.start) / this.binMs);
      const i1 = Math.min(this.n - 1, Math.floor((b - this.start - 1e-9) / this.binMs));
      for (let i = i0; i <= i1; i++) {
        const ba = this.start + i * this.binMs;
        const len = this.binLen(i);
        const frac = Math.max(0, Math.min(b, ba + this.binMs) - Math.max(a, ba)) / len;
        sums.db += this.db[i]! * frac;
        sums.ftp += this.ftp[i]! * frac;
        if (sums.network !== undefined) sums.network += this.net[i]! * frac;
        sums.logic += this.logic[i]! * frac;
        sums.waiting += Math.max(0, len - this.db[i]! - this.ftp[i]! - this.net[i]! - this.logic[i]!) * frac;
      }
    }
    return (Object.keys(sums) as Category[]).map((category) => ({
      category, ms: round3(sums[category]!), share: wall > 0 ? round3(sums[category]! / wall) : 0,
    }));
  }
}

/** The run's breakdown by category. */
export function computeBreakdown(model: TraceModel, timeline: Timeline, agg: RunAggregates): Breakdown {
  const dbU = agg.dbUnionMs, ftpU = agg.ftpUnionMs;
  let cpu = 0;
  for (const p of model.processes) {
    const w = p.eluWindows;
    for (let i = 0; i + 2 < w.length; i += 3) cpu += (w[i + 1]! - w[i]!) * w[i + 2]!;
  }
  return {
    wallMs: round3(timeline.end - timeline.start),
    categories: timeline.categories(),
    busyMs: { db: round3(dbU), ftp: round3(ftpU), cpu: round3(cpu) },
  };
}

/** The runs of each user-named stage (stage() spans), by name, in order of first start. */
export function stageRuns(model: TraceModel): Map<string, Interval[]> {
  const byName = new Map<string, Interval[]>();
  for (const s of model.spans) {
    if (s.kind !== 'stage') continue;
    const name = String(s.attrs['batch_doctor.stage.name'] ?? s.name);
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name)!.push([s.start, s.end]);
  }
  return byName;
}

/** Breakdown per user-named stage (stage() spans), in order of first start. */
export function computeStages(model: TraceModel, timeline: Timeline): StageBreakdown[] {
  const byName = stageRuns(model);
  const records = new Map<string, number>();
  for (const p of model.processes) {
    for (const [k, v] of Object.entries(p.footer?.records ?? {})) if (typeof v === 'number') records.set(k, (records.get(k) ?? 0) + v);
  }
  return [...byName].map(([name, ivs]) => {
    const u = union(ivs);
    return { name, runs: ivs.length, wallMs: round3(totalLength(u)), categories: timeline.categories(u), records: records.get(name) ?? null };
  });
}

/** Bins of the report's timeline (a bound on the report's size whatever the number of spans). */
export const TIMELINE_BINS = 240;
/** Stage runs kept for the timeline (the longest ones). */
export const TIMELINE_STAGE_RUNS = 200;

/** The run's timeline in at most TIMELINE_BINS bins, and its longest stage runs: aggregates, never raw spans. */
export function summarizeTimeline(model: TraceModel, timeline: Timeline): TimelineSummary {
  const wall = timeline.end - timeline.start;
  const n = Math.max(1, Math.min(TIMELINE_BINS, Math.ceil(wall)));
  const binMs = wall / n;
  const db: number[] = [], ftp: number[] = [], logic: number[] = [], network: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = timeline.start + i * binMs;
    const c = timeline.categories([[a, i === n - 1 ? timeline.end : a + binMs]]);
    const get = (k: string) => c.find((x) => x.category === k)?.ms ?? 0;
    db.push(round3(get('db'))); ftp.push(round3(get('ftp'))); logic.push(round3(get('logic'))); network.push(round3(get('network')));
  }
  const runs = model.spans.filter((s) => s.kind === 'stage')
    .map((s) => ({ name: String(s.attrs['batch_doctor.stage.name'] ?? s.name), startMs: round3(s.start - timeline.start), endMs: round3(s.end - timeline.start) }))
    .sort((x, y) => (y.endMs - y.startMs) - (x.endMs - x.startMs))
    .slice(0, TIMELINE_STAGE_RUNS)
    .sort((x, y) => x.startMs - y.startMs);
  const memory = memoryTimeline(model, timeline.start, binMs, n);
  return { binMs: round3(binMs), db, ftp, logic, ...(network.some((x) => x > 0) ? { network } : {}), ...(memory ? { memory } : {}), stages: runs };
}

/** Per process: its spans and the time its database and FTP calls were in flight. */
export function summarizeProcesses(model: TraceModel, agg: RunAggregates): ProcessSummary[] {
  return model.processes.map((proc) => {
    const p = agg.processes.get(unitKeyOf(proc.header));
    return {
      pid: proc.header.pid, ppid: proc.header.ppid, ...(proc.header.threadId ? { threadId: proc.header.threadId } : {}),
      name: proc.header.script, spans: p?.spans ?? 0,
      dbMs: round3(p?.dbMs ?? 0), ftpMs: round3(p?.ftpMs ?? 0),
      cpuMs: typeof proc.footer?.cpuMs === 'number' ? proc.footer.cpuMs : null,
    };
  });
}
