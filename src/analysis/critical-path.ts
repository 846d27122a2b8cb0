import type { TraceSpan } from '../model/trace';

/** Span kinds that are work in flight (I/O the job waits for). */
const IO_KINDS = new Set(['db', 'db-connect', 'ftp']);

/**
 * The run's I/O coverage: for every stretch of time, how many I/O spans were in flight. Built once per
 * analysis (one sort of all span boundaries), so that the critical-path time of any set of spans costs a
 * merge over the stretches it covers, not a sort of the whole run.
 */
export class IoCoverage {
  /** Boundaries: stretch i is [times[i], times[i + 1]). */
  private readonly times: Float64Array;
  /** I/O spans in flight during stretch i. */
  private readonly counts: Int32Array;

  constructor(all: readonly TraceSpan[]) {
    const a: number[] = [], b: number[] = [];
    for (const s of all) if (IO_KINDS.has(s.kind) && s.end > s.start) { a.push(s.start); b.push(s.end); }
    // Starts and ends sorted apart (typed arrays: a numeric sort, no comparator), then swept together; every
    // boundary time appears once, with the count after all changes at that time.
    const starts = Float64Array.from(a).sort(), ends = Float64Array.from(b).sort();
    const times = new Float64Array(starts.length + ends.length), counts = new Int32Array(starts.length + ends.length);
    let i = 0, j = 0, k = 0, cur = 0;
    while (i < starts.length || j < ends.length) {
      const t = j >= ends.length || (i < starts.length && starts[i]! < ends[j]!) ? starts[i]! : ends[j]!;
      while (i < starts.length && starts[i] === t) { cur++; i++; }
      while (j < ends.length && ends[j] === t) { cur--; j++; }
      times[k] = t; counts[k] = cur; k++;
    }
    this.times = times.slice(0, k);
    this.counts = counts.slice(0, k);
  }

  /** I/O spans in flight at time t (0 outside every span). */
  private indexAt(t: number): number {
    let lo = 0, hi = this.times.length - 1, ans = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (this.times[mid]! <= t) { ans = mid; lo = mid + 1; } else hi = mid - 1; }
    return ans;
  }

  /**
   * Time during which `own` spans were in flight and no other I/O of the run was (ms): the part of their time on
   * the run's critical path. Removing work that overlapped other I/O shortens the run only where nothing else
   * was pending: two pipelines running side by side finish when the longer one does. Concurrent spans of `own`
   * count once. Spans of `own` that are not I/O spans of the run (kind other than db, db-connect, ftp: a wait
   * between calls, say) are not in the coverage and count only as own time. CPU work is not subtracted: on
   * Node's one thread, CPU work that overlapped a pending call ran while the call was in flight.
   */
  soleTime(own: readonly TraceSpan[]): number {
    const ioS: number[] = [], ioE: number[] = [], otS: number[] = [], otE: number[] = [];
    for (const s of own) {
      if (s.end <= s.start) continue;
      if (IO_KINDS.has(s.kind)) { ioS.push(s.start); ioE.push(s.end); } else { otS.push(s.start); otE.push(s.end); }
    }
    if (ioS.length + otS.length === 0) return 0;
    // Own boundaries as four sorted streams (typed arrays: a numeric sort, no comparator), merged below.
    const streams = [ioS, ioE, otS, otE].map((x) => Float64Array.from(x).sort());
    const pos = [0, 0, 0, 0];
    const nextOwnTime = () => {
      let t = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 4; k++) { const v = streams[k]![pos[k]!]; if (v !== undefined && v < t) t = v; }
      return t;
    };
    let now = nextOwnTime();
    let j = this.indexAt(now);
    let ownIo = 0, ownOther = 0, total = 0, prev = now;
    const times = this.times, counts = this.counts;
    // Walk own boundaries and coverage boundaries together.
    const cover = () => (j >= 0 && j < counts.length ? counts[j]! : 0);
    while (now !== Number.POSITIVE_INFINITY) {
      const nextCov = j + 1 < times.length ? times[j + 1]! : Number.POSITIVE_INFINITY;
      const t = Math.min(now, nextCov);
      if (ownIo + ownOther > 0 && cover() - ownIo <= 0) total += t - prev;
      prev = t;
      if (nextCov <= now) j++;
      if (now === t) {
        // Streams 0 and 1 are own I/O starts and ends, 2 and 3 the other own spans'.
        for (let k = 0; k < 4; k++) {
          const st = streams[k]!, d = k % 2 === 0 ? 1 : -1;
          while (st[pos[k]!] === t) { if (k < 2) ownIo += d; else ownOther += d; pos[k]!++; }
        }
        now = nextOwnTime();
      }
    }
    return total;
  }
}
