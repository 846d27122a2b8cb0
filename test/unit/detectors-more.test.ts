import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { TraceBuilder } from '../helpers/trace-builder';
import { queryClassId } from '../../src/analysis/query-digest';

/** One positive and one negative case per detector, on synthetic traces (times in ms). */
const kinds = (b: TraceBuilder) => analyze(b.build(), { toolVersion: 't' }).findings;
const find = (b: TraceBuilder, kind: string) => kinds(b).find((f) => f.kind === kind);

describe('database detectors', () => {
  it('connection per query: one connect per statement, saving all but one connect', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 100; i++) { b.dbConnect(i * 20, i * 20 + 15); b.db('select 1 from t where id = $1', i * 20 + 15, i * 20 + 17, { rows: 1 }); }
    const f = find(b, 'connection-per-query')!;
    expect(f.estimatedSavingMs).toBeCloseTo(100 * 15 - 15, 3);
    const pooled = new TraceBuilder(3000);
    pooled.dbConnect(0, 15);
    for (let i = 0; i < 100; i++) pooled.db('select 1 from t where id = $1', 20 + i * 3, 22 + i * 3, { rows: 1 });
    expect(find(pooled, 'connection-per-query')).toBeUndefined();
  });

  it('commit per row: BEGIN/INSERT/COMMIT per row, and not for one transaction', () => {
    const b = new TraceBuilder(5000);
    for (let i = 0; i < 200; i++) {
      const s = i * 10;
      b.db('begin', s, s + 1); b.db('insert into t(a) values (?+)', s + 1, s + 3, { rows: 1 }); b.db('commit', s + 3, s + 8);
    }
    const f = find(b, 'commit-per-row')!;
    // 200 x (1 + 5) ms of BEGIN/COMMIT; one transaction of 1000 writes remains.
    expect(f.estimatedSavingMs).toBeCloseTo(1200 - 6, 3);
    const one = new TraceBuilder(5000);
    one.db('begin', 0, 1);
    for (let i = 0; i < 200; i++) one.db('insert into t(a) values (?+)', 1 + i * 3, 3 + i * 3, { rows: 1 });
    one.db('commit', 700, 705);
    expect(find(one, 'commit-per-row')).toBeUndefined();
  });

  it('large result set: used whole (written back), a risk finding without a time claim; reduced in JavaScript, filter in SQL', () => {
    const b = new TraceBuilder(4000);
    b.db('select * from events', 0, 2000, { rows: 500_000 });
    for (let i = 0; i < 500; i++) b.db('insert into archive (a, b) values (?+)', 2000 + i * 3, 2000 + i * 3 + 2, { rows: 1000 });
    const f = find(b, 'large-result-set')!;
    expect(f.estimatedSavingMs).toBe(0);
    expect(f.risk).toMatch(/500000 rows/);
    const reduced = new TraceBuilder(3000);
    reduced.db('select * from events', 0, 2000, { rows: 500_000 });
    const g = find(reduced, 'large-result-set')!;
    expect(g.title).toBe('500000 rows read to keep none: filter in SQL');
    expect(g.estimatedSavingMs).toBeCloseTo(2000, 0);
    const some = new TraceBuilder(3000);
    some.db('select * from events', 0, 2000, { rows: 500_000 });
    some.db('insert into hits (a) values (?+)', 2100, 2200, { rows: 50_000 });
    expect(find(some, 'large-result-set')!.estimatedSavingMs).toBeCloseTo(2000 * 0.9, 0);
    const small = new TraceBuilder(3000);
    small.db('select * from events', 0, 2000, { rows: 5000 });
    expect(find(small, 'large-result-set')).toBeUndefined();
  });

  it('sequential independent queries: back-to-back long statements, but not with work in between', () => {
    const b = new TraceBuilder(3000);
    b.db('select count(*) from a', 0, 600); b.db('select count(*) from b', 601, 1001); b.db('select count(*) from c', 1002, 1302);
    const f = find(b, 'sequential-queries')!;
    expect(f.estimatedSavingMs).toBeCloseTo(1300 - 600, 3);
    const dependent = new TraceBuilder(3000);
    dependent.db('select count(*) from a', 0, 600); dependent.db('select count(*) from b', 700, 1100);
    expect(find(dependent, 'sequential-queries')).toBeUndefined();
  });

  it('errors and retries: failed attempts and the waits before their retries', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 10; i++) {
      b.db('insert into t(a) values (?+)', i * 200, i * 200 + 50, { error: true });
      b.db('insert into t(a) values (?+)', i * 200 + 150, i * 200 + 160, { rows: 1 });
    }
    const f = find(b, 'errors-and-retries')!;
    expect(f.evidence.metrics['retries']).toBe(10);
    expect(f.estimatedSavingMs).toBeCloseTo(10 * 50 + 10 * 100, 3);
    expect(f.risk).toMatch(/50% of these calls fail/);
  });
});

