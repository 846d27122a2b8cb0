import type { MemorySummary } from '../model/report';
import { unitKeyOf, type TraceModel } from '../model/trace';
import type { Interval } from './intervals';

/** Numbers per memory sample (probes/runtime.ts MEM_FIELDS): time, heapUsed, heapTotal, external, arrayBuffers, rss. */
export const MEM_SAMPLE_FIELDS = 6;
const F = MEM_SAMPLE_FIELDS;

/** How the figures are measured, for the report. */
export const MEMORY_METHOD = 'process.memoryUsage() sampled every 100 ms in each profiled process while its event loop turns, and at exit; peak RSS also from getrusage at exit. A peak between two samples, or during a synchronous stretch that blocks the event loop, can be missed.';

/**
 * Memory per process and per stage from the probes' samples: peaks of heap used, of external memory (Buffers and
 * ArrayBuffers outside the JS heap) and of RSS, the heap limit, and each stage's peak and growth (heap used at its
 * last sample inside it minus at its first). Null when no process sampled memory (older probes, OTLP). Pure.
 */
export function summarizeMemory(model: TraceModel, stages: ReadonlyMap<string, readonly Interval[]>): MemorySummary | null {
  const procs = model.processes.filter((p) => (p.memSamples?.length ?? 0) >= F);
  if (!procs.length) return null;
  const processes = procs.map((p) => {
    const m = p.memSamples!;
    let heap = 0, ext = 0, rss = 0, at = 0;
    for (let i = 0; i + F <= m.length; i += F) {
      if (m[i + 1]! > heap) { heap = m[i + 1]!; at = m[i]!; }
      if (m[i + 3]! > ext) ext = m[i + 3]!;
      if (m[i + 5]! > rss) rss = m[i + 5]!;
    }
    const footerRss = p.footer?.memory?.maxRss ?? 0;
    return {
      pid: p.header.pid, ...(p.header.threadId ? { threadId: p.header.threadId } : {}), name: p.header.script,
      samples: m.length / F, peakHeapUsedBytes: heap, peakHeapAtMs: Math.max(0, at - model.run.startedAt),
      peakExternalBytes: ext, peakRssBytes: Math.max(rss, footerRss),
      heapLimitBytes: typeof p.footer?.memory?.heapLimit === 'number' ? p.footer.memory.heapLimit : null,
      key: unitKeyOf(p.header),
    };
  });
  const stageOut: MemorySummary['stages'] = [];
  for (const [name, ivs] of stages) {
    let peak = 0, first: number | null = null, last: number | null = null, firstT = Infinity, lastT = -Infinity;
    for (const p of procs) {
      const m = p.memSamples!;
      for (let i = 0; i + F <= m.length; i += F) {
        const t = m[i]!;
        if (!ivs.some(([a, b]) => t >= a && t <= b)) continue;
        if (m[i + 1]! > peak) peak = m[i + 1]!;
        if (t < firstT) { firstT = t; first = m[i + 1]!; }
        if (t > lastT) { lastT = t; last = m[i + 1]!; }
      }
    }
    if (first !== null && last !== null) stageOut.push({ name, peakHeapUsedBytes: peak, heapGrowthBytes: last - first });
  }
  const top = processes.reduce((a, b) => (b.peakHeapUsedBytes > a.peakHeapUsedBytes ? b : a));
  const buffers = procs.map((p) => p.footer?.probeCost?.bufferBytes).filter((b): b is number => typeof b === 'number');
  return {
    ...(buffers.length ? { probeBufferBytes: Math.max(...buffers) } : {}),
    method: MEMORY_METHOD,
    peakHeapUsedBytes: top.peakHeapUsedBytes,
    peakRssBytes: Math.max(...processes.map((p) => p.peakRssBytes)),
    peakExternalBytes: Math.max(...processes.map((p) => p.peakExternalBytes)),
    processes: processes.map(({ key: _key, ...rest }) => rest),
    stages: stageOut,
  };
}

