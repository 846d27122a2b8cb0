import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { cli, requireTestbed, ROOT, testbedEnv } from '../helpers/testbed';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'report.schema.json'), 'utf8')));

/**
 * `profile --slow-log FILE` and `profile --db URL`: what the real MariaDB and PostgreSQL servers recorded during the
 * run (the slow log's growth, the digests' difference) beside the job's statement classes.
 */
describe('the server view of a profiled run', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-sv-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('MariaDB slow log and performance_schema, and pg_stat_statements, joined with the job\'s classes', async () => {
    const e = testbedEnv();
    const slowLog = path.join(e['BD_TESTBED_DIR']!, 'mariadb-slow.log');
    const env = { ...process.env, ...e, LOOKUPS: '25' };
    const run = async (out: string, extra: string[]) => {
      const r = await cli(['profile', '--format', 'table', '--no-explain', '--out', out, ...extra, '--', process.execPath, 'fixtures/pipelines/safety/server-view.cjs'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('server-view done\n');
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
      return { stderr: r.stderr, report };
    };
    const my = await run(path.join(tmp, 'my'), ['--slow-log', slowLog, '--db', `mysql://${e['MYSQL_USER']}@${e['MYSQL_HOST']}:${e['MYSQL_TCP_PORT']}/${e['MYSQL_DATABASE']}`]);
    const sv = my.report.serverView!;
    expect(sv.sources.map((s) => s.source).sort()).toEqual(['mysql-slow-log', 'performance_schema']);
    const lookups = sv.classes.filter((c) => c.fingerprint === 'select id from bd_sv_t where code = ?');
    expect(lookups.map((c) => c.source).sort()).toEqual(['mysql-slow-log', 'performance_schema']);
    for (const c of lookups) {
      expect(c.jobCalls).toBe(25);
      expect(c.serverCalls).toBe(25);
      // No index on code: the server reads all 400 rows to send one, on every call.
      expect(c.rowsExamined).toBe(25 * 400);
      expect(c.rowsSent).toBe(25);
    }
    expect(lookups.find((c) => c.source === 'mysql-slow-log')!.lockMs).not.toBeNull();
    expect(my.stderr).toMatch(/what the server saw: /);
    expect(fs.readFileSync(path.join(tmp, 'my', 'report.html'), 'utf8')).toContain('What the database server saw');

    const pg = await run(path.join(tmp, 'pg'), ['--db', `postgres://${e['PGUSER']}@${e['PGHOST']}:${e['PGPORT']}/${e['PGDATABASE']}`]);
    const pgc = pg.report.serverView!.classes.find((c) => c.source === 'pg_stat_statements' && c.fingerprint.startsWith('select count(*) from generate_series'));
    expect(pgc, JSON.stringify(pg.report.serverView)).toBeDefined();
    expect(pgc!.serverCalls).toBe(25);
    expect(pgc!.jobCalls).toBe(25);
  }, 90_000);

  it('a slow log that cannot be read, or a server without the digest, leaves a warning that says what is missing', async () => {
    const e = testbedEnv();
    const out = path.join(tmp, 'missing');
    const r = await cli(['profile', '--format', 'none', '--no-explain', '--out', out, '--slow-log', path.join(tmp, 'nope.log'), '--', process.execPath, '-e', 'console.log(1)'],
      { env: { ...process.env, ...e } });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    expect(report.warnings.join(' ')).toMatch(/--slow-log: nope\.log cannot be read \(ENOENT\); the server's view of the run is missing/);
  });
});
