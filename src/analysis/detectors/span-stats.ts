import { quantile, round3, sortedDurations } from '../intervals';
import type { QueryGroup } from '../query-digest';
import type { DetectorContext } from './types';

/** Median duration of spans, ms (0 for none). */
export function medianMs(spans: readonly { start: number; end: number }[]): number {
  return quantile(sortedDurations(spans), 0.5);
}

/**
 * The saving of reusing connections (database or FTP): the connects' time on the critical path (`sole`) minus
 * `kept` connects at the median `p50`, the cost of opening only as many connections as the run used at once.
 */
export function connectionReuseSaving(p50: number, sole: number, kept: number): { p50: number; sole: number; saving: number } {
  return { p50, sole, saving: Math.max(0, sole - kept * p50) };
}

/**
 * Median over several groups of calls, from each group's median weighted by its calls (exact for one group; for
 * several, an estimate that needs no per-call data).
 */
export function weightedMedianMs(groups: readonly { stats: { calls: number; durations: { quantile(q: number): number } } }[]): number {
  let calls = 0, sum = 0;
  for (const g of groups) { calls += g.stats.calls; sum += g.stats.calls * g.stats.durations.quantile(0.5); }
  return calls > 0 ? sum / calls : 0;
}

/** A transfer span's file extension (lower case, with the dot): the probes' ftp.remote.ext, else from the kept path. */
export function remoteExt(s: { attrs: Readonly<Record<string, string | number | boolean>> }): string {
  return String(s.attrs['ftp.remote.ext'] ?? (String(s.attrs['ftp.remote.path'] ?? '').match(/\.[a-z0-9]+$/i)?.[0] ?? '')).toLowerCase();
}

/**
 * The client-side CPU (an ORM's or query builder's, see client-cpu.ts) that `removedCalls` fewer calls of a class
 * save, with the words for the saving model; zero and '' when the class was issued by the driver directly.
 */
export function clientCpuSaving(ctx: DetectorContext, g: QueryGroup, removedCalls: number): { ms: number; model: string } {
  const c = ctx.clientCpu(g.cls.system, g.cls.fingerprint);
  if (!c || removedCalls <= 0) return { ms: 0, model: '' };
  const ms = c.perCallMs * removedCalls;
  return { ms, model: ` + ${round3(ms)} ms of ${c.library} CPU (${round3(c.perCallMs)} ms per call outside the database call, from the CPU profile, x ${Math.round(removedCalls)} calls fewer)` };
}

/**
 * The share (0..1) of the run's CPU time on the critical path: exclusive logic time over event-loop busy time (CPU
 * work that ran while I/O was pending would not shorten the run). 1 when the event loop was never seen busy.
 */
export function criticalCpuShare(breakdown: DetectorContext['breakdown']): number {
  const logic = breakdown.categories.find((c) => c.category === 'logic')?.ms ?? 0;
  return breakdown.busyMs.cpu > 0 ? Math.min(1, logic / breakdown.busyMs.cpu) : 1;
}
