import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/** `batch-doctor demo`: the README's main command, with embedded servers and with the testbed's. */
describe('batch-doctor demo', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-demo-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('with no server configured: embedded PostgreSQL and FTP, MySQL skipped with a note, the HTML report named', async () => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^(PG|MYSQL_|FTP_)/.test(k)) delete env[k];
    const r = await cli(['demo', '--format', 'none', '--out', path.join(out, 'embedded')], { env, cwd: out, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/PostgreSQL: embedded PostgreSQL \(PGlite\) on 127\.0\.0\.1:\d+/);
    expect(r.stderr).toMatch(/FTP: embedded FTP server on 127\.0\.0\.1:\d+/);
    expect(r.stderr).toMatch(/MySQL\/MariaDB: not configured, the daily summaries step is skipped/);
    const html = path.join(out, 'embedded', 'report.html');
    expect(r.stderr).toContain(`HTML report: ${html}`);
    expect(fs.readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    expect(r.stdout).toMatch(/MySQL\/MariaDB not configured: \d+ daily summaries not written/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'embedded', 'report.json'), 'utf8')) as Report;
    expect(report.findings[0]!.kind).toBe('n-plus-one-read');
    expect(report.ftp.files).toBeGreaterThan(0);
  }, 150_000);

  it('with the testbed configured: uses its servers', async () => {
    await requireTestbed();
    const r = await cli(['demo', '--format', 'none', '--out', path.join(out, 'testbed')], { env: { ...process.env, ...testbedEnv() }, cwd: out, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/PostgreSQL: 127\.0\.0\.1:\d+ \(from PGHOST\)/);
    expect(r.stderr).toMatch(/MySQL\/MariaDB: .* \(from MYSQL_HOST\)/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'testbed', 'report.json'), 'utf8')) as Report;
    expect(report.queries.some((q) => q.system === 'mysql')).toBe(true);
  }, 150_000);
});
