import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { calibrate, compareRuns } from '../../src/gate/compare';
import type { Baseline, GateEnvironment, RunSample } from '../../src/model/gate';
import { streamingSemiSpace } from '../../src/analysis/memory';
import { prng, TraceBuilder } from '../helpers/trace-builder';

const MiB = 1048576;

describe('memory in the report', () => {
  it('peaks per process and per stage, growth per stage, and the heap used per timeline bin', () => {
    const b = new TraceBuilder(1000);
    b.stage('load', 0, 500);
    b.stage('write', 500, 1000);
    // The heap climbs to 300 MiB while loading, then falls back while writing.
    b.memory([[0, 50 * MiB, 90 * MiB], [250, 200 * MiB, 250 * MiB], [490, 300 * MiB, 380 * MiB], [600, 120 * MiB, 380 * MiB], [990, 60 * MiB, 380 * MiB]], 4096 * MiB);
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.memory).toMatchObject({ peakHeapUsedBytes: 300 * MiB, peakRssBytes: 380 * MiB });
    expect(r.memory!.processes[0]).toMatchObject({ samples: 5, peakHeapUsedBytes: 300 * MiB, peakHeapAtMs: 490, heapLimitBytes: 4096 * MiB });
    expect(r.memory!.stages).toEqual([
      { name: 'load', peakHeapUsedBytes: 300 * MiB, heapGrowthBytes: 250 * MiB },
      { name: 'write', peakHeapUsedBytes: 120 * MiB, heapGrowthBytes: -60 * MiB },
    ]);
    expect(Math.max(...r.timeline!.memory!)).toBe(300 * MiB);
    expect(r.memory!.method).toMatch(/every 100 ms/);
  });

  it('no memory section for traces without samples (older probes, OTLP)', () => {
    const r = analyze(new TraceBuilder(1000).build(), { toolVersion: 't' });
    expect(r.memory).toBeUndefined();
    expect(r.timeline!.memory).toBeUndefined();
  });
});

describe('the gate on peak memory', () => {
  const ENV: GateEnvironment = { nodeVersions: ['v20.0.0'], platform: 'linux-x64', cpu: 'cpu x2', databases: ['postgresql'], dataset: 'abc' };
  const run = (heap: number, seed: number): RunSample => {
    const n = 1 + (prng(seed)() - 0.5) * 0.04;
    return { wallMs: 1000 * n, cpuMs: 800 * n, categories: { db: 200, ftp: 0, logic: 700 * n, waiting: 100 }, stages: {}, counters: { 'db.statements': 100 }, counterLabels: { 'db.statements': 'database statements' },
      records: null, findings: [], exitCode: 0, peakHeapBytes: heap * n, peakRssBytes: (heap + 60 * MiB) * n };
  };
  const base = Array.from({ length: 7 }, (_, i) => run(200 * MiB, i + 1));
  const baseline: Baseline = { schemaVersion: 1, kind: 'batch-doctor-baseline', job: 'job', createdAt: '2026-01-01T00:00:00Z', toolVersion: '0', environment: ENV, runs: base, calibration: calibrate(base) };

  it('a doubled peak heap fails, naming the metric and its MiB', () => {
    const res = compareRuns(baseline, Array.from({ length: 7 }, (_, i) => run(400 * MiB, 100 + i)), ENV);
    expect(res.status).toBe('regression');
    const heap = res.checks.find((c) => c.name === 'peak heap used')!;
    expect(heap.verdict).toBe('fail');
    expect(heap.message).toMatch(/^peak heap used: median \d+(\.\d)? MiB -> \d+(\.\d)? MiB .*larger by more than the \d+% threshold\.$/);
  });

  it('a small job doubling its peak (30 -> 60 MiB) fails too: the memory floor is in MiB, not the timings\' 50 ms', () => {
    const small = Array.from({ length: 7 }, (_, i) => run(30 * MiB, i + 1));
    const b: Baseline = { ...baseline, runs: small, calibration: calibrate(small) };
    const res = compareRuns(b, Array.from({ length: 7 }, (_, i) => run(60 * MiB, 100 + i)), ENV);
    expect(res.checks.find((c) => c.name === 'peak heap used')!.verdict).toBe('fail');
    // Less than one semi-space (16 MiB) of growth is within the noise of a sampled peak.
    const near = compareRuns(b, Array.from({ length: 7 }, (_, i) => run(42 * MiB, 100 + i)), ENV);
    expect(near.checks.find((c) => c.name === 'peak heap used')!.verdict).toBe('pass');
  });

  it('the same peak passes; runs without memory figures are not compared on it', () => {
    const same = compareRuns(baseline, Array.from({ length: 7 }, (_, i) => run(200 * MiB, 200 + i)), ENV);
    expect(same.checks.filter((c) => c.name.startsWith('peak')).map((c) => c.verdict)).toEqual(['pass', 'pass']);
    const old = compareRuns(baseline, Array.from({ length: 7 }, (_, i) => { const { peakHeapBytes: _h, peakRssBytes: _r, ...rest } = run(200 * MiB, 300 + i); return rest; }), ENV);
    expect(old.checks.some((c) => c.name.startsWith('peak'))).toBe(false);
  });
});

