import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spanSourceOf } from '../../src/collect/span-store';
import { sweepRun } from '../../src/analysis/sweep';
import type { SpanRow, TraceSpan } from '../../src/model/trace';

/**
 * The one-pass sweep (src/analysis/sweep.ts) against straightforward reference implementations, on random runs:
 * each aggregate is recomputed from the rows by brute force (every elementary interval between boundaries, every
 * pair of calls) and must agree.
 */

const FINGERPRINTS = ['select 1', 'select 2', 'update t set a = ? where id = ?'];
interface Gen { kind: 'db' | 'pool' | 'connect' | 'ftp'; fp: number; start: number; len: number; pid: number; error: boolean; rows: number | null }

const genSpan = fc.record({
  kind: fc.constantFrom('db', 'db', 'db', 'pool', 'connect', 'ftp') as fc.Arbitrary<Gen['kind']>,
  fp: fc.integer({ min: 0, max: FINGERPRINTS.length - 1 }),
  start: fc.integer({ min: 0, max: 200 }),
  len: fc.integer({ min: 0, max: 40 }),
  pid: fc.integer({ min: 1, max: 2 }),
  error: fc.boolean(),
  rows: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
});

function toSpans(gens: Gen[]): TraceSpan[] {
  return gens.map((g, i) => {
    const base = { spanId: `s${i}`, parentSpanId: null, pid: g.pid, start: 1000 + g.start, end: 1000 + g.start + g.len, error: g.error, errorType: g.error ? 'E1' : null };
    if (g.kind === 'ftp') return { ...base, name: 'ftp.upload', kind: 'ftp', rows: null, attrs: { 'ftp.bytes': 10 } };
    if (g.kind === 'pool') return { ...base, name: 'pg-pool.connect', kind: 'db-connect', rows: null, attrs: { 'db.system': 'postgresql' } };
    if (g.kind === 'connect') return { ...base, name: 'pg.connect', kind: 'db-connect', rows: null, attrs: { 'db.system': 'postgresql' } };
    return { ...base, name: 'pg.query:SELECT', kind: 'db', rows: g.rows, attrs: { 'db.system': 'postgresql', 'db.fingerprint': FINGERPRINTS[g.fp]! } };
  });
}

const unionLength = (ivs: [number, number][]): number => {
  const s = ivs.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0, a = Number.NaN, b = Number.NaN;
  for (const [x, y] of s) {
    if (Number.isNaN(a) || x > b) { if (!Number.isNaN(a)) total += b - a; a = x; b = y; } else if (y > b) b = y;
  }
  return Number.isNaN(a) ? total : total + b - a;
};
/** Most of the intervals in flight at once ([start, end): one ending when another starts does not overlap it). */
const maxOverlap = (ivs: [number, number][]): number => {
  let best = 0;
  for (const [x] of ivs) best = Math.max(best, ivs.filter(([a, b]) => a <= x && x < b).length);
  return best;
};

describe('sweepRun against reference implementations', () => {
  it('per group, per process and per category, on random runs', () => {
    fc.assert(fc.property(fc.array(genSpan, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 30 }), (gens, maxGap) => {
      const { source } = spanSourceOf(toSpans(gens));
      const rows: SpanRow[] = [];
      source.forEach((r) => rows.push({ ...r }));
      const agg = sweepRun(source, { maxRetryGapMs: maxGap });
      const checkout = source.groups.map((g) => g.kind === 'db-connect' && g.name === 'pg-pool.connect');
      const isIo = (r: SpanRow) => (r.kind === 'db' || r.kind === 'db-connect' || r.kind === 'ftp') && !(r.group >= 0 && checkout[r.group]);
      const io = rows.filter((r) => isIo(r) && r.end > r.start);

      // Unions by category, and the most queries in flight at once.
      expect(agg.dbUnionMs).toBeCloseTo(unionLength(io.filter((r) => r.kind !== 'ftp').map((r) => [r.start, r.end])), 6);
      expect(agg.ftpUnionMs).toBeCloseTo(unionLength(io.filter((r) => r.kind === 'ftp').map((r) => [r.start, r.end])), 6);
      expect(agg.dbMaxConcurrency).toBe(maxOverlap(io.filter((r) => r.kind === 'db').map((r) => [r.start, r.end])));

      // Per process.
      for (const pid of new Set(rows.map((r) => r.pid))) {
        const mine = io.filter((r) => r.pid === pid);
        expect(agg.processes.get(pid)).toEqual({
          spans: rows.filter((r) => r.pid === pid).length,
          dbMs: expect.closeTo(unionLength(mine.filter((r) => r.kind !== 'ftp').map((r) => [r.start, r.end])), 6),
          ftpMs: expect.closeTo(unionLength(mine.filter((r) => r.kind === 'ftp').map((r) => [r.start, r.end])), 6),
        });
      }

      // Critical-path (sole) time: every elementary interval between boundaries whose in-flight I/O is all one group's.
      const sole = new Array<number>(source.groups.length).fill(0);
      const points = [...new Set(io.flatMap((r) => [r.start, r.end]))].sort((a, b) => a - b);
      for (let i = 0; i + 1 < points.length; i++) {
        const [x, y] = [points[i]!, points[i + 1]!];
        const live = io.filter((r) => r.start <= x && r.end >= y);
        if (live.length && live.every((r) => r.group >= 0 && r.group === live[0]!.group)) sole[live[0]!.group] += y - x;
      }

      source.groups.forEach((_, g) => {
        const mine = rows.filter((r) => r.group === g);
        const st = agg.groups[g]!;
        expect(st.calls).toBe(mine.length);
        expect(st.errors).toBe(mine.filter((r) => r.error).length);
        expect(st.totalMs).toBeCloseTo(mine.reduce((a, r) => a + r.end - r.start, 0), 6);
        expect(st.rowsSum).toBe(mine.reduce((a, r) => a + (r.rows ?? 0), 0));
        expect(st.rowsCalls).toBe(mine.filter((r) => r.rows !== null).length);
        expect(st.maxRows).toBe(Math.max(0, ...mine.map((r) => r.rows ?? 0)));
        expect(st.firstStart).toBe(mine[0]!.start);
        expect(st.lastEnd).toBe(mine[mine.length - 1]!.end);
        expect(st.unionMs).toBeCloseTo(unionLength(mine.map((r) => [r.start, r.end])), 6);
        expect(st.maxConcurrency).toBe(checkout[g] ? 0 : maxOverlap(mine.filter((r) => r.end > r.start).map((r) => [r.start, r.end])));
        expect(st.soleMs).toBeCloseTo(sole[g]!, 6);
        expect(st.durations.count).toBe(mine.length);
        // Retries: a failed call followed by the group's next call within maxGap; the wait outside any I/O of the run.
        let retries = 0, wait = 0;
        for (let i = 1; i < mine.length; i++) {
          const prev = mine[i - 1]!, cur = mine[i]!;
          if (prev.error && cur.start >= prev.end && cur.start - prev.end <= maxGap) {
            retries++;
            const covered = unionLength(io.map((r) => [Math.max(r.start, prev.end), Math.min(r.end, cur.start)] as [number, number]));
            wait += cur.start - prev.end - covered;
          }
        }
        expect(st.retries).toBe(retries);
        expect(st.retryWaitMs).toBeCloseTo(wait, 6);
      });
    }), { numRuns: process.env['CI'] ? 200 : 500, seed: 42 });
  });
});
