import { maxConcurrency, quantile, sortedDurations, type Interval } from '../intervals';
import type { TraceSpan } from '../../model/trace';
import type { DetectorContext } from './types';

/** Median duration of spans, ms (0 for none). */
export function medianMs(spans: readonly { start: number; end: number }[]): number {
  return quantile(sortedDurations(spans), 0.5);
}

/** Most spans in flight at once (1 for none). */
export function concurrencyOf(spans: readonly { start: number; end: number }[]): number {
  return Math.max(1, maxConcurrency(spans.map((s) => [s.start, s.end] as Interval)));
}

/**
 * The saving of reusing connections (database or FTP): the connects' time on the critical path minus `kept`
 * connects at the median, the cost of opening only as many connections as the run used at once.
 */
export function connectionReuseSaving(ctx: Pick<DetectorContext, 'soleMs'>, connects: readonly TraceSpan[], kept: number): { p50: number; sole: number; saving: number } {
  const p50 = medianMs(connects);
  const sole = ctx.soleMs(connects);
  return { p50, sole, saving: Math.max(0, sole - kept * p50) };
}

/** A transfer span's file extension (lower case, with the dot): the probes' ftp.remote.ext, else from the kept path. */
export function remoteExt(s: { attrs: Readonly<Record<string, string | number | boolean>> }): string {
  return String(s.attrs['ftp.remote.ext'] ?? (String(s.attrs['ftp.remote.path'] ?? '').match(/\.[a-z0-9]+$/i)?.[0] ?? '')).toLowerCase();
}
