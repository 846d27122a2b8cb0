import { maxConcurrency, type Interval } from '../intervals';

/** Median duration of spans, ms (0 for none). */
export function medianMs(spans: readonly { start: number; end: number }[]): number {
  if (spans.length === 0) return 0;
  const d = spans.map((s) => s.end - s.start).sort((a, b) => a - b);
  const m = d.length >> 1;
  return d.length % 2 ? d[m]! : (d[m - 1]! + d[m]!) / 2;
}

/** Most spans in flight at once (1 for none). */
export function concurrencyOf(spans: readonly { start: number; end: number }[]): number {
  return Math.max(1, maxConcurrency(spans.map((s) => [s.start, s.end] as Interval)));
}
