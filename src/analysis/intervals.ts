/** A half-open time interval [start, end), epoch ms. */
export type Interval = readonly [number, number];

/** Merges intervals into a sorted list of disjoint ones. */
export function union(intervals: Iterable<Interval>): Interval[] {
  const sorted = [...intervals].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) { if (b > last[1]) last[1] = b; }
    else out.push([a, b]);
  }
  return out;
}

/** Total length of disjoint intervals. */
export function totalLength(disjoint: readonly Interval[]): number {
  let t = 0;
  for (const [a, b] of disjoint) t += b - a;
  return t;
}

/** Length of the union of intervals. */
export function unionLength(intervals: Iterable<Interval>): number {
  return totalLength(union(intervals));
}

/** Most intervals open at one moment. */
export function maxConcurrency(intervals: Iterable<Interval>): number {
  const ev: [number, number][] = [];
  for (const [a, b] of intervals) { ev.push([a, 1], [b, -1]); }
  ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0, max = 0;
  for (const [, d] of ev) { cur += d; if (cur > max) max = cur; }
  return max;
}

/** Value at quantile q (0..1) of an ascending-sorted array, by linear interpolation. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Rounds to 3 decimals (microsecond precision for ms values). */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