/** Highest heap used in each of `n` bins of `binMs` from `start`, over all processes (0 where no sample fell). Pure. */
export function memoryTimeline(model: TraceModel, start: number, binMs: number, n: number): number[] | null {
  const out = new Array<number>(n).fill(0);
  let any = false;
  for (const p of model.processes) {
    const m = p.memSamples;
    if (!m) continue;
    for (let i = 0; i + F <= m.length; i += F) {
      const b = Math.min(n - 1, Math.max(0, Math.floor((m[i]! - start) / binMs)));
      if (m[i + 1]! > out[b]!) out[b] = m[i + 1]!;
      any = true;
    }
  }
  return any ? out : null;
}

/**
 * V8's default semi-space on 64-bit machines, bytes (`--max-semi-space-size`, 16 MiB in Node 20 and 24): the garbage
 * a streaming loop can hold between two scavenges, used when the probes did not report the young generation's size.
 */
export const DEFAULT_SEMI_SPACE_BYTES = 16 * 1048576;
/**
 * The semi-space a streaming loop works with, bytes, from the young generation's capacity the held run reached (both
 * semi-spaces): V8 grows the young generation while most of what it allocates survives, so reading every row drives
 * it to its maximum; a streaming loop, most of whose allocations die young, stops about half way (measured on the
 * testbed's whole/cursor pair: 32/32 MiB young generation on Node 20, where the maximum semi-space is 16 MiB;
 * 128/64 MiB on Node 24, where it is 64 MiB). Half the held run's semi-space, but not below V8's 16 MiB default
 * (Node 20's maximum) nor above the held run's own semi-space (a small heap limit makes both small).
 */
export function streamingSemiSpace(youngGenBytes: number | null): number {
  if (youngGenBytes === null) return DEFAULT_SEMI_SPACE_BYTES;
  return Math.min(youngGenBytes / 2, Math.max(DEFAULT_SEMI_SPACE_BYTES, youngGenBytes / 4));
}

/** The heap's growth during a window of one process (see {@link heapGrowthDuring}), bytes. */
export interface GrowthWindow {
  baseBytes: number;
  peakBytes: number;
  growthBytes: number;
  /** The process's young-generation capacity at exit (both semi-spaces); null when not reported. */
  youngGenBytes: number | null;
  /** The process's V8 heap limit; null when not reported. */
  heapLimitBytes: number | null;
}

/**
 * How much the heap grew during [a, b] (and the `afterMs` after it, while the driver hands the rows over): per
 * process, the highest heap used sampled in that window minus the last sample before `a`; the process where it grew
 * most, with that process's young-generation capacity (null when its probes did not report it). Null without samples around the window. An estimate: the sampling interval (100 ms) bounds its resolution,
 * and garbage collected in the window lowers it.
 */
export function heapGrowthDuring(model: TraceModel, a: number, b: number, afterMs = 1000): GrowthWindow | null {
  let best: GrowthWindow | null = null;
  for (const p of model.processes) {
    const m = p.memSamples;
    if (!m || m.length < F) continue;
    let base: number | null = null, peak: number | null = null;
    for (let i = 0; i + F <= m.length; i += F) {
      const t = m[i]!, heap = m[i + 1]!;
      if (t <= a) base = heap;
      else if (t <= b + afterMs && (peak === null || heap > peak)) peak = heap;
    }
    if (base === null) base = m[1]!;
    if (peak === null) continue;
    const young = p.footer?.memory?.youngGenBytes;
    const limit = p.footer?.memory?.heapLimit;
    const g = { baseBytes: base, peakBytes: peak, growthBytes: Math.max(0, peak - base), youngGenBytes: typeof young === 'number' ? young : null, heapLimitBytes: typeof limit === 'number' ? limit : null };
    if (!best || g.growthBytes > best.growthBytes) best = g;
  }
  return best;
}

/** What the heap's growth toward its peak is attributed to (see {@link attributeGrowth}). */
export interface GrowthOwner {
  /** 'query': a statement class; 'transfer': FTP/SFTP transfers of one operation and file type; 'code': the job's own code, by stage. */
  kind: 'query' | 'transfer' | 'code';
  /** Statement class id (kind 'query'), `ftp.download *.csv` (kind 'transfer'), or the stage's name ('' outside stages). */
  key: string;
  /** Bytes of the growth attributed to it (heap used plus external memory). */
  bytes: number;
  /** Its share of the growth toward the peak (0..1). */
  share: number;
}

