import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { TraceBuilder } from '../helpers/trace-builder';

/**
 * Every detector family, slow and fixed, on synthetic traces of the same work (times in ms): on the slow trace
 * the family's finding is there; once the fix is applied it is gone, and no finding promises more than 10% of
 * the wall. The real slow/fixed pairs across drivers and ORMs are the corpus (test/e2e/corpus.test.ts).
 */
const upload = (b: TraceBuilder, s: number, e: number, bytes: number, ext = '.bin', mode = 'binary') =>
  b.ftp('ftp.upload', s, e, { 'ftp.bytes': bytes, 'ftp.remote.ext': ext, 'ftp.transfer.mode': mode, 'server.address': '10.0.0.2', 'server.port': 21 });

const FAMILIES: { kind: string; slow: () => TraceBuilder; fixed: () => TraceBuilder }[] = [
  {
    kind: 'n-plus-one-read',
    slow: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 1000; i++) b.db('select name from customers where id = $1', i * 2.5, i * 2.5 + 2, { rows: 1 }); return b.valueStats('select name from customers where id = $1', 1000, [1000]); },
    fixed: () => { const b = new TraceBuilder(3000); b.db('select name from customers where id = any($1)', 0, 40, { rows: 1000 }); return b.busy(40, 3000, 0.02); },
  },
  {
    kind: 'row-by-row-write',
    slow: () => { const b = new TraceBuilder(2000); for (let i = 0; i < 500; i++) b.db('insert into daily(day, n) values (?+)', i * 3, i * 3 + 1, { rows: 1, system: 'mysql' }); return b; },
    fixed: () => { const b = new TraceBuilder(2000); b.db('insert into daily(day, n) values (?+)', 0, 20, { rows: 500, system: 'mysql' }); return b; },
  },
  {
    kind: 'chatty-progress',
    slow: () => { const b = new TraceBuilder(2000); for (let i = 0; i < 1000; i++) b.db('update job_progress set done = $1 where job_id = $2', i * 2, i * 2 + 1, { rows: 1 }); return b.valueStats('update job_progress set done = $1 where job_id = $2', 1000, [1000, 1]); },
    fixed: () => { const b = new TraceBuilder(2000); for (let i = 0; i < 2; i++) b.db('update job_progress set done = $1 where job_id = $2', i * 1000, i * 1000 + 1, { rows: 1 }); return b.valueStats('update job_progress set done = $1 where job_id = $2', 2, [2, 1]); },
  },
  {
    kind: 'large-result-set',
    slow: () => { const b = new TraceBuilder(3000); b.db('select * from events', 0, 2000, { rows: 500_000 }); return b; },
    fixed: () => { const b = new TraceBuilder(3000); b.db('select * from events where kind = $1', 0, 150, { rows: 5000 }); return b; },
  },
  {
    kind: 'connection-per-query',
    slow: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 100; i++) { b.dbConnect(i * 20, i * 20 + 15); b.db('select 1 from t where id = $1', i * 20 + 15, i * 20 + 17, { rows: 1 }); } return b; },
    fixed: () => { const b = new TraceBuilder(3000); b.dbConnect(0, 15); for (let i = 0; i < 100; i++) b.db('select 1 from t where id = $1', 20 + i * 3, 22 + i * 3, { rows: 1 }); return b; },
  },
  {
    kind: 'commit-per-row',
    slow: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 200; i++) { const s = i * 10; b.db('begin', s, s + 1); b.db('insert into t(a) values (?+)', s + 1, s + 3, { rows: 1 }); b.db('commit', s + 3, s + 8); } return b; },
    fixed: () => { const b = new TraceBuilder(3000); b.db('begin', 0, 1); b.db('insert into t(a) values (?+)', 1, 40, { rows: 200 }); b.db('commit', 40, 45); return b; },
  },
  {
    kind: 'sequential-queries',
    slow: () => { const b = new TraceBuilder(1500); b.db('select count(*) from a', 0, 600); b.db('select count(*) from b', 601, 1001); b.db('select count(*) from c', 1002, 1302); return b; },
    fixed: () => { const b = new TraceBuilder(1500); b.db('select count(*) from a', 0, 600); b.db('select count(*) from b', 0, 400); b.db('select count(*) from c', 0, 300); return b; },
  },
  {
    kind: 'errors-and-retries',
    slow: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 10; i++) { b.db('insert into t(a) values (?+)', i * 200, i * 200 + 50, { error: true }); b.db('insert into t(a) values (?+)', i * 200 + 150, i * 200 + 160, { rows: 1 }); } return b; },
    fixed: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 10; i++) b.db('insert into t(a) values (?+)', i * 200, i * 200 + 10, { rows: 1 }); return b; },
  },
  {
    kind: 'ftp-connection-per-file',
    slow: () => { const b = new TraceBuilder(1200); for (let i = 0; i < 10; i++) { b.ftp('ftp.connect', i * 100, i * 100 + 40); upload(b, i * 100 + 40, i * 100 + 45, 1000); } return b; },
    fixed: () => { const b = new TraceBuilder(1200); b.ftp('ftp.connect', 0, 40); for (let i = 0; i < 10; i++) upload(b, 40 + i * 5, 45 + i * 5, 1000); return b; },
  },
  {
    kind: 'ftp-uncompressed',
    slow: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 4; i++) upload(b, i * 500, i * 500 + 500, 2_000_000, '.csv'); return b.busy(0, 3000, 0.02); },
    fixed: () => { const b = new TraceBuilder(3000); for (let i = 0; i < 4; i++) upload(b, i * 50, i * 50 + 50, 2_000_000 / 8, '.gz'); return b; },
  },
  {
    kind: 'ftp-ascii-binary',
    slow: () => { const b = new TraceBuilder(1000); upload(b, 0, 10, 100, '.zip', 'ascii'); return b; },
    fixed: () => { const b = new TraceBuilder(1000); upload(b, 0, 10, 100, '.zip', 'binary'); return b; },
  },
  {
    kind: 'ftp-slow-transfer',
    slow: () => { const b = new TraceBuilder(10_000); for (let i = 0; i < 5; i++) upload(b, i * 200, i * 200 + 100, 1_000_000); upload(b, 1000, 6000, 1_000_000); return b; },
    fixed: () => { const b = new TraceBuilder(10_000); for (let i = 0; i < 6; i++) upload(b, i * 200, i * 200 + 100, 1_000_000); return b; },
  },
  {
    kind: 'gc-pressure',
    slow: () => new TraceBuilder(1000).busy(0, 1000, 1).runtime({ gc: { count: 300, totalMs: 250, maxMs: 5 } }),
    fixed: () => new TraceBuilder(1000).busy(0, 1000, 1).runtime({ gc: { count: 30, totalMs: 20, maxMs: 5 } }),
  },
  {
    kind: 'event-loop-blocked',
    slow: () => new TraceBuilder(5000).runtime({ eventLoopDelayMs: { p50: 10, p99: 900, max: 3200, mean: 40 } }),
    fixed: () => new TraceBuilder(5000).runtime({ eventLoopDelayMs: { p50: 1, p99: 12, max: 30, mean: 2 } }),
  },
  {
    kind: 'serial-stages',
    slow: () => { const b = new TraceBuilder(3000); b.stage('extract', 0, 1000); b.db('select * from orders', 0, 900, { rows: 10 }); b.stage('upload', 1000, 2500); b.ftp('ftp.upload', 1000, 2400, { 'ftp.bytes': 100, 'ftp.remote.ext': '.bin' }); return b; },
    fixed: () => { const b = new TraceBuilder(3000); b.stage('extract', 0, 1000); b.db('select * from orders', 0, 900, { rows: 10 }); b.stage('upload', 100, 1500); b.ftp('ftp.upload', 100, 1500, { 'ftp.bytes': 100, 'ftp.remote.ext': '.bin' }); return b; },
  },
  {
    kind: 'cpu-hot-spot',
    slow: () => new TraceBuilder(1000).busy(0, 1000, 0.8).cpuProfile([{ name: 'formatAmount', url: 'file:///jobs/export.js', line: 12, attributedMs: 700 }]),
    // The formatter cached: its work is gone from the profile, the CPU time with it.
    fixed: () => new TraceBuilder(1000).busy(0, 1000, 0.1).cpuProfile([{ name: 'formatAmount', url: 'file:///jobs/export.js', line: 12, attributedMs: 20 }]),
  },
  {
    kind: 'heap-near-limit',
    slow: () => new TraceBuilder(2000).memory([[0, 100 * 1048576, 150 * 1048576], [1000, 1600 * 1048576, 1800 * 1048576]], 2048 * 1048576),
    // Streamed: one batch held at a time.
    fixed: () => new TraceBuilder(2000).memory([[0, 100 * 1048576, 150 * 1048576], [1000, 140 * 1048576, 200 * 1048576]], 2048 * 1048576),
  },
];

describe('fixed variants: the finding is gone and nothing promises more than 10% of the wall', () => {
  for (const f of FAMILIES) {
    it(f.kind, () => {
      const slow = analyze(f.slow().build(), { toolVersion: 't' });
      expect(slow.findings.map((x) => x.kind), 'the slow variant').toContain(f.kind);
      const fixed = analyze(f.fixed().build(), { toolVersion: 't' });
      expect(fixed.findings.filter((x) => x.kind === f.kind)).toEqual([]);
      expect(fixed.findings.filter((x) => x.estimatedSavingMs > 0.1 * fixed.run.wallMs).map((x) => `${x.kind}: ${x.estimatedSavingMs}`)).toEqual([]);
    });
  }
});