describe('the memory model of a result set held whole', () => {
  it('the heap growth while the rows arrived, and the peak with a cursor of 10,000 rows', () => {
    const b = new TraceBuilder(4000);
    b.db('select * from events', 1000, 2000, { rows: 400_000 });
    for (let i = 0; i < 400; i++) b.db('insert into archive (a, b) values (?+)', 2100 + i * 4, 2100 + i * 4 + 2, { rows: 1000 });
    // 40 MiB before the read, 240 MiB at its end: 200 MiB for 400,000 rows.
    b.memory([[0, 40 * MiB, 80 * MiB], [900, 40 * MiB, 80 * MiB], [1500, 140 * MiB, 200 * MiB], [2050, 240 * MiB, 300 * MiB], [3500, 60 * MiB, 300 * MiB]]);
    const f = analyze(b.build(), { toolVersion: 't' }).findings.find((x) => x.kind === 'large-result-set')!;
    expect(f.evidence.metrics).toMatchObject({ heapGrowthBytes: 200 * MiB, peakHeapBytes: 240 * MiB });
    // 40 MiB before + 200 MiB x 2 x 10,000 / 400,000 (the batch handled and the next arriving) + one 16 MiB
    // semi-space of garbage (V8's default: not reported) = 66 MiB.
    expect(f.evidence.metrics['predictedPeakHeapBytes']).toBe(Math.round(40 * MiB + 200 * MiB * (20_000 / 400_000) + 16 * MiB));
    expect(f.risk).toMatch(/The heap grew by 200 MiB while the rows arrived \(to 240 MiB\); read 10000 rows at a time, the heap would peak at about 66 MiB .*up to 16 MiB of garbage between two young-generation collections/);
    expect(f.memory).toMatchObject({ peakBytes: 240 * MiB, predictedPeakBytes: 66 * MiB, heapLimitBytes: null, shareOfLimit: null });
  });

  it('the semi-space a streaming loop works with, from the young generation the held run reached', () => {
    expect(streamingSemiSpace(null)).toBe(16 * MiB);
    expect(streamingSemiSpace(32 * MiB)).toBe(16 * MiB); // Node 20 at its maximum: 16 MiB semi-spaces
    expect(streamingSemiSpace(128 * MiB)).toBe(32 * MiB); // Node 24 at its maximum (64 MiB): a streaming loop reaches about half
    expect(streamingSemiSpace(2 * MiB)).toBe(1 * MiB); // a small heap limit: never more than the run's own semi-space
  });

  it('the semi-space the probes report is the garbage headroom', () => {
    const b = new TraceBuilder(4000).youngGen(8 * MiB);
    b.db('select * from events', 1000, 2000, { rows: 400_000 });
    b.memory([[0, 40 * MiB, 80 * MiB], [900, 40 * MiB, 80 * MiB], [2050, 240 * MiB, 300 * MiB]], 1024 * MiB);
    const f = analyze(b.build(), { toolVersion: 't' }).findings.find((x) => x.kind === 'large-result-set')!;
    expect(f.memory).toMatchObject({ predictedPeakBytes: 54 * MiB, heapLimitBytes: 1024 * MiB, shareOfLimit: 0.234 });
  });
});

describe('a heap close to its limit', () => {
  it('is a risk finding at 70% of the limit or more, with the margin left; quiet below, and without samples', () => {
    const near = new TraceBuilder(2000).memory([[0, 100 * MiB, 150 * MiB], [1000, 1500 * MiB, 1700 * MiB], [1900, 1200 * MiB, 1700 * MiB]], 2048 * MiB);
    const f = analyze(near.build(), { toolVersion: 't' }).findings.find((x) => x.kind === 'heap-near-limit')!;
    expect(f.title).toBe('Heap at 73% of its limit in job.js: 548 MiB left');
    expect(f.estimatedSavingMs).toBe(0);
    expect(f.risk).toMatch(/peaked at 1500 MiB of a 2048 MiB limit .* 1 s into the run: an input 1.365x as large/);
    const far = new TraceBuilder(2000).memory([[0, 100 * MiB, 150 * MiB], [1000, 500 * MiB, 600 * MiB]], 2048 * MiB);
    expect(analyze(far.build(), { toolVersion: 't' }).findings.some((x) => x.kind === 'heap-near-limit')).toBe(false);
    const r = analyze(new TraceBuilder(2000).build(), { toolVersion: 't' });
    expect(r.detectors.find((d) => d.id === 'heap-near-limit')).toMatchObject({ status: 'no-data' });
  });
});