/** How {@link attributeGrowth} works, for the report. */
export const GROWTH_METHOD = 'In the process whose memory (heap used + external) peaked highest: from its lowest sample before the peak to the peak, each rise between two consecutive samples (100 ms apart) is split among the statement classes and transfers in flight during it, by the time each was in flight, and the rest goes to the job\'s own code (by stage); the shares are then scaled to the net growth. An estimate: memory a call allocates is only seen when the next sample is taken, and garbage collected in between lowers the rises.';

/**
 * Which statement classes, transfers and stages the memory grew during, on its way to the peak: the answer to
 * "which statement made the heap grow". Memory here is heap used plus external (Buffers, where a download's bytes
 * live). Pure: one pass over the spans of the peak process. Null without memory samples or without growth.
 */
export function attributeGrowth(model: TraceModel, classIdOf: (group: number) => string | null): { processPid: number; baseBytes: number; peakBytes: number; owners: GrowthOwner[] } | null {
  let best: { p: (typeof model.processes)[number]; key: number; peak: number; peakAt: number; i: number } | null = null;
  for (const p of model.processes) {
    const m = p.memSamples;
    if (!m || m.length < 2 * F) continue;
    for (let i = 0; i + F <= m.length; i += F) {
      const v = m[i + 1]! + m[i + 3]!;
      if (!best || v > best.peak) best = { p, key: unitKeyOf(p.header), peak: v, peakAt: m[i]!, i };
    }
  }
  if (!best) return null;
  const m = best.p.memSamples!;
  // The lowest point before the peak: growth from there on is what the peak is made of.
  let lo = 0;
  for (let i = 0; i <= best.i; i += F) if (m[i + 1]! + m[i + 3]! < m[lo + 1]! + m[lo + 3]!) lo = i;
  const base = m[lo + 1]! + m[lo + 3]!;
  if (best.peak <= base) return null;
  // Rises between consecutive samples in [lo, peak]: [t0, t1, bytes].
  const rises: number[] = [];
  for (let i = lo + F; i <= best.i; i += F) {
    const d = m[i + 1]! + m[i + 3]! - (m[i - F + 1]! + m[i - F + 3]!);
    if (d > 0) rises.push(m[i - F]!, m[i]!, d);
  }
  const n = rises.length / 3;
  if (n === 0) return null;
  // Per rise, each owner's time in flight during it (ms), from the spans of this process.
  const inFlight: Map<string, number>[] = Array.from({ length: n }, () => new Map());
  const owners = new Map<string, GrowthOwner>();
  const ownerKey = (kind: GrowthOwner['kind'], key: string) => `${kind}\u0000${key}`;
  const add = (kind: GrowthOwner['kind'], key: string, a: number, b: number) => {
    // Rises are in time order: binary-search the first that ends after a.
    let l = 0, h = n;
    while (l < h) { const mid = (l + h) >> 1; if (rises[mid * 3 + 1]! <= a) l = mid + 1; else h = mid; }
    for (let r = l; r < n && rises[r * 3]! < b; r++) {
      const ov = Math.min(b, rises[r * 3 + 1]!) - Math.max(a, rises[r * 3]!);
      if (ov <= 0) continue;
      const k = ownerKey(kind, key);
      if (!owners.has(k)) owners.set(k, { kind, key, bytes: 0, share: 0 });
      inFlight[r]!.set(k, Math.min(rises[r * 3 + 1]! - rises[r * 3]!, (inFlight[r]!.get(k) ?? 0) + ov));
    }
  };
  const t0 = rises[0]!, t1 = rises[rises.length - 2]!;
  model.source.forEach((row) => {
    if (row.pid !== best!.key || row.end <= t0 || row.start >= t1) return;
    if (row.kind === 'db') {
      const id = classIdOf(row.group);
      if (id) add('query', id, row.start, row.end);
    } else if (row.kind === 'ftp' && row.detail >= 0) {
      const s = model.spans[row.detail]!;
      if (!/download|upload|append/i.test(s.name)) return;
      const ext = s.attrs['ftp.remote.ext'];
      add('transfer', `${s.name}${ext ? ` *.${String(ext).replace(/^\./, '')}` : ''}`, row.start, row.end);
    }
  });
  // The rest of each rise: the job's own code, in the stage running then (the innermost stage covering its middle).
  const stages = model.spans.filter((s) => s.kind === 'stage' && s.pid === best!.key);
  const stageAt = (t: number) => {
    let name = '', len = Infinity;
    for (const s of stages) if (s.start <= t && s.end >= t && s.end - s.start < len) { len = s.end - s.start; name = String(s.attrs['batch_doctor.stage.name'] ?? s.name); }
    return name;
  };
  let attributed = 0;
  for (let r = 0; r < n; r++) {
    const a = rises[r * 3]!, b = rises[r * 3 + 1]!, d = rises[r * 3 + 2]!;
    const dur = Math.max(1e-6, b - a);
    const busy = inFlight[r]!;
    const total = [...busy.values()].reduce((x, y) => x + y, 0);
    // Calls in flight together share the rise by their time; time no call covered is the job's code.
    const covered = Math.min(dur, total);
    for (const [k, ms] of busy) owners.get(k)!.bytes += d * (covered / dur) * (ms / Math.max(1e-6, total));
    const rest = d * (1 - covered / dur);
    if (rest > 0) {
      const k = ownerKey('code', stageAt((a + b) / 2));
      if (!owners.has(k)) owners.set(k, { kind: 'code', key: k.slice(k.indexOf('\u0000') + 1), bytes: 0, share: 0 });
      owners.get(k)!.bytes += rest;
    }
    attributed += d;
  }
  const net = best.peak - base;
  const out = [...owners.values()].map((o) => ({ ...o, bytes: Math.round((o.bytes * net) / attributed), share: Math.round((1000 * o.bytes) / attributed) / 1000 }))
    .filter((o) => o.bytes > 0).sort((x, y) => y.bytes - x.bytes);
  return { processPid: best.p.header.pid, baseBytes: base, peakBytes: best.peak, owners: out };
}

