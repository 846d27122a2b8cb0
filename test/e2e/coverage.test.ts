import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, node24Path, requireTestbed, run } from '../helpers/testbed';

/**
 * Never a silent empty report: a job whose database client batch-doctor does not instrument (the MariaDB connector), or whose
 * worker thread ran without a trace, gets a report that says what it could not see.
 */
describe('coverage: what the report could not see', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-coverage-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const profile = async (job: string, out: string): Promise<{ report: Report; stdout: string; terminal: string }> => {
    const r = await cli(['profile', '--no-explain', '--out', path.join(tmp, out), '--', process.execPath, job]);
    expect(r.code, r.stderr).toBe(0);
    return { report: JSON.parse(fs.readFileSync(path.join(tmp, out, 'report.json'), 'utf8')) as Report, stdout: r.stdout, terminal: r.stderr + r.stdout };
  };

  it('names the MariaDB connector, loaded but not instrumented, in the JSON, the terminal and the HTML', async () => {
    const job = 'fixtures/pipelines/coverage/mariadb-connector.cjs';
    const bare = await run(process.execPath, [job]);
    expect(bare.code, bare.stderr).toBe(0);
    const { report, terminal } = await profile(job, 'mariadb');
    expect(report.collection.coverage).toMatchObject({ uninstrumented: [{ name: 'mariadb', what: 'the MariaDB connector' }], workerThreads: 0 });
    expect(report.queries).toEqual([]);
    const warning = report.warnings.find((w) => w.includes('the MariaDB connector'));
    expect(warning).toMatch(/does not instrument: those calls are not in this report/);
    expect(terminal).toContain('the MariaDB connector');
    expect(fs.readFileSync(path.join(tmp, 'mariadb', 'report.html'), 'utf8')).toContain('the MariaDB connector');
    // The socket safety net: its 1,500 lookups' waits land on the server's endpoint as network time, not logic.
    const port = process.env['MYSQL_TCP_PORT'] ?? '33069';
    const net = report.collection.coverage!.network!;
    expect(net).toHaveLength(1);
    expect(net[0]).toMatchObject({ endpoint: `127.0.0.1:${port}`, client: 'mariadb', connections: 1 });
    // One round trip per lookup and a few for the handshake.
    expect(net[0]!.roundTrips).toBeGreaterThanOrEqual(1500);
    expect(net[0]!.roundTrips).toBeLessThan(1520);
    expect(net[0]!.bytesIn).toBeGreaterThan(0);
    const network = report.breakdown.categories.find((c) => c.category === 'network')!;
    expect(network.ms).toBeGreaterThan(0);
    expect(network.ms).toBeCloseTo(Math.min(net[0]!.waitMs, report.run.wallMs), -1);
    expect(report.warnings.some((w) => w.includes(`waiting on 127.0.0.1:${port} through the MariaDB connector`))).toBe(true);
    expect(warning).toMatch(/shows as network time to their endpoints/);
    expect(terminal).toContain('network (uninstrumented)');
  }, 120_000);

  it('names the MariaDB connector imported as an ES module (Node 24), from the connections it opened', async () => {
    const job = 'fixtures/pipelines/coverage/mariadb-connector.mjs';
    const out = path.join(tmp, 'mariadb-esm');
    const r = await cli(['profile', '--no-explain', '--format', 'none', '--out', out, '--', node24Path(), job]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    expect(report.collection.coverage!.uninstrumented).toEqual([{ name: 'mariadb', what: 'the MariaDB connector' }]);
    expect(report.collection.coverage!.network![0]).toMatchObject({ client: 'mariadb', connections: 1 });
    expect(report.breakdown.categories.find((c) => c.category === 'network')!.share).toBeGreaterThan(0.1);
  }, 120_000);

  it('counts a worker thread that ran without a trace, and says so', async () => {
    const { report } = await profile('fixtures/pipelines/coverage/worker-own-env.cjs', 'unseen');
    expect(report.collection.coverage).toMatchObject({ workerThreads: 1, workerThreadsUnseen: 1 });
    expect(report.warnings.some((w) => /1 worker thread\(s\) ran without probes \(of 1 started\)/.test(w))).toBe(true);
  }, 120_000);

  it('says nothing is missing for a job on instrumented clients only', async () => {
    const { report } = await profile('fixtures/corpus/pg-n1-bind/slow.cjs', 'pg');
    expect(report.collection.coverage).toMatchObject({ clientsSeen: ['postgresql'], uninstrumented: [], workerThreads: 0 });
    expect(report.collection.coverage!.explainedShare).toBeGreaterThan(0.5);
    // pg's own sockets are timed by its probes: the safety net leaves them alone (nothing counted twice).
    expect(report.collection.coverage!.network).toBeUndefined();
    expect(report.breakdown.categories.map((c) => c.category)).toEqual(['db', 'ftp', 'logic', 'waiting']);
  }, 120_000);
});

