import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli } from '../helpers/testbed';

/** profile --clinic: a second run under Clinic.js, linked from the report, without touching the first run's stdout. */
describe('profile --clinic', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-clinic-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('links the Clinic.js doctor report; the job\'s stdout appears once', async () => {
    const job = 'fixtures/pipelines/families/cpu-hot-spot/slow.cjs';
    const r = await cli(['profile', '--clinic', 'doctor', '--format', 'none', '--out', path.join(out, 'a'), '--', process.execPath, job],
      { env: { ...process.env, RECORDS: '20000' }, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('formatted 20000 amounts\n');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'a', 'report.json'), 'utf8')) as Report;
    expect(report.deepDive?.tool).toBe('clinic doctor');
    expect(report.deepDive?.problem).toBeNull();
    expect(fs.readFileSync(report.deepDive!.report!, 'utf8')).toMatch(/<html/i);
    // Our own analysis stays the primary source.
    expect(report.findings[0]!.kind).toBe('cpu-hot-spot');
  }, 180_000);

  it('says plainly that a command not started with node cannot be wrapped, and runs it only once', async () => {
    const marker = path.join(out, 'count');
    const r = await cli(['profile', '--clinic', 'flame', '--format', 'none', '--out', path.join(out, 'b'), '--', 'sh', '-c', `echo x >> ${marker}; "${process.execPath}" -e "process.exitCode = 3"`]);
    expect(r.code).toBe(3);
    expect(fs.readFileSync(marker, 'utf8')).toBe('x\n');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'b', 'report.json'), 'utf8')) as Report;
    expect(report.deepDive?.report).toBeNull();
    expect(report.deepDive?.problem).toMatch(/starts with node/);
    expect(report.warnings.join(' ')).toMatch(/Clinic\.js flame/);
  });
});
