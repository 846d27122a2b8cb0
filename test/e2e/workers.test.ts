import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/** A job with a pool of four worker processes, profiled live as one run. */
describe('multi-process pipeline', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-workers-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('every worker is instrumented and its work attributed to it; the breakdown adds up to the wall time', async () => {
    const t0 = performance.now();
    const r = await cli(['profile', '--format', 'none', '--no-explain', '--out', out, '--', process.execPath, 'fixtures/pipelines/workers/main.cjs'],
      { env: { ...process.env, ...testbedEnv(), WORKERS: '4', ORDERS: '2000' } });
    const elapsed = performance.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^4 workers enriched 2000 orders/);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    const procs = report.processes!;
    expect(procs).toHaveLength(5);
    const parent = procs.find((p) => p.name === 'main.cjs')!;
    const workers = procs.filter((p) => p.name === 'worker.cjs');
    expect(workers).toHaveLength(4);
    for (const w of workers) {
      expect(w.ppid).toBe(parent.pid);
      // Each worker's 500 lookups (and its connect) are in its own trace.
      expect(w.spans).toBeGreaterThanOrEqual(500);
      expect(w.dbMs).toBeGreaterThan(0);
    }
    expect(report.queries.find((q) => q.fingerprint === 'select id, name, country from customers where id = $1')!.calls).toBe(2000);
    // The four exclusive categories add up to the run's wall time, which is what the command took (within 5%).
    const sum = report.breakdown.categories.reduce((a, c) => a + c.ms, 0);
    expect(Math.abs(sum - report.run.wallMs) / report.run.wallMs).toBeLessThan(0.05);
    expect(report.run.wallMs).toBeLessThanOrEqual(elapsed);
    expect(report.findings[0]!.kind).toBe('n-plus-one-read');
    expect(report.findings[0]!.evidence.metrics['maxConcurrency']).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
