import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';
import { readAllFiles } from '../helpers/collectors';

/**
 * The post-run EXPLAIN logs in with the job's own settings: the password the job's client held travels with the
 * statement sample over the local socket into the CLI's memory, so a job configured from its own files is
 * explained even when the CLI's environment has no password; and the password is in no output.
 */
describe('profile: EXPLAIN with the job\'s own connection settings', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-ownpw-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('explains the dominant MariaDB statement without MYSQL_PWD in the environment', async () => {
    const env = { ...process.env, ...testbedEnv() };
    const secret = env['MYSQL_PWD']!;
    delete env['MYSQL_PWD'];
    delete env['BATCH_DOCTOR_DB_PASSWORD'];
    env['JOB_DB_SECRET'] = secret;
    const r = await cli(['profile', '--format', 'none', '--out', tmp, '--', process.execPath, 'fixtures/pipelines/safety/mysql-own-password.cjs'], { env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report;
    const ex = (report.explains ?? []).find((e) => e.fingerprint.includes('bd_own_pw where v = ?'));
    expect(ex, JSON.stringify(report.explains) + r.stderr).toBeDefined();
    expect(ex!.plan).not.toBeNull();
    expect(readAllFiles(tmp).includes(secret)).toBe(false);
    expect(r.stderr.includes(secret)).toBe(false);
  }, 120_000);
});