/**
 * The least-squares line through (xs[i], ys[i]): slope (0 when the xs do not vary), intercept, and the coefficient of
 * determination (null when either side does not vary). Pure.
 */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; r2: number | null } {
  const n = xs.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n, my = ys.reduce((a, y) => a + y, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i]! - mx) * (ys[i]! - my); sxx += (xs[i]! - mx) ** 2; syy += (ys[i]! - my) ** 2; }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx, r2: sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : null };
}

/** Bins the samples of a process are cut into to find the trend of the heap's floor (traces without post-GC reads). */
const FLOOR_BINS = 10;
/** Full collections needed to judge the live memory's trend: three give two steps to agree. */
export const MIN_POST_GC_POINTS = 3;

/** The trend of a process's memory floor (see {@link memoryFloorTrend}). */
export interface FloorTrend {
  /**
   * 'post-gc': memory right after each full collection (what the job held live); 'post-gc-pair': only two full
   * collections, so the shape (steady or a step) comes from the bins and the rate of live growth from the pair;
   * 'bins': the lowest sample of each tenth of the run (traces of probes that did not read memory after full
   * collections).
   */
  method: 'post-gc' | 'post-gc-pair' | 'bins';
  /** The floors: memory (heap used + external), bytes, and when, epoch ms. */
  floors: { t: number; bytes: number }[];
  /** Least-squares slope of the floors over time, bytes per ms. */
  slopeBytesPerMs: number;
  /** How well a straight line fits the floors (coefficient of determination, 0..1). */
  r2: number;
  /** Share of consecutive floors that rose (0..1): near 1 for steady accumulation, low for one step. */
  risingShare: number;
  /** The floor's growth by the fitted line, from the first floor to the last, bytes. */
  growthBytes: number;
  /** The fitted line at the first floor, bytes (what was live before the growth). */
  startBytes: number;
  /** First and last floor, epoch ms. */
  from: number;
  to: number;
  /** Highest memory sampled (heap used + external), bytes. */
  peakBytes: number;
}

