import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlClient, resolveDbTarget, type SqlClient } from '../../src/db/connection';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, run, testbedEnv } from '../helpers/testbed';

/**
 * The post-run EXPLAIN of `profile` must not make a profiled job write more than the bare job: on MariaDB, a
 * DETERMINISTIC stored function that inserts is run by the planner unless EXPLAIN refuses it.
 */
describe('profile: the post-run EXPLAIN writes nothing (MariaDB stored function)', () => {
  let c: SqlClient;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-pes-'));
  const audits = async () => Number((await c.query('SELECT COUNT(*) AS n FROM bd_job_audit_log'))[0]!['n']);
  beforeAll(async () => {
    await requireTestbed();
    const { target, password } = resolveDbTarget(undefined, testbedEnv(), 'mysql');
    c = await openSqlClient(target, password);
    await c.query('DROP TABLE IF EXISTS bd_job_t, bd_job_audit_log');
    await c.query('CREATE TABLE bd_job_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await c.query('INSERT INTO bd_job_t VALUES (1, 1), (2, 2)');
    await c.query('CREATE TABLE bd_job_audit_log (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB');
    await c.query('DROP FUNCTION IF EXISTS bd_job_audit');
    await c.query('CREATE FUNCTION bd_job_audit() RETURNS INT DETERMINISTIC BEGIN INSERT INTO bd_job_audit_log VALUES (NULL); RETURN 1; END');
  });
  afterAll(async () => {
    await c?.query('DROP FUNCTION IF EXISTS bd_job_audit').catch(() => undefined);
    await c?.query('DROP TABLE IF EXISTS bd_job_t, bd_job_audit_log').catch(() => undefined);
    await c?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the profiled job leaves as many rows as the bare job, and the report says why the statement was not explained', async () => {
    const job = 'fixtures/pipelines/safety/stored-function.cjs';
    const bare = await run(process.execPath, [job]);
    expect(bare.code, bare.stderr).toBe(0);
    const bareRows = await audits();
    await c.query('TRUNCATE TABLE bd_job_audit_log');
    const prof = await cli(['profile', '--format', 'none', '--explain-analyze', '--out', tmp, '--', process.execPath, job]);
    expect(prof.code, prof.stderr).toBe(0);
    expect(prof.stdout).toBe(bare.stdout);
    expect(await audits()).toBe(bareRows);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report;
    const ex = (report.explains ?? []).find((e) => e.fingerprint.includes('bd_job_audit'));
    expect(ex, JSON.stringify(report.explains)).toBeDefined();
    expect(ex!.plan).toBeNull();
    expect(ex!.note).toMatch(/stored function bd_job_audit\(\)/);
  }, 60_000);
});
