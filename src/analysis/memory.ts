import type { MemorySummary } from '../model/report';
import { unitKeyOf, type TraceModel } from '../model/trace';
import type { Interval } from './intervals';

/** Numbers per memory sample (probes/runtime.ts MEM_FIELDS): time, heapUsed, heapTotal, external, arrayBuffers, rss. */
const F = 6;

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
  return {
    method: MEMORY_METHOD,
    peakHeapUsedBytes: top.peakHeapUsedBytes,
    peakRssBytes: Math.max(...processes.map((p) => p.peakRssBytes)),
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
 * How much the heap grew during [a, b] (and the `afterMs` after it, while the driver hands the rows over): per
 * process, the highest heap used sampled in that window minus the last sample before `a`; the process where it grew
 * most. Null without samples around the window. An estimate: the sampling interval (100 ms) bounds its resolution,
 * and garbage collected in the window lowers it.
 */
export function heapGrowthDuring(model: TraceModel, a: number, b: number, afterMs = 1000): { baseBytes: number; peakBytes: number; growthBytes: number } | null {
  let best: { baseBytes: number; peakBytes: number; growthBytes: number } | null = null;
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
    const g = { baseBytes: base, peakBytes: peak, growthBytes: Math.max(0, peak - base) };
    if (!best || g.growthBytes > best.growthBytes) best = g;
  }
  return best;
}
