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
    const ev: number[] = [];
    for (const s of all) if (IO_KINDS.has(s.kind) && s.end > s.start) ev.push(s.start, 1, s.end, -1);
    const n = ev.length / 2;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => ev[2 * a]! - ev[2 * b]!);
    const times: number[] = [], counts: number[] = [];
    let cur = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const t = ev[2 * i]!;
      cur += ev[2 * i + 1]!;
      if (times.length && times[times.length - 1] === t) counts[counts.length - 1] = cur;
      else { times.push(t); counts.push(cur); }
    }
    this.times = Float64Array.from(times);
    this.counts = Int32Array.from(counts);
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
    const ev: [number, number, number][] = []; // time, own I/O delta, own non-I/O delta
    for (const s of own) {
      if (s.end <= s.start) continue;
      const io = IO_KINDS.has(s.kind) ? 1 : 0;
      ev.push([s.start, io, 1 - io], [s.end, -io, io - 1]);
    }
    if (ev.length === 0) return 0;
    ev.sort((a, b) => a[0] - b[0]);
    let j = this.indexAt(ev[0]![0]);
    let ownIo = 0, ownOther = 0, total = 0, prev = ev[0]![0];
    const times = this.times, counts = this.counts;
    // Walk own boundaries and coverage boundaries together.
    const cover = () => (j >= 0 && j < counts.length ? counts[j]! : 0);
    for (let e = 0; e < ev.length;) {
      const nextOwn = ev[e]![0];
      const nextCov = j + 1 < times.length ? times[j + 1]! : Number.POSITIVE_INFINITY;
      const t = Math.min(nextOwn, nextCov);
      if (ownIo + ownOther > 0 && cover() - ownIo <= 0) total += t - prev;
      prev = t;
      if (nextCov <= nextOwn) j++;
      while (e < ev.length && ev[e]![0] === t) { ownIo += ev[e]![1]; ownOther += ev[e]![2]; e++; }
    }
    return total;
  }
}