describe('FTP detectors', () => {
  const upload = (b: TraceBuilder, s: number, e: number, bytes: number, ext = '.csv', mode = 'binary') =>
    b.ftp('ftp.upload', s, e, { 'ftp.bytes': bytes, 'ftp.remote.ext': ext, 'ftp.transfer.mode': mode });

  it('login per file', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 10; i++) { b.ftp('ftp.connect', i * 100, i * 100 + 40); upload(b, i * 100 + 40, i * 100 + 90, 1000, '.bin'); }
    expect(find(b, 'ftp-connection-per-file')!.estimatedSavingMs).toBeCloseTo(400 - 40, 3);
  });

  it('text sent uncompressed: the transfer time over the compression, less the CPU to compress', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 4; i++) upload(b, i * 500, i * 500 + 500, 2_000_000);
    const f = find(b, 'ftp-uncompressed')!;
    // 2000 ms x (1 - 1/3) - 8e6 bytes / 40 MB/s (200 ms)
    expect(f.estimatedSavingMs).toBeCloseTo(2000 * (2 / 3) - 200, 1);
    const gz = new TraceBuilder(3000);
    for (let i = 0; i < 4; i++) upload(gz, i * 500, i * 500 + 500, 2_000_000, '.gz');
    expect(find(gz, 'ftp-uncompressed')).toBeUndefined();
  });

  it('binary files in ASCII mode are a risk whatever the time', () => {
    const b = new TraceBuilder(1000);
    upload(b, 0, 10, 100, '.zip', 'ascii');
    expect(find(b, 'ftp-ascii-binary')!.risk).toMatch(/\.zip/);
    const ok = new TraceBuilder(1000);
    upload(ok, 0, 10, 100, '.csv', 'ascii');
    expect(find(ok, 'ftp-ascii-binary')).toBeUndefined();
  });

  it('a transfer stalled far below the throughput of the others on the same server', () => {
    const b = new TraceBuilder(10_000);
    for (let i = 0; i < 5; i++) upload(b, i * 200, i * 200 + 100, 1_000_000, '.bin'); // 10 MB/s
    upload(b, 1000, 6000, 1_000_000, '.bin'); // 0.2 MB/s
    const f = find(b, 'ftp-slow-transfer')!;
    expect(f.evidence.metrics['slow']).toBe(1);
    expect(f.estimatedSavingMs).toBeCloseTo(5000 - 100, 0);
  });
});

