import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateResult } from '../../src/model/gate';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

const DIR = 'fixtures/pipelines/memory';
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync('schema/report.schema.json', 'utf8')));

/**
 * Memory on real runs against the testbed: each pair is one job written two ways (held whole against bounded), the
 * finding on the first, its predicted peak against the peak the second measured, and the gate catching a change that
 * multiplies a job's peak.
 */
describe('memory findings on real jobs', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-memory-'));
  const env = (extra: Record<string, string> = {}) => ({ ...process.env, ...testbedEnv(), OUT_DIR: out, GITHUB_STEP_SUMMARY: '', GITHUB_ACTIONS: '', ...extra });
  const profile = async (job: string, extra: Record<string, string> = {}): Promise<Report> => {
    const dir = fs.mkdtempSync(path.join(out, `${job}-${Object.values(extra).join('-')}-`));
    const r = await cli(['profile', '--format', 'none', '--no-explain', '--out', dir, '--', process.execPath, path.join(DIR, job)], { env: env(extra), timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
    // The memory section and the findings' memory models are in the published schema.
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    return report;
  };
  /** Heap used + external at the peak, as the memory findings measure it (the cursor's peak is in the heap). */
  const within = (predicted: number, measured: number, share: number) => {
    expect(Math.abs(predicted - measured) / measured, `predicted ${(predicted / 1048576).toFixed(1)} MiB, measured ${(measured / 1048576).toFixed(1)} MiB`).toBeLessThanOrEqual(share);
  };

  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('600,000 rows read whole: the memory finding, its peak with a cursor within 30% of the cursor job\'s measured peak', { timeout: 180_000 }, async () => {
    const whole = await profile('whole.cjs');
    const f = whole.findings.find((x) => x.kind === 'large-result-set');
    expect(f, JSON.stringify(whole.findings.map((x) => x.kind))).toBeTruthy();
    expect(f!.memory!.predictedPeakBytes).toBeGreaterThan(0);
    expect(f!.memory!.peakBytes).toBeGreaterThan(f!.memory!.predictedPeakBytes!);
    // A job's sampled peak moves from run to run by the garbage it carries at the sample (up to a semi-space): the
    // cursor job's peak is measured twice and averaged, as the gate compares medians rather than single runs.
    const cursors = [await profile('cursor.cjs'), await profile('cursor.cjs')];
    for (const c of cursors) expect(c.findings.some((x) => x.kind === 'large-result-set')).toBe(false);
    within(f!.memory!.predictedPeakBytes!, (cursors[0]!.memory!.peakHeapUsedBytes + cursors[1]!.memory!.peakHeapUsedBytes) / 2, 0.3);
    // Where the heap grew on its way to the peak: the SELECT of every row, by far.
    expect(whole.memory!.growth!.owners[0]).toMatchObject({ kind: 'query', label: 'select id, account_ref, amount_cents from mi_events' });
    expect(whole.memory!.growth!.owners[0]!.share).toBeGreaterThan(0.5);
  });

  it('statements kept for every customer: memory kept per record, found; the chunked job is quiet, at about the predicted peak', { timeout: 180_000 }, async () => {
    const acc = await profile('accumulate.cjs');
    const f = acc.findings.find((x) => x.kind === 'memory-accumulation');
    expect(f, JSON.stringify(acc.detectors.find((d) => d.id === 'memory-accumulation'))).toBeTruthy();
    // Measured from what full collections left live (two or more of them, as V8 happened to run them).
    expect(['post-gc', 'post-gc-pair']).toContain(f!.evidence.metrics['method']);
    // 5,000 customers, one orders lookup each: the records are those calls between the first and the last full
    // collection (the span the growth is measured over); each keeps a statement of about 12 KiB.
    expect(Number(f!.evidence.metrics['records'])).toBeGreaterThan(1000);
    expect(Number(f!.evidence.metrics['records'])).toBeLessThanOrEqual(5000);
    expect(Number(f!.evidence.metrics['bytesPerRecord'])).toBeGreaterThan(6 * 1024);
    expect(Number(f!.evidence.metrics['bytesPerRecord'])).toBeLessThan(24 * 1024);
    expect(f!.evidence.fingerprint).toMatch(/from orders where customer_id = \$1/);
    // Risks follow the time findings.
    expect(acc.findings.indexOf(f!)).toBeGreaterThan(acc.findings.findIndex((x) => x.estimatedSavingMs > 0));
    // The chunked job's sampled peak moves by the old-generation garbage it carries when the sample falls (51-62 MiB
    // over six runs on Node 20): measured twice and averaged, as for the cursor job.
    const chunked = [await profile('chunked.cjs'), await profile('chunked.cjs')];
    for (const c of chunked) expect(c.findings.some((x) => x.kind === 'memory-accumulation')).toBe(false);
    within(f!.memory!.predictedPeakBytes!, (chunked[0]!.memory!.peakHeapUsedBytes + chunked[1]!.memory!.peakHeapUsedBytes) / 2, 0.3);
  });

  it('an SFTP download held in one Buffer is found, and the same file streamed to disk is not', { timeout: 180_000 }, async () => {
    const held = await profile('sftp-held.cjs');
    const f = held.findings.find((x) => x.kind === 'file-held-whole');
    expect(f, JSON.stringify(held.findings.map((x) => x.kind))).toBeTruthy();
    expect(f!.title).toMatch(/for 1 download\(s\): the largest, 4[78](\.\d+)? MiB/);
    expect(f!.evidence.summary).toMatch(/^ftp\.download \*\.csv of 4[78](\.\d+)? MiB/);
    const streamed = await profile('sftp-streamed.cjs');
    expect(streamed.findings.some((x) => x.kind === 'file-held-whole')).toBe(false);
    expect(streamed.detectors.find((d) => d.id === 'file-held-whole')!.status).toBe('ran');
  });

  it('memory reads that throw (injected, on every read and after full collections) never reach the job', { timeout: 120_000 }, async () => {
    const bare = await cli(['profile', '--format', 'none', '--no-explain', '--out', path.join(out, 'fault-ref'), '--', process.execPath, path.join(DIR, 'whole.cjs')], { env: env({ BATCH_DOCTOR_DISABLED: '1' }), timeoutMs: 120_000 });
    expect(bare.code, bare.stderr).toBe(0);
    const dir = path.join(out, 'fault-memory');
    const r = await cli(['profile', '--format', 'none', '--no-explain', '--out', dir, '--', process.execPath, path.join(DIR, 'whole.cjs')], { env: env({ BATCH_DOCTOR_FAULT: 'memory' }), timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(bare.stdout);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
    // Every read failed and was counted; the report has no memory section and says what happened.
    expect(report.collection.probeInternalErrors['memory']).toBeGreaterThan(0);
    expect(report.memory).toBeUndefined();
    expect(report.warnings.join(' ')).toMatch(/swallowed internal errors \(.*memory: \d+/);
    // The rest of the profile is intact: the read of every row is still found.
    expect(report.findings.some((f) => f.kind === 'large-result-set')).toBe(true);
  });

  it('the gate fails a change that multiplies the peak (the cursor\'s batch raised to every row)', { timeout: 300_000 }, async () => {
    const baseline = path.join(out, 'cursor.baseline.json');
    const job = ['--', process.execPath, path.join(DIR, 'cursor.cjs')];
    const w = await cli(['gate', '--baseline', baseline, '--update-baseline', ...job], { env: env(), timeoutMs: 240_000 });
    expect(w.code, w.stderr).toBe(0);
    const r = await cli(['gate', '--baseline', baseline, '--format', 'json', '--repeat', '5', ...job], { env: env({ BATCH_ROWS: '600000' }), timeoutMs: 240_000 });
    const res = JSON.parse(r.stdout) as GateResult;
    const heap = res.checks.find((c) => c.name === 'peak heap used');
    expect(heap, r.stdout).toBeTruthy();
    expect(heap!.verdict, heap!.message).toBe('fail');
    expect(heap!.stats!.ratio).toBeGreaterThan(2);
    expect(res.status).toBe('regression');
    expect(r.code).toBe(1);
  });
});
