import type { TraceSpan } from '../model/trace';

/** Span kinds that are work in flight (I/O the job waits for). */
const IO_KINDS = new Set(['db', 'db-connect', 'ftp']);

/**
 * Time during which `own` spans were in flight and no other I/O of the run was (ms): the part of their time on
 * the run's critical path. Removing work that overlapped other I/O shortens the run only where nothing else
 * was pending: two pipelines running side by side finish when the longer one does. Concurrent spans of `own`
 * count once. CPU work is not subtracted: on Node's one thread, CPU work that overlapped a pending call ran
 * while the call was in flight, and the call's own time is what a fix removes.
 */
export function soleTime(own: readonly TraceSpan[], all: readonly TraceSpan[]): number {
  if (own.length === 0) return 0;
  const mine = new Set(own);
  // Sweep over start/end events: +1/-1 for own, +1/-1 for the rest.
  const ev: [number, number, number][] = [];
  for (const s of own) if (s.end > s.start) ev.push([s.start, 1, 0], [s.end, -1, 0]);
  let first = Number.POSITIVE_INFINITY, last = Number.NEGATIVE_INFINITY;
  for (const s of own) { if (s.start < first) first = s.start; if (s.end > last) last = s.end; }
  for (const s of all) {
    if (mine.has(s) || !IO_KINDS.has(s.kind) || s.end <= first || s.start >= last || s.end <= s.start) continue;
    ev.push([s.start, 0, 1], [s.end, 0, -1]);
  }
  ev.sort((a, b) => a[0] - b[0]);
  let ownOpen = 0, otherOpen = 0, prev = 0, total = 0;
  for (const [t, dOwn, dOther] of ev) {
    if (ownOpen > 0 && otherOpen === 0) total += t - prev;
    ownOpen += dOwn; otherOpen += dOther; prev = t;
  }
  return total;
}
