import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/**
 * profile --receive-otlp: a pipeline in another language (a Python job calling the real PostgreSQL through psql and
 * exporting its spans over OTLP/HTTP JSON with gzip, in the psycopg2 instrumentation's shape) profiled as any other.
 */
describe('profile --receive-otlp', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-otlp-recv-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('a Python job\'s own spans become the report: classes without literals, its process, the N+1', async () => {
    const r = await cli(['profile', '--receive-otlp', '--format', 'none', '--no-explain', '--out', out, '--', 'python3', 'fixtures/pipelines/foreign-sdk/job.py'],
      { env: { ...process.env, ...testbedEnv(), LOOKUPS: '25' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('looked up 25 customers\n');
    const text = fs.readFileSync(path.join(out, 'report.json'), 'utf8');
    const report = JSON.parse(text) as Report;
    expect(report.queries.map((q) => [q.system, q.fingerprint, q.calls])).toEqual([['postgresql', 'select name from customers where id = ?', 25]]);
    expect(report.processes!.map((p) => p.name)).toEqual(['nightly-python']);
    expect(report.findings[0]!.kind).toBe('n-plus-one-read');
    expect(report.collection.spansRecorded).toBe(25);
    expect(report.warnings.join(' ')).toMatch(/no event-loop or CPU signals/);
    expect(report.warnings.join(' ')).not.toMatch(/without writing its summary/);
    expect(text).not.toMatch(/WHERE id = \d/i);
  }, 60_000);

  it('a Node job under the probes is read from its trace file only, not twice', async () => {
    const r = await cli(['profile', '--receive-otlp', '--format', 'none', '--no-explain', '--out', path.join(out, 'node'), '--', process.execPath, 'fixtures/pipelines/own-otel/job.cjs'],
      { env: { ...process.env, ...testbedEnv() } });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'node', 'report.json'), 'utf8')) as Report;
    expect(report.queries.find((q) => q.fingerprint === 'select $1::int as v')!.calls).toBe(120);
  }, 60_000);
});
