/** A half-open time interval [start, end), epoch ms. */
export type Interval = readonly [number, number];

/**
 * Merges intervals into a sorted list of disjoint ones. Input already in start order (spans of the model are
 * kept sorted by start, and so is any list filtered from them) is not sorted again: at a million spans the
 * comparator sort was most of the cost.
 */
export function union(intervals: Iterable<Interval>): Interval[] {
  const list: readonly Interval[] = Array.isArray(intervals) ? intervals : [...intervals];
  let inOrder = true;
  for (let i = 1; i < list.length; i++) if (list[i]![0] < list[i - 1]![0]) { inOrder = false; break; }
  const sorted = inOrder ? list : [...list].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    if (!(b > a)) continue;
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

/**
 * Most intervals open at one moment (an interval that ends when another starts does not overlap it). Starts and
 * ends are sorted apart as typed arrays (a numeric sort without a comparator) and swept together.
 */
export function maxConcurrency(intervals: Iterable<Interval>): number {
  const a: number[] = [], b: number[] = [];
  for (const [x, y] of intervals) { a.push(x); b.push(y); }
  const starts = Float64Array.from(a).sort(), ends = Float64Array.from(b).sort();
  let i = 0, j = 0, cur = 0, max = 0;
  while (i < starts.length) {
    if (ends[j]! <= starts[i]!) { cur--; j++; } else { cur++; i++; if (cur > max) max = cur; }
  }
  return max;
}

/** Durations (end - start, ms) of spans in ascending order, as a typed array (a numeric sort, no comparator). */
export function sortedDurations(spans: readonly { start: number; end: number }[]): Float64Array {
  const d = new Float64Array(spans.length);
  for (let i = 0; i < spans.length; i++) d[i] = spans[i]!.end - spans[i]!.start;
  return d.sort();
}

/** Value at quantile q (0..1) of an ascending-sorted array, by linear interpolation. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Length of the overlap of [a, b) with sorted disjoint intervals (binary search to the first that can overlap). */
export function overlapWith(a: number, b: number, u: readonly Interval[]): number {
  let lo = 0, hi = u.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (u[mid]![1] <= a) lo = mid + 1; else hi = mid; }
  let len = 0;
  for (let i = lo; i < u.length && u[i]![0] < b; i++) len += Math.max(0, Math.min(b, u[i]![1]) - Math.max(a, u[i]![0]));
  return len;
}

/**
 * The union of intervals given in start order, built online: the running piece grows while the next interval
 * starts within it; a piece that can grow no more is handed to `onPiece` and counted in `total`.
 */
export class RunningUnion {
  /** The running piece, [start, end); start is NaN before the first interval and after flush. */
  start = Number.NaN;
  end = 0;
  /** Length of the pieces handed on so far, ms. */
  total = 0;
  constructor(private readonly onPiece?: (a: number, b: number) => void) {}

  /** Adds [a, b) (a no earlier than any interval added before). */
  add(a: number, b: number): void {
    if (Number.isNaN(this.start) || a > this.end) { this.flush(); this.start = a; this.end = b; }
    else if (b > this.end) this.end = b;
  }

  /** Hands on the running piece; `total` is then the union's length. */
  flush(): void {
    if (Number.isNaN(this.start)) return;
    this.total += this.end - this.start;
    this.onPiece?.(this.start, this.end);
    this.start = Number.NaN;
  }
}

/** Rounds to 3 decimals (microsecond precision for ms values). */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
