import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, run } from '../helpers/testbed';

describe('user-named stages and record counts', () => {
  beforeAll(async () => { await requireTestbed(); });

  it('splits the time per stage and reports the records each stage counted', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-stage-'));
    const r = await cli(['profile', '--format', 'none', '--out', out, '--', process.execPath, 'fixtures/pipelines/staged/job.cjs']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    const by = Object.fromEntries(report.stages.map((s) => [s.name, s]));
    expect(Object.keys(by)).toEqual(['extract', 'transform', 'load']);
    const ms = (s: string, c: string) => by[s]!.categories.find((x) => x.category === c)!.ms;
    expect(by['extract']!.records).toBe(2000);
    expect(by['transform']!.records).toBe(2000);
    expect(by['load']!.records).toBeNull();
    expect(ms('extract', 'db')).toBeGreaterThan(0.5 * by['extract']!.wallMs);
    expect(ms('transform', 'logic')).toBeGreaterThan(0.8 * by['transform']!.wallMs); // a busy loop is CPU
    expect(ms('load', 'db')).toBeGreaterThan(0);
    // The CPU profile names the hot function, with its file and line.
    expect(report.runtime.hotFunctions[0]).toMatchObject({ functionName: 'checksumRows' });
    expect(report.runtime.hotFunctions[0]!.location).toMatch(/fixtures\/pipelines\/staged\/job\.cjs:\d+:\d+$/);
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('the stage API is a no-op without the probes', async () => {
    const r = await run(process.execPath, ['fixtures/pipelines/staged/job.cjs']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('checksum ok\n');
  });
});
