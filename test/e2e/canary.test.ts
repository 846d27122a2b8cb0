import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllFiles } from '../helpers/collectors';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

describe('canary literals and passwords never reach an output', () => {
  beforeAll(async () => { await requireTestbed(); });

  it('inline literals, bind values, MySQL values, remote paths, a password on the command line and in a URL', async () => {
    const canary = `CNRY${process.pid}`;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-canary-'));
    const pw = `${canary}-p@ss:/w?rd#`;
    const r = await cli(['profile', '--format', 'table', '--out', out, '--', process.execPath, 'fixtures/pipelines/canary/canary.cjs',
      '--password', pw, `--db=postgres://bob:${encodeURIComponent(pw)}@127.0.0.1/x`, `--dsn=mysql://bob:${pw}@127.0.0.1/x`],
    { env: { ...process.env, ...testbedEnv(), CANARY: canary } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('canary done\n');
    const report = fs.readFileSync(path.join(out, 'report.json'), 'utf8');
    // The statements are there, without their values.
    expect(report).toContain('select ? as x, ? as n');
    expect(report).toContain('select $1::text as x');
    expect(report).toContain('<unparseable select statement, redacted>');
    for (const [name, text] of [['stderr', r.stderr], ['report and traces', readAllFiles(out)]] as const) {
      expect(text, name).not.toContain(canary);
      expect(text, name).not.toContain(testbedEnv()['PGPASSWORD']!);
      expect(text, name).not.toContain(testbedEnv()['FTP_PASSWORD']!);
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('the database commands: explain (literals, parameters, plans), slow-log, queries, and a refused password', async () => {
    const canary = `CNRYDB${process.pid}`;
    const env = { ...process.env, ...testbedEnv() };
    const outputs: [string, string][] = [];
    const sql = `SELECT id FROM customers WHERE email = '${canary}-lit@example.com' AND name = $1`;
    for (const format of ['table', 'json']) {
      const r = await cli(['explain', '--analyze', '--format', format, '--param', `${canary}-param`, sql], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('customers');
      outputs.push([`explain ${format}`, r.stdout + r.stderr]);
    }
    // A wrong password from the environment, and one in a URL (refused before connecting).
    // (MariaDB: the testbed's PostgreSQL trusts loopback and would not check it.)
    const bad = await cli(['explain', '--db', `mysql://batch@127.0.0.1:${env['MYSQL_TCP_PORT']}/batch`, 'SELECT 1'], { env: { ...env, MYSQL_PWD: `${canary}-pw` } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/BD_DB/);
    outputs.push(['explain, wrong password', bad.stdout + bad.stderr]);
    const url = await cli(['explain', '--db', `postgres://batch:${canary}-pw@127.0.0.1:${env['PGPORT']}/batch`, 'SELECT 1'], { env });
    expect(url.code).toBe(2);
    outputs.push(['explain, password in URL', url.stdout + url.stderr]);
    // A slow log holding a literal and a CREATE USER ... IDENTIFIED BY.
    const log = path.join(os.tmpdir(), `bd-canary-${process.pid}.log`);
    fs.writeFileSync(log, [
      '# User@Host: u[u] @ h []', '# Query_time: 0.001  Lock_time: 0  Rows_sent: 1  Rows_examined: 1', `SELECT * FROM t WHERE secret = '${canary}-slow';`,
      '# User@Host: u[u] @ h []', '# Query_time: 0.001  Lock_time: 0  Rows_sent: 0  Rows_examined: 0', `CREATE USER 'x'@'%' IDENTIFIED BY '${canary}-pw';`, ''].join('\n'));
    for (const format of ['table', 'json']) {
      const r = await cli(['slow-log', log, '--format', format], { env });
      expect(r.code, r.stderr).toBe(0);
      outputs.push([`slow-log ${format}`, r.stdout + r.stderr]);
    }
    fs.rmSync(log, { force: true });
    const q = await cli(['queries', '--format', 'json'], { env });
    expect(q.code, q.stderr).toBe(0);
    outputs.push(['queries', q.stdout + q.stderr]);
    for (const [name, text] of outputs) {
      expect(text, name).not.toContain(canary);
      expect(text, name).not.toContain(env['PGPASSWORD']!);
      expect(text, name).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});