/**
 * Profiles a job (no EXPLAIN) with `node` (default this one) after running it bare: same exit code and stdout;
 * returns the report and the CLI's stderr.
 */
async function profileAgainstBare(job: string, out: string, node = process.execPath): Promise<{ report: Report; stderr: string }> {
  const bare = await run(node, [job]);
  expect(bare.code, bare.stderr).toBe(0);
  const r = await cli(['profile', '--no-explain', '--format', 'none', '--out', out, '--', node, job]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe(bare.stdout);
  return { report: JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report, stderr: r.stderr };
}

describe('streamed reads: pg-query-stream and pg-cursor', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-stream-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const ext of ['cjs', 'mjs']) it(`${ext}: times every batch of a stream and a cursor as calls of their statement, with their rows`, async () => {
    const { report } = await profileAgainstBare(`fixtures/pipelines/coverage/pg-stream.${ext}`, path.join(tmp, ext));
    const stream = report.queries.find((q) => q.fingerprint === 'select id, account, kind from cx_events where id <= $1')!;
    const cursor = report.queries.find((q) => q.fingerprint === 'select id, account from cx_events where kind = ?')!;
    // 50,000 rows in batches of 1,000 (and the empty read that ends the stream); 6,000 refunds 500 at a time.
    expect(stream.rows).toBe(50_000);
    expect(stream.calls).toBeGreaterThanOrEqual(50);
    expect(cursor.rows).toBe(6_000);
    expect(cursor.calls).toBe(13);
    expect(report.collection.coverage!.uninstrumented).toEqual([]);
  }, 120_000);
});

describe('mysqljs (`mysql`), the older MySQL client', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-mysqljs-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('ESM on Node 24: every statement, the N+1 first', async () => {
    const job = 'fixtures/pipelines/coverage/mysqljs-n1.mjs';
    const out = path.join(tmp, 'esm24');
    const r = await cli(['profile', '--no-explain', '--format', 'none', '--out', out, '--', node24Path(), job]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    expect(report.queries.find((q) => q.fingerprint === 'select name from cx_customers where id = ?')?.calls).toBe(1500);
    expect(report.findings[0]!.kind).toBe('n-plus-one-read');
  }, 120_000);

  it('records every statement and ranks the N+1 first', async () => {
    const { report } = await profileAgainstBare('fixtures/pipelines/coverage/mysqljs-n1.cjs', tmp);
    expect(report.queries.find((q) => q.fingerprint === 'select name from cx_customers where id = ?')?.calls).toBe(1500);
    expect(report.findings[0]!.kind).toBe('n-plus-one-read');
    expect(report.findings[0]!.callSites?.[0]?.stack.some((f) => f.file === 'fixtures/pipelines/coverage/mysqljs-n1.cjs' && f.line === 11)).toBe(true);
    expect(report.collection.coverage).toMatchObject({ clientsSeen: ['mysql'], uninstrumented: [] });
  }, 120_000);
});

