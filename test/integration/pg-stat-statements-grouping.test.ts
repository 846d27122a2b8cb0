import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import type { QueryDigestReport } from '../../src/model/db';
import type { Report } from '../../src/model/report';
import { cli, requireServer, run, testbedEnv } from '../helpers/testbed';

/**
 * Our statement classes against pg_stat_statements on a real workload: the same classes with the same calls.
 * pg_stat_statements shows every constant as $n and (before PostgreSQL 18) keeps one entry per IN-list length;
 * we keep bind parameters as $n, show inline literals as ?, and collapse IN-lists. So classes are compared on a
 * key where $n and ? are the same placeholder, and pg_stat_statements entries that differ only in IN-list
 * length are summed (docs/db.md lists these differences).
 */
describe('statement classes against pg_stat_statements', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-pgss-'));
  const key = (fp: string) => fp.replace(/\$\d+/g, '?');
  let admin: Client;
  beforeAll(async () => {
    const e = testbedEnv();
    await requireServer('PostgreSQL', e['PGHOST']!, Number(e['PGPORT']));
    admin = new Client({ host: e['PGHOST'], port: Number(e['PGPORT']), user: e['PGUSER'], password: e['PGPASSWORD'], database: e['PGDATABASE'] });
    await admin.connect();
    const setup = await run(process.execPath, ['-e', "require('./fixtures/workloads/pg-workload.cjs').runWorkload(0)"]);
    expect(setup.code, setup.stderr).toBe(0);
  });
  afterAll(async () => { await admin?.end(); fs.rmSync(out, { recursive: true, force: true }); });

  it('gives the same classes with the same call counts', async () => {
    await admin.query('SELECT pg_stat_statements_reset()');
    const prof = await cli(['profile', '--format', 'none', '--no-explain', '--out', out, '--', process.execPath, 'fixtures/workloads/pg-workload.cjs', '1500', '--no-setup']);
    expect(prof.code, prof.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    const q = await cli(['queries', '--format', 'json']);
    expect(q.code, q.stderr).toBe(0);
    const pgss = JSON.parse(q.stdout) as QueryDigestReport;

    const ours = new Map<string, number>();
    for (const c of report.queries) if (c.system === 'postgresql') ours.set(key(c.fingerprint), (ours.get(key(c.fingerprint)) ?? 0) + c.calls);
    const theirs = new Map<string, number>();
    for (const c of pgss.classes) theirs.set(key(c.fingerprint), (theirs.get(key(c.fingerprint)) ?? 0) + c.calls);
    expect(Object.fromEntries([...theirs].sort())).toEqual(Object.fromEntries([...ours].sort()));
    expect([...ours.values()].reduce((a, b) => a + b, 0)).toBe(1500);
  });
});
