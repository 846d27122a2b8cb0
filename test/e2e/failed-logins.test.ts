import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/** A job that spends its time failing to log in is told so, for each server: real PostgreSQL, MariaDB and vsftpd. */
describe('failed logins', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-logins-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refused logins to PostgreSQL, MariaDB and FTP each give a finding with the server\'s code, and no secret', async () => {
    const r = await cli(['profile', '--format', 'table', '--no-explain', '--out', tmp, '--', process.execPath, 'fixtures/pipelines/safety/bad-logins.cjs'],
      { env: { ...process.env, ...testbedEnv() } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('bad-logins done\n');
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report;
    const logins = report.findings.filter((f) => f.kind === 'failed-logins');
    const titles = logins.map((f) => f.title).join('\n');
    expect(titles).toMatch(/4 of 4 logins refused: postgresql/);
    expect(titles).toMatch(/4 of 4 logins refused: mysql/);
    expect(titles).toMatch(/2 of 2 logins refused: FTP 127\.0\.0\.1:/);
    const evidence = logins.map((f) => f.evidence.summary).join('\n');
    expect(evidence).toMatch(/28000/);
    expect(evidence).toMatch(/ER_ACCESS_DENIED_ERROR/);
    expect(evidence).toMatch(/530/);
    for (const f of logins) {
      expect(f.confidence).toBe('high');
      expect(f.risk).toMatch(/Every login failed/);
      expect(f.estimatedSavingMs).toBeGreaterThan(0);
    }
    expect(r.stderr).toMatch(/logins refused/);
    expect(r.stderr + fs.readFileSync(path.join(tmp, 'report.json'), 'utf8')).not.toContain('wrong-password');
  }, 60_000);
});

describe('mysql2 connects', () => {
  it('are recorded, so a new MariaDB connection per lookup is found as on PostgreSQL', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-mycon-'));
    const r = await cli(['profile', '--format', 'none', '--no-explain', '--out', tmp, '--', process.execPath, 'fixtures/pipelines/safety/mysql-connect-per-lookup.cjs'],
      { env: { ...process.env, ...testbedEnv(), LOOKUPS: '120' } });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'report.json'), 'utf8')) as Report;
    const f = report.findings.find((x) => x.kind === 'connection-per-query');
    expect(f?.title, JSON.stringify(report.findings.map((x) => x.title))).toMatch(/120 connects for 120 statements/);
    expect(f!.rank).toBe(1);
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);
});
