import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { Timeline, computeBreakdown } from '../../src/analysis/breakdown';
import { union, unionLength, maxConcurrency } from '../../src/analysis/intervals';
import { prng, TraceBuilder } from '../helpers/trace-builder';
import { soleTimeOf, sweepRun } from '../../src/analysis/sweep';
import { spanSourceOf } from '../../src/collect/span-store';
import type { TraceModel } from '../../src/model/trace';
import type { TraceSpan } from '../../src/model/trace';

/** The breakdown as analyze computes it: one sweep feeding the timeline. */
function breakdownOf(m: TraceModel) {
  const tl = new Timeline(m);
  const agg = sweepRun(m.source, { onDbInterval: (a, b) => tl.addDb(a, b), onFtpInterval: (a, b) => tl.addFtp(a, b) });
  tl.finish(m);
  return computeBreakdown(m, tl, agg);
}

const sum = (xs: { ms: number }[]) => xs.reduce((a, x) => a + x.ms, 0);
const cat = (r: ReturnType<typeof analyze>, c: string) => r.breakdown.categories.find((x) => x.category === c)!.ms;

describe('intervals', () => {
  it('merges overlaps and counts concurrency', () => {
    expect(union([[0, 2], [1, 3], [5, 6]])).toEqual([[0, 3], [5, 6]]);
    expect(unionLength([[0, 10], [2, 3], [9, 12]])).toBe(12);
    expect(maxConcurrency([[0, 10], [2, 3], [2.5, 4], [10, 11]])).toBe(3);
  });
});