describe('worker threads: profiled like processes', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-threads-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const cases = [
    { job: 'fixtures/workloads/worker-threads.cjs', perThread: 1500, node: () => process.execPath, label: 'CommonJS, Node 20' },
    { job: 'fixtures/pipelines/coverage/worker-esm.mjs', perThread: 800, node: () => process.execPath, label: 'ES modules, Node 20' },
    { job: 'fixtures/workloads/worker-threads.cjs', perThread: 1500, node: node24Path, label: 'CommonJS, Node 24' },
  ];
  for (const c of cases) {
    it(`${c.label}: every statement of both threads, attributed to its thread; the N+1 ranks first`, async () => {
      const { report } = await profileAgainstBare(c.job, path.join(tmp, c.label.replace(/\W+/g, '-')), c.node());
      expect(report.queries.find((q) => q.fingerprint === 'select name from cx_customers where id = $1')?.calls).toBe(2 * c.perThread);
      const main = report.processes!.find((p) => !p.threadId)!;
      const threads = report.processes!.filter((p) => p.threadId);
      expect(threads).toHaveLength(2);
      for (const t of threads) {
        expect(t.pid).toBe(main.pid);
        expect(t.ppid).toBe(main.pid);
        expect(t.name).toBe(`worker thread ${t.threadId}`);
        expect(t.spans).toBeGreaterThanOrEqual(c.perThread);
      }
      expect(main.spans).toBe(0);
      expect(report.collection).toMatchObject({ processes: 1, workerThreads: 2 });
      expect(report.collection.coverage).toMatchObject({ workerThreads: 2, workerThreadsUnseen: 0, uninstrumented: [] });
      expect(report.warnings.filter((w) => /worker thread/.test(w))).toEqual([]);
      expect(report.findings[0]!.kind).toBe('n-plus-one-read');
    }, 180_000);
  }
});

describe('postgres.js (porsager), CommonJS and ES modules', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-pgjs-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [ext, node, label] of [['cjs', () => process.execPath, 'Node 20'], ['mjs', () => process.execPath, 'Node 20'], ['cjs', node24Path, 'Node 24'], ['mjs', node24Path, 'Node 24']] as const) {
    it(`${ext}, ${label}: every statement, its call site, and the N+1 first`, async () => {
      const job = `fixtures/pipelines/coverage/postgres-js-n1.${ext}`;
      const { report, stderr } = await profileAgainstBare(job, path.join(tmp, `${ext}-${label.replace(' ', '')}`), node());
      expect(stderr).not.toMatch(/Warning/);
      expect(report.queries.find((q) => q.fingerprint === 'select id, name, region from cx_customers where id = $1')).toMatchObject({ calls: 2500, rows: 2500 });
      expect(report.findings[0]!.kind).toBe('n-plus-one-read');
      expect(report.findings[0]!.callSites?.[0]).toMatchObject({ file: job, line: ext === 'cjs' ? 9 : 7 });
      expect(report.collection.coverage).toMatchObject({ clientsSeen: ['postgresql'], uninstrumented: [] });
    }, 120_000);
  }
});

describe('pg-copy-streams: COPY FROM STDIN and COPY TO STDOUT', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-copy-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const ext of ['cjs', 'mjs']) {
    it(`${ext}: each COPY is a timed statement with the rows the server reported`, async () => {
      const { report } = await profileAgainstBare(`fixtures/pipelines/coverage/pg-copy.${ext}`, path.join(tmp, ext));
      expect(report.queries.find((q) => q.fingerprint === 'copy copy_scratch(id, account, amount) from stdin')).toMatchObject({ calls: 1, rows: 50_000 });
      expect(report.queries.find((q) => q.fingerprint === 'copy copy_scratch to stdout')).toMatchObject({ calls: 1, rows: 50_000 });
      // The load is most of the job: its time is database time, not logic.
      expect(report.breakdown.categories.find((c) => c.category === 'db')!.share).toBeGreaterThan(0.3);
      expect(report.collection.coverage).toMatchObject({ clientsSeen: ['postgresql'], uninstrumented: [] });
    }, 120_000);
  }
});