describe('logic and structure detectors', () => {
  it('GC pressure above 10% of the run, not below', () => {
    const b = new TraceBuilder(1000).busy(0, 1000, 1).runtime({ gc: { count: 300, totalMs: 250, maxMs: 5 } });
    const f = find(b, 'gc-pressure')!;
    expect(f.estimatedSavingMs).toBeCloseTo(250, 3);
    expect(f.recommendation.summary).toMatch(/max-semi-space-size/);
    expect(find(new TraceBuilder(1000).busy(0, 1000, 1).runtime({ gc: { count: 30, totalMs: 50, maxMs: 5 } }), 'gc-pressure')).toBeUndefined();
  });

  it('an event loop blocked for seconds is a risk without a time claim', () => {
    const f = find(new TraceBuilder(5000).runtime({ eventLoopDelayMs: { p50: 10, p99: 900, max: 3200, mean: 40 } }), 'event-loop-blocked')!;
    expect(f.estimatedSavingMs).toBe(0);
    expect(f.risk).toMatch(/3\.2 s/);
  });

  it('a database-bound stage followed by an FTP-bound one could overlap', () => {
    const b = new TraceBuilder(3000);
    b.stage('extract', 0, 1000); b.db('select * from orders', 0, 900, { rows: 10 });
    b.stage('upload', 1000, 2500); b.ftp('ftp.upload', 1000, 2400, { 'ftp.bytes': 100, 'ftp.remote.ext': '.bin' });
    const f = find(b, 'serial-stages')!;
    expect(f.estimatedSavingMs).toBeCloseTo(1000, 3);
    expect(f.category).toBe('structure');
  });
});

describe('failed logins', () => {
  it('refused database and FTP logins are findings with their codes; logins that work are not', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 4; i++) b.dbConnect(i * 100, i * 100 + 40, { errorType: '28P01' });
    b.dbConnect(500, 510);
    for (let i = 0; i < 3; i++) b.ftp('ftp.connect', 1000 + i * 300, 1000 + i * 300 + 250, { 'ftp.response.code': 530 }, true);
    const all = kinds(b).filter((f) => f.kind === 'failed-logins');
    const db = all.find((f) => f.category === 'db')!;
    expect(db.title).toBe('4 of 5 logins refused: postgresql (pg.connect)');
    expect(db.estimatedSavingMs).toBeCloseTo(160, 3);
    expect(db.confidence).toBe('high');
    expect(db.evidence.summary).toContain('28P01 x4');
    const ftp = all.find((f) => f.category === 'ftp')!;
    expect(ftp.title).toBe('3 of 3 logins refused: FTP 127.0.0.1:21');
    expect(ftp.risk).toMatch(/Every login failed \(530 x3\)/);
    const ok = new TraceBuilder(3000);
    for (let i = 0; i < 4; i++) ok.dbConnect(i * 100, i * 100 + 40);
    ok.ftp('ftp.connect', 1000, 1200);
    const r = analyze(ok.build(), { toolVersion: 't' });
    expect(r.findings.filter((f) => f.kind === 'failed-logins')).toEqual([]);
    expect(r.detectors.find((d) => d.id === 'failed-logins')).toMatchObject({ status: 'ran', findings: 0 });
  });
});

describe('N+1 reads in the shapes ORMs and other languages write', () => {
  it('TypeORM\'s parenthesized, quoted, LIMITed lookup and knex\'s LIMIT $2 are lookups by key (PostgreSQL\'s parser)', async () => {
    const { loadPgParser } = await import('../../src/db/pg-parser');
    await loadPgParser();
    for (const fp of [
      'select "Customer"."id" as "Customer_id", "Customer"."name" as "Customer_name" from "customers" "Customer" where (("Customer"."id" = $1)) limit ?',
      'select "id", "name" from "customers" where "id" = $1 limit $2',
      'select * from shop.customers c where c.id = $1::bigint',
    ]) {
      const b = new TraceBuilder(3000);
      for (let i = 0; i < 300; i++) b.db(fp, i * 5, i * 5 + 3, { rows: 1 });
      expect(find(b, 'n-plus-one-read'), fp).toBeDefined();
    }
    // Not a lookup by key: a range, a join, a subquery on the right.
    for (const fp of [
      'select * from "orders" where (("created_at" > $1)) limit ?',
      'select * from a join b on a.id = b.a_id where (a.id = $1)',
      'select * from t where (id = (select max(id) from t))',
    ]) {
      const b = new TraceBuilder(3000);
      for (let i = 0; i < 300; i++) b.db(fp, i * 5, i * 5 + 3, { rows: 1 });
      expect(find(b, 'n-plus-one-read'), fp).toBeUndefined();
    }
  });

  it('a Python job\'s `where id = %s` (psycopg) from an OTLP trace is an N+1', async () => {
    const { fingerprintSql } = await import('../../probes/sql-fingerprint');
    const fp = fingerprintSql('SELECT name FROM customers WHERE id = %s', 'postgresql').text;
    expect(fp).toBe('select name from customers where id = ?');
    const b = new TraceBuilder(4000);
    for (let i = 0; i < 2000; i++) b.db(fp, i * 1.5, i * 1.5 + 1.4, { rows: 1 });
    expect(find(b, 'n-plus-one-read')?.title).toMatch(/N\+1 reads: 2000 single-key lookups on customers/);
  });
});