describe('breakdown', () => {
  it('adds up to the wall time and counts overlapping database work once', () => {
    const b = new TraceBuilder(1000);
    b.db('select 1', 100, 300);
    b.db('select 2', 200, 400); // overlaps the first: 100..400 = 300 ms of database time
    b.ftp('ftp.upload', 350, 600); // 400..600 is FTP only
    b.busy(0, 1000, 0.3); // 300 ms of CPU, placed outside I/O first
    const m = b.build();
    const r = analyze(m, { toolVersion: 't' });
    expect(sum(r.breakdown.categories)).toBeCloseTo(1000, 3);
    expect(cat(r, 'db')).toBeCloseTo(300, 3);
    expect(cat(r, 'ftp')).toBeCloseTo(200, 3);
    expect(cat(r, 'logic')).toBeCloseTo(300, 3);
    expect(cat(r, 'waiting')).toBeCloseTo(200, 3);
    expect(r.breakdown.busyMs.db).toBeCloseTo(300, 3);
  });

  it('caps logic at the time not covered by I/O in each window', () => {
    const b = new TraceBuilder(100);
    b.db('select 1', 0, 80);
    b.busy(0, 100, 0.5); // 50 ms busy, but only 20 ms free of I/O
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(cat(r, 'logic')).toBeCloseTo(20, 3);
    expect(cat(r, 'waiting')).toBeCloseTo(0, 3);
  });

  it('adds up for random traces (seeded)', () => {
    const rnd = prng(7);
    for (let k = 0; k < 20; k++) {
      const wall = 500 + rnd() * 5000;
      const b = new TraceBuilder(wall);
      for (let i = 0; i < 200; i++) { const s = rnd() * wall; b.db('select ' + (i % 3), s, Math.min(wall, s + rnd() * 30)); }
      for (let i = 0; i < 10; i++) { const s = rnd() * wall; b.ftp('ftp.upload', s, Math.min(wall, s + rnd() * 200)); }
      for (let t = 0; t < wall; t += 50) b.busy(t, Math.min(wall, t + 50), rnd());
      const m = b.build();
      const bd = breakdownOf(m);
      expect(sum(bd.categories)).toBeCloseTo(wall, 1);
      for (const c of bd.categories) expect(c.ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('splits time per stage', () => {
    const b = new TraceBuilder(1000);
    b.stage('extract', 0, 500);
    b.stage('load', 500, 1000);
    b.db('select 1', 0, 400);
    b.db('insert into t values (?+)', 600, 700);
    const r = analyze(b.build(), { toolVersion: 't' });
    const ex = r.stages.find((s) => s.name === 'extract')!;
    expect(ex.wallMs).toBe(500);
    expect(ex.categories.find((c) => c.category === 'db')!.ms).toBeCloseTo(400, 3);
    expect(r.stages.find((s) => s.name === 'load')!.categories.find((c) => c.category === 'db')!.ms).toBeCloseTo(100, 3);
  });
});

describe('detectors', () => {
  function nPlusOne(concurrent: boolean) {
    const b = new TraceBuilder(4000);
    b.db('select id, customer_id from orders where day = $1', 0, 50, { rows: 1000 });
    for (let i = 0; i < 1000; i++) {
      const s = concurrent ? 60 + Math.floor(i / 10) * 3 : 60 + i * 3;
      b.db('select id, name from customers where id = $1', s, s + 2, { rows: 1 });
    }
    return analyze(b.build(), { toolVersion: 't' });
  }

  it('finds a sequential N+1 and predicts the time it occupies minus one batched query', () => {
    const r = nPlusOne(false);
    const f = r.findings[0]!;
    expect(f.kind).toBe('n-plus-one-read');
    expect(f.rank).toBe(1);
    // 1000 calls x 2 ms occupy 2000 ms; one batch: 2 ms + 1000 rows x (50 ms / 1000 rows) = 52 ms
    expect(f.estimatedSavingMs).toBeCloseTo(2000 - 52, 0);
    expect(f.evidence.metrics['sourceRows']).toBe(1000);
    expect(f.recommendation.code).toContain('any($1)');
  });

  it('counts a concurrent N+1 by the time it occupies, not the sum of its calls', () => {
    const r = nPlusOne(true);
    const f = r.findings.find((x) => x.kind === 'n-plus-one-read')!;
    // 100 waves of 10 parallel 2 ms calls: 200 ms occupied
    expect(f.estimatedSavingMs).toBeLessThanOrEqual(200);
    expect(f.evidence.metrics['maxConcurrency']).toBe(10);
  });

  it('finds row-by-row inserts with a multi-row rewrite', () => {
    const b = new TraceBuilder(2000);
    for (let i = 0; i < 500; i++) b.db('insert into daily(day, n) values (?+)', i * 3, i * 3 + 1, { rows: 1, system: 'mysql' });
    const r = analyze(b.build(), { toolVersion: 't' });
    const f = r.findings.find((x) => x.kind === 'row-by-row-write')!;
    expect(f.estimatedSavingMs).toBeCloseTo(500 - (1 + 500 * 0.01), 0);
    expect(f.recommendation.code).toContain('VALUES ?');
  });

  it('does not call a set-based query an N+1', () => {
    const b = new TraceBuilder(2000);
    for (let i = 0; i < 100; i++) b.db('select * from t where day = $1', i * 10, i * 10 + 5, { rows: 5000 });
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.findings.filter((f) => f.kind !== 'unexplained-cost')).toEqual([]);
    // A quarter of the run in one class that nothing explains is said, without a claimed saving.
    expect(r.findings.map((f) => [f.kind, f.estimatedSavingMs])).toEqual([['unexplained-cost', 0]]);
  });

  it('finds serial FTP transfers and bounds the saving by the longest file', () => {
    const b = new TraceBuilder(5000);
    for (let i = 0; i < 4; i++) b.ftp('ftp.upload', i * 1000, i * 1000 + 1000, { 'ftp.bytes': 1e6, 'ftp.direction': 'upload' });
    const r = analyze(b.build(), { toolVersion: 't' });
    const f = r.findings.find((x) => x.kind === 'serial-ftp')!;
    expect(f.estimatedSavingMs).toBeCloseTo(3000, 3); // 4000 ms over 4 streams, each file 1000 ms
    expect(f.confidence).toBe('low');
  });

  it('uses the speed-up ftp-bench measured for files of that size when it has one', () => {
    const b = new TraceBuilder(5000);
    for (let i = 0; i < 4; i++) b.ftp('ftp.upload', i * 1000, i * 1000 + 1000, { 'ftp.bytes': 500_000, 'ftp.direction': 'upload' });
    const cellOf = (workload: 'small-files' | 'large-files', files: number, size: number) => ({ workload, direction: 'upload' as const, streams: 1, files, bytes: files * size, wallMs: 1, throughput: 1, verified: true, refusedConnections: 0 });
    const ftpBench = {
      schemaVersion: 1, tool: { name: 'batch-doctor' as const, version: 't' }, server: { url: 'ftp://x@h:21/', tls: false, tlsVerified: null }, startedAt: '', connect: { attempts: 1, meanMs: 1, maxMs: 1 },
      cells: [cellOf('small-files', 100, 16_384), cellOf('large-files', 4, 2_097_152)],
      recommendations: [
        { workload: 'small-files' as const, direction: 'upload' as const, streams: 2, throughput: 1.5e6, singleStreamThroughput: 1e6 },
        { workload: 'large-files' as const, direction: 'upload' as const, streams: 4, throughput: 3e6, singleStreamThroughput: 1e6 },
      ],
      limits: { maxConnections: null, perSessionCapLikely: true, perStreamThroughput: 1e6, notes: [] }, compression: null, perFileOverheadMs: 1, scratchRemoved: true, warnings: [],
    };
    const f = analyze(b.build(), { toolVersion: 't', ftpBench }).findings.find((x) => x.kind === 'serial-ftp')!;
    // 500 kB files are nearer 2 MiB than 16 KiB: the large-file figures apply, 3x with 4 streams.
    expect(f.confidence).toBe('high');
    expect(f.evidence.metrics['measuredSpeedup']).toBe(3);
    expect(f.estimatedSavingMs).toBeCloseTo(4000 - Math.max(4000 / 3, 1000), 3);
  });

  it('says plainly when it lacks data', () => {
    const r = analyze(new TraceBuilder(100).build(), { toolVersion: 't' });
    expect(r.findings).toEqual([]);
    for (const d of r.detectors) { expect(d.status).toBe('no-data'); expect(d.reason).toBeTruthy(); }
  });

  it('never predicts more saving than the time the category took', () => {
    const r = nPlusOne(false);
    const db = cat(r, 'db');
    expect(r.whatIf.allMs).toBeGreaterThanOrEqual(r.breakdown.wallMs - db - 1e-6);
    expect(r.whatIf.top1Ms).toBeLessThan(r.whatIf.currentMs);
  });
});

describe('critical path and what-if', () => {
  it('counts only the part of an N+1 that no other I/O overlapped', () => {
    // Two pipelines side by side: 1000 sequential 2 ms lookups (0..2000 ms) while FTP uploads run 0..1500 ms.
    const b = new TraceBuilder(2100);
    b.db('select id, customer_id from orders where day = $1', 0, 10, { rows: 1000 });
    for (let i = 0; i < 1000; i++) b.db('select id, name from customers where id = $1', 10 + i * 2, 12 + i * 2, { rows: 1 });
    for (let i = 0; i < 3; i++) b.ftp('ftp.upload', i * 500, i * 500 + 500, { 'ftp.bytes': 1000 });
    const r = analyze(b.build(), { toolVersion: 't' });
    const n1 = r.findings.find((f) => f.kind === 'n-plus-one-read')!;
    // Only 1500..2010 ms of the lookups had nothing else pending: removing them cannot save more than that.
    expect(n1.estimatedSavingMs).toBeLessThanOrEqual(510);
    expect(n1.estimatedSavingMs).toBeGreaterThan(400);
    const total = r.findings.reduce((a, f) => a + f.estimatedSavingMs, 0);
    expect(total).toBeLessThanOrEqual(r.run.wallMs);
    expect(r.whatIf.allMs).toBeGreaterThanOrEqual(0);
  });

  it('does not add up two findings about the same statement class', () => {
    const b = new TraceBuilder(3000);
    b.db('select count(*) from orders where note like $1', 0, 900, { rows: 1 });
    b.db('select count(*) from refunds', 901, 1500, { rows: 1 });
    const m = b.build();
    const cls = analyze(m, { toolVersion: 't' }).queries.find((q) => q.fingerprint.includes('orders'))!;
    // The first statement also scans a table: a missing-index finding on a class the sequential-queries finding covers.
    const r = analyze(m, {
      toolVersion: 't',
      explains: [{
        queryClassId: cls.id, system: 'postgresql', fingerprint: cls.fingerprint, mode: 'plan', plan: null, diagnostics: [], error: null,
        indexAdvice: [{ table: 'orders', columns: ['note'], createStatement: 'CREATE INDEX ON orders (note);', confirmed: true, costBefore: 100, costAfter: 10, basis: 'b' }],
      } as never],
    });
    const kinds = r.findings.map((f) => f.kind);
    expect(kinds).toContain('missing-index');
    expect(kinds).toContain('sequential-queries');
    const largest = Math.max(...r.findings.map((f) => f.estimatedSavingMs));
    // They share a statement class: together they save what the larger one does, not the sum.
    expect(r.whatIf.allMs).toBeCloseTo(r.run.wallMs - largest, 1);
  });

  it('leaves a lookup whose plan scans the table to the missing index, not the N+1', () => {
    const b = new TraceBuilder(3000);
    b.db('select id, customer_id from orders where day = $1', 0, 10, { rows: 1000 });
    for (let i = 0; i < 1000; i++) b.db('select id, name from customers where ref = $1', 10 + i * 2, 12 + i * 2, { rows: 1 });
    const m = b.build();
    const cls = analyze(m, { toolVersion: 't' }).queries.find((q) => q.calls === 1000)!;
    expect(analyze(m, { toolVersion: 't' }).findings[0]!.kind).toBe('n-plus-one-read');
    const r = analyze(m, {
      toolVersion: 't',
      explains: [{
        queryClassId: cls.id, system: 'postgresql', fingerprint: cls.fingerprint, mode: 'plan', plan: null, diagnostics: [], error: null,
        indexAdvice: [{ table: 'customers', columns: ['ref'], createStatement: 'CREATE INDEX ON customers (ref);', confirmed: true, costBefore: 100, costAfter: 10, basis: 'b' }],
      } as never],
    });
    expect(r.findings.map((f) => f.kind)).toEqual(['missing-index']);
  });
});

describe('chatty progress and CPU hot spots', () => {
  const progress = (keyConstant: boolean) => {
    const b = new TraceBuilder(2000);
    for (let i = 0; i < 1000; i++) b.db('update job_progress set done = $1 where job_id = $2', i * 2, i * 2 + 1, { rows: 1 });
    b.valueStats('update job_progress set done = $1 where job_id = $2', 1000, [1000, keyConstant ? 1 : 1000]);
    return analyze(b.build(), { toolVersion: 't' });
  };

  it('calls the same row updated 500 times a second chatty, and predicts the throttled cost', () => {
    const r = progress(true);
    const f = r.findings[0]!;
    expect(f.kind).toBe('chatty-progress');
    // 1000 ms of UPDATEs; throttled to one per second over ~2 s: 3 calls of 1 ms remain.
    expect(f.estimatedSavingMs).toBeCloseTo(1000 - 3, 0);
    expect(r.findings.some((x) => x.kind === 'row-by-row-write')).toBe(false);
  });

  it('calls UPDATEs of many rows a row-by-row write, not progress', () => {
    const r = progress(false);
    expect(r.findings[0]!.kind).toBe('row-by-row-write');
    expect(r.findings.some((x) => x.kind === 'chatty-progress')).toBe(false);
  });

  it('says it lacks data when the probes did not track the bind values', () => {
    const b = new TraceBuilder(2000);
    for (let i = 0; i < 1000; i++) b.db('update job_progress set done = $1 where job_id = $2', i * 2, i * 2 + 1, { rows: 1 });
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.detectors.find((d) => d.id === 'chatty-progress')!.status).toBe('no-data');
  });

  it('names the hot function with file and line, and scales its time by the share of CPU on the critical path', () => {
    const b = new TraceBuilder(1000);
    b.db('select 1', 0, 500);
    b.busy(0, 1000, 0.8); // 800 ms of CPU, but only 500 ms outside the database call
    b.cpuProfile([
      { name: 'formatAmount', url: 'file:///jobs/export.js', line: 12, attributedMs: 400 },
      { name: 'tiny', url: 'file:///jobs/export.js', line: 40, attributedMs: 20 },
    ]);
    const r = analyze(b.build(), { toolVersion: 't' });
    const hot = r.findings.filter((f) => f.kind === 'cpu-hot-spot');
    expect(hot).toHaveLength(1); // 20 ms is under the 200 ms threshold
    expect(hot[0]!.title).toContain('formatAmount() at /jobs/export.js:12');
    expect(hot[0]!.evidence.metrics['criticalShare']).toBeCloseTo(500 / 800, 3);
    expect(hot[0]!.estimatedSavingMs).toBeCloseTo(400 * (500 / 800), 1);
  });

  it('loading modules is start-up, not a per-record hot spot; the same function doing its own work still is', () => {
    const make = (spentIn: { frame: string; ms: number }[]) => {
      const b = new TraceBuilder(2000);
      b.busy(0, 2000, 0.9);
      // The CommonJS wrapper of the job (line 1) requiring knex, sequelize...: its time is resolving and compiling.
      b.cpuProfile([{ name: '(anonymous)', url: 'file:///jobs/job.js', line: 1, attributedMs: 600, spentIn }]);
      return analyze(b.build(), { toolVersion: 't' }).findings.filter((f) => f.kind === 'cpu-hot-spot');
    };
    expect(make([{ frame: 'compileFunctionForCJSLoader', ms: 250 }, { frame: 'wrapSafe loader:1', ms: 120 }, { frame: '_resolveFilename loader:2', ms: 80 }, { frame: 'internalModuleStat', ms: 60 }])).toEqual([]);
    expect(make([{ frame: 'createHash', ms: 500 }, { frame: 'compileFunctionForCJSLoader', ms: 60 }])).toHaveLength(1);
  });
});

describe('critical-path time (property)', () => {
  const KINDS = ['db', 'ftp', 'db-connect', 'stage', 'other'] as const;
  const io = (s: TraceSpan) => s.kind === 'db' || s.kind === 'ftp' || s.kind === 'db-connect';
  /** Random integer spans; own ones are marked by pid 2 (the rows of a source carry no identity). */
  function randomSpans(rnd: () => number, n: number, ownShare: number, fps = 3): TraceSpan[] {
    const spans: TraceSpan[] = [];
    for (let i = 0; i < n; i++) {
      const a = Math.floor(rnd() * 200), len = Math.floor(rnd() * 30);
      const kind = KINDS[Math.floor(rnd() * 5)]!;
      const fp = `select ${Math.floor(rnd() * fps)}`;
      spans.push({ spanId: String(i), parentSpanId: null, pid: rnd() < ownShare ? 2 : 1, name: kind === 'ftp' ? 'ftp.upload' : 'x', kind, start: a, end: a + len,
        error: rnd() < 0.2, errorType: null, rows: null, attrs: kind === 'db' ? { 'db.system': 'postgresql', 'db.fingerprint': fp } : {} });
    }
    return spans;
  }
  const brute = (spans: TraceSpan[], isOwn: (s: TraceSpan) => boolean) => {
    let n = 0;
    for (let t = 0; t < 240; t++) {
      const inOwn = spans.some((s) => isOwn(s) && s.start <= t && t < s.end);
      const other = spans.some((s) => !isOwn(s) && io(s) && s.start <= t && t < s.end);
      if (inOwn && !other) n++;
    }
    return n;
  };

  it('soleTimeOf equals a brute-force count over 1 ms steps on random integer spans', () => {
    const rnd = prng(42);
    for (let trial = 0; trial < 100; trial++) {
      const spans = randomSpans(rnd, 40, 0.3);
      const { source } = spanSourceOf(spans);
      expect(soleTimeOf(source, (r) => r.pid === 2)).toBeCloseTo(brute(spans, (s) => s.pid === 2), 6);
      // Intervals that are not I/O calls (waits) count as own time too.
      const waits: [number, number][] = [[Math.floor(rnd() * 200), 0]];
      waits[0]![1] = waits[0]![0] + Math.floor(rnd() * 20);
      const withWaits = [...spans, { ...spans[0]!, pid: 2, kind: 'other' as const, start: waits[0]![0], end: waits[0]![1] }];
      expect(soleTimeOf(source, (r) => r.pid === 2, waits)).toBeCloseTo(brute(withWaits, (s) => s.pid === 2), 6);
    }
  });

  it('the main pass gives every statement class its brute-force critical-path time, union and peak concurrency', () => {
    const rnd = prng(9);
    for (let trial = 0; trial < 100; trial++) {
      const spans = randomSpans(rnd, 30, 0, 2);
      const { source } = spanSourceOf(spans);
      const agg = sweepRun(source);
      source.groups.forEach((g, i) => {
        if (g.kind !== 'db') return;
        const mine = (s: TraceSpan) => s.kind === 'db' && s.attrs['db.fingerprint'] === g.fingerprint;
        expect(agg.groups[i]!.soleMs).toBeCloseTo(brute(spans, mine), 6);
        expect(agg.groups[i]!.unionMs).toBeCloseTo(unionLength(spans.filter(mine).map((s) => [s.start, s.end] as [number, number])), 6);
        expect(agg.groups[i]!.maxConcurrency).toBe(maxConcurrency(spans.filter((s) => mine(s) && s.end > s.start).map((s) => [s.start, s.end] as [number, number])));
        expect(agg.groups[i]!.calls).toBe(spans.filter(mine).length);
      });
      expect(agg.dbUnionMs).toBeCloseTo(unionLength(spans.filter((s) => s.kind === 'db' || s.kind === 'db-connect').map((s) => [s.start, s.end] as [number, number])), 6);
    }
  });
});


describe('interval primitives (property)', () => {
  it('union length and most open intervals equal brute-force counts over 1 ms steps, sorted input or not', () => {
    const rnd = prng(7);
    for (let trial = 0; trial < 200; trial++) {
      const ivs: [number, number][] = [];
      const n = Math.floor(rnd() * 30);
      for (let i = 0; i < n; i++) {
        const a = Math.floor(rnd() * 100);
        ivs.push([a, a + Math.floor(rnd() * 25) - 2]); // some empty or reversed ones
      }
      if (rnd() < 0.5) ivs.sort((x, y) => x[0] - y[0]);
      let covered = 0, most = 0;
      for (let t = 0; t < 130; t++) {
        const open = ivs.filter(([a, b]) => a <= t && t < b).length;
        if (open > 0) covered++;
        most = Math.max(most, open);
      }
      expect(unionLength(ivs)).toBe(covered);
      expect(maxConcurrency(ivs.filter(([a, b]) => b > a))).toBe(most);
      const u = union(ivs);
      for (let k = 1; k < u.length; k++) expect(u[k]![0]).toBeGreaterThan(u[k - 1]![1]);
    }
  });
});