/**
 * The floor of one process's memory over its run, and a straight line through it: a floor that climbs steadily is
 * memory kept across the run, not garbage. The floors are the memory right after each full collection when the
 * probes read it (`postGc`, what the job held live; at least MIN_POST_GC_POINTS of them); without those reads (older
 * probes), the samples cut into ten bins of equal count and the lowest of each (garbage between collections is above
 * it, but old-generation garbage waiting for a full collection is not, so this method is the weaker one). Null when
 * neither has enough points: `postGcKnown` (the probes count full collections) and fewer than two, or fewer than
 * `minSamples` samples (default 20, two seconds) for the bins. With exactly two full collections, the bins give the
 * shape and the pair the rate of live growth ('post-gc-pair'). Pure.
 */
export function memoryFloorTrend(samples: readonly number[], postGc: readonly number[] | undefined, postGcKnown: boolean, minSamples = 20): FloorTrend | null {
  const count = Math.floor(samples.length / F);
  let peak = 0;
  for (let i = 0; i < count; i++) peak = Math.max(peak, samples[i * F + 1]! + samples[i * F + 3]!);
  let floors: { t: number; bytes: number }[] = [];
  let method: FloorTrend['method'];
  const points = Math.floor((postGc?.length ?? 0) / 2);
  if (points >= MIN_POST_GC_POINTS) {
    method = 'post-gc';
    for (let i = 0; i + 1 < postGc!.length; i += 2) floors.push({ t: postGc![i]!, bytes: postGc![i + 1]! });
  } else {
    if ((postGcKnown && points < 2) || count < Math.max(minSamples, 2 * FLOOR_BINS)) return null;
    method = points === 2 ? 'post-gc-pair' : 'bins';
    for (let b = 0; b < FLOOR_BINS; b++) {
      const i0 = Math.floor((b * count) / FLOOR_BINS), i1 = Math.floor(((b + 1) * count) / FLOOR_BINS);
      let lo = Infinity, t = 0;
      for (let i = i0; i < i1; i++) {
        const v = samples[i * F + 1]! + samples[i * F + 3]!;
        if (v < lo) lo = v;
        t += samples[i * F]!;
      }
      floors.push({ t: t / (i1 - i0), bytes: lo });
    }
  }
  floors = floors.sort((a, b) => a.t - b.t);
  const n = floors.length;
  const fit = fitLine(floors.map((f) => f.t), floors.map((f) => f.bytes));
  const slope = fit.slope, r2 = fit.r2 ?? 0;
  let rising = 0;
  for (let i = 1; i < n; i++) if (floors[i]!.bytes > floors[i - 1]!.bytes) rising++;
  const from = floors[0]!.t, to = floors[n - 1]!.t;
  if (method === 'post-gc-pair') {
    // Two full collections: what was live at each. The bins' floors carry old-generation garbage that waits for the
    // next full collection, so the rate of live growth is the pair's; the bins say whether it was steady.
    const [t1, v1, t2, v2] = [postGc![0]!, postGc![1]!, postGc![2]!, postGc![3]!];
    const live = t2 > t1 ? (v2 - v1) / (t2 - t1) : 0;
    return { method, floors: [{ t: t1, bytes: v1 }, { t: t2, bytes: v2 }], slopeBytesPerMs: live, r2, risingShare: rising / Math.max(1, n - 1),
      growthBytes: Math.max(0, live * (to - from)), startBytes: Math.max(0, v1 - live * (t1 - from)), from, to, peakBytes: peak };
  }
  return { method, floors, slopeBytesPerMs: slope, r2, risingShare: rising / Math.max(1, n - 1), growthBytes: Math.max(0, slope * (to - from)), startBytes: Math.max(0, fit.intercept + slope * from), from, to, peakBytes: peak };
}