/**
 * Where each detector must stay silent: the same kind of data as its positive case, without the problem. A detector
 * that fires on everything passes every positive test; these catch it.
 */
describe('silent cases', () => {
  const statusOf = (b: TraceBuilder, id: string) => analyze(b.build(), { toolVersion: 't' }).detectors.find((d) => d.id === id);
  const upload = (b: TraceBuilder, s: number, e: number, bytes = 1_000_000) =>
    b.ftp('ftp.upload', s, e, { 'ftp.bytes': bytes, 'ftp.remote.ext': '.bin', 'ftp.transfer.mode': 'binary', 'ftp.direction': 'upload' });

  it('serial FTP: transfers already running four at a time', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 8; i++) upload(b, Math.floor(i / 4) * 1000, Math.floor(i / 4) * 1000 + 1000);
    expect(find(b, 'serial-ftp')).toBeUndefined();
    expect(statusOf(b, 'serial-ftp')?.status).toBe('ran');
  });

  it('login per file: one login, many files', () => {
    const b = new TraceBuilder(3000);
    b.ftp('ftp.connect', 0, 40);
    for (let i = 0; i < 10; i++) upload(b, 40 + i * 100, 40 + i * 100 + 90, 1000);
    expect(find(b, 'ftp-connection-per-file')).toBeUndefined();
    expect(statusOf(b, 'ftp-connection-per-file')?.status).toBe('ran');
  });

  it('stalled transfer: every transfer at the same throughput', () => {
    const b = new TraceBuilder(10_000);
    for (let i = 0; i < 6; i++) upload(b, i * 200, i * 200 + 100);
    expect(find(b, 'ftp-slow-transfer')).toBeUndefined();
  });

  it('event loop: short delays only', () => {
    const b = new TraceBuilder(5000).runtime({ eventLoopDelayMs: { p50: 10, p99: 30, max: 60, mean: 11 } });
    expect(find(b, 'event-loop-blocked')).toBeUndefined();
    expect(statusOf(b, 'event-loop-blocked')?.status).toBe('ran');
  });

  it('serial stages: two stages that already overlap, and one stage alone', () => {
    const b = new TraceBuilder(3000);
    b.stage('extract', 0, 1500); b.db('select * from orders', 0, 1400, { rows: 10 });
    b.stage('upload', 100, 1600); b.ftp('ftp.upload', 100, 1500, { 'ftp.bytes': 100, 'ftp.remote.ext': '.bin' });
    expect(find(b, 'serial-stages')).toBeUndefined();
    const one = new TraceBuilder(3000);
    one.stage('extract', 0, 1000); one.db('select * from orders', 0, 900, { rows: 10 });
    expect(find(one, 'serial-stages')).toBeUndefined();
  });

  it('errors and retries: statements that all succeed', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 20; i++) b.db('insert into t(a) values (?+)', i * 100, i * 100 + 50, { rows: 1 });
    expect(find(b, 'errors-and-retries')).toBeUndefined();
    expect(statusOf(b, 'errors-and-retries')?.status).toBe('ran');
  });

  it('missing index: an EXPLAIN with nothing to fix gives no finding', () => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 300; i++) b.db('select * from t where id = $1', i * 5, i * 5 + 3, { rows: 1 });
    const model = b.build();
    const fp = 'select * from t where id = $1';
    const plan = { nodeType: 'Index Scan', relation: 't', index: 't_pkey', filter: null, rowsRemovedByFilter: null, totalCost: 8.3, planRows: 1, actualRows: null, loops: null, exclusiveMs: null, children: [] };
    const r = analyze(model, { toolVersion: 't', explains: [{ system: 'postgresql', queryClassId: queryClassId('postgresql', fp), fingerprint: fp, mode: 'plan', plan, diagnostics: [], indexAdvice: [], note: null } as never] });
    expect(r.findings.find((f) => f.kind === 'missing-index')).toBeUndefined();
    expect(r.detectors.find((d) => d.id === 'missing-index')?.status).toBe('ran');
  });
});

describe('a process that died without its summary', () => {
  it('is named in the warnings; one that exited normally is not', () => {
    const warn = (b: TraceBuilder) => analyze(b.build(), { toolVersion: 't' }).warnings.join('\n');
    expect(warn(new TraceBuilder(1000).killed())).toMatch(/ended without writing its summary/);
    expect(warn(new TraceBuilder(1000))).not.toMatch(/ended without writing its summary/);
  });
});

describe('index advice without the planner\'s confirmation', () => {
  const plan = (table: string, planRows: number) => ({ nodeType: 'ALL', relation: table, index: null, totalCost: 1000, planRows, actualRows: null, loops: null, actualTotalMs: null, exclusiveMs: null, filter: '`v` = ?', rowsRemovedByFilter: null, details: {}, children: [] });
  const explain = (id: string, fp: string, keptShare: number | null, planRows = 100_000) => ({
    system: 'mysql' as const, queryClassId: id, fingerprint: fp, mode: 'plan' as const, plan: plan('events', planRows), diagnostics: [],
    indexAdvice: [{ table: 'events', columns: ['v'], createStatement: 'ALTER TABLE `events` ADD INDEX (`v`);', confirmed: false, basis: 'Unconfirmed', costBefore: 1000, costAfter: null, keptShare }],
    note: null,
  });
  const build = (rowsPerCall: number) => {
    const b = new TraceBuilder(10_000);
    for (let i = 0; i < 20; i++) b.db('select * from events where v = ?', i * 200, i * 200 + 180, { rows: rowsPerCall, system: 'mysql' });
    for (let i = 0; i < 20; i++) b.db('select count(*) from events where v = ? and w > ?', 5000 + i * 200, 5000 + i * 200 + 150, { rows: 1, system: 'mysql' });
    return b.build();
  };
  const ids = (trace: ReturnType<TraceBuilder['build']>) => analyze(trace, { toolVersion: 't' }).queries.map((q) => q.id);

  it('is not given for a filter that keeps 42% of the rows, by the plan\'s estimate or by the rows the calls returned', () => {
    const t = build(42_000);
    const [a, b2] = ids(t);
    const r1 = analyze(t, { toolVersion: 't', explains: [explain(a!, 'select * from events where v = ?', 0.42)] });
    expect(r1.findings.filter((f) => f.kind === 'missing-index')).toEqual([]);
    const r2 = analyze(t, { toolVersion: 't', explains: [explain(a!, 'select * from events where v = ?', null)] });
    expect(r2.findings.filter((f) => f.kind === 'missing-index')).toEqual([]);
    void b2;
  });

  it('is given once, for both classes, when the filter is selective', () => {
    const t = build(20);
    const [a, b2] = ids(t);
    const r = analyze(t, { toolVersion: 't', explains: [explain(a!, 'select * from events where v = ?', 0.0002), explain(b2!, 'select count(*) from events where v = ? and w > ?', null)] });
    const mi = r.findings.filter((f) => f.kind === 'missing-index');
    expect(mi).toHaveLength(1);
    expect(mi[0]!.scope).toHaveLength(2);
    expect(mi[0]!.title).toMatch(/40 call\(s\) of 2 statement classes/);
  });
});
