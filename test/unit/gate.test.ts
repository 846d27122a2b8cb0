import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBaseline } from '../../src/gate/baseline';
import { calibrate, compareRuns, confirmTimings, needsTimingConfirmation } from '../../src/gate/compare';
import { mannWhitneyGreater, median, ratioEstimate, uDistribution } from '../../src/gate/stats';
import { BatchDoctorError } from '../../src/errors';
import type { Baseline, GateEnvironment, RunSample } from '../../src/model/gate';
import { GATE_RENDERERS } from '../../reports/gate';
import { prng } from '../helpers/trace-builder';

const ENV: GateEnvironment = { nodeVersions: ['v20.0.0'], platform: 'linux-x64', cpu: 'cpu x2', databases: ['postgresql'], dataset: 'abc' };

function run(wallMs: number, extra: Partial<RunSample> = {}): RunSample {
  return {
    wallMs, cpuMs: wallMs * 0.8, categories: { db: wallMs * 0.2, ftp: 0, logic: wallMs * 0.7, waiting: wallMs * 0.1 }, stages: {},
    counters: { 'calls:a': 100, 'db.statements': 100, 'ftp.files': 4 }, counterLabels: { 'calls:a': 'calls of select ...', 'db.statements': 'database statements', 'ftp.files': 'FTP files' },
    records: null, findings: [], exitCode: 0, ...extra,
  };
}
const baselineOf = (runs: RunSample[]): Baseline => ({ schemaVersion: 1, kind: 'batch-doctor-baseline', job: 'job', createdAt: '2026-01-01T00:00:00Z', toolVersion: '0', environment: ENV, runs, calibration: calibrate(runs) });
/** n runs around `ms` with relative noise `noise`, seeded. */
const noisy = (n: number, ms: number, noise: number, seed: number) => { const r = prng(seed); return Array.from({ length: n }, () => run(ms * (1 + (r() - 0.5) * 2 * noise))); };

describe('statistics', () => {
  it('the exact Mann-Whitney distribution and p-values', () => {
    expect(uDistribution(5, 5).reduce((a, b) => a + b, 0)).toBe(252); // C(10, 5)
    expect(uDistribution(3, 2)).toEqual([1, 1, 2, 2, 2, 1, 1]);
    expect(mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBeCloseTo(1 / 252, 6);
    expect(mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).toBe(1);
  });

  it('the Hodges-Lehmann ratio and its interval cover a known shift', () => {
    const e = ratioEstimate([100, 102, 98, 101, 99, 100, 103], [130, 133, 127, 131, 129, 130, 134]);
    expect(e.ratio).toBeCloseTo(1.3, 2);
    expect(e.low).toBeLessThan(1.3);
    expect(e.high).toBeGreaterThan(1.3);
    expect(e.low).toBeGreaterThan(1.2);
  });
});

describe('gate rules', () => {
  it('an added statement class fails on the counter rule, with its name and counts', () => {
    const base = noisy(5, 1000, 0.02, 1);
    const cur = noisy(5, 1000, 0.02, 2).map((r) => ({ ...r, counters: { ...r.counters, 'calls:b': 2667, 'db.statements': 2767 }, counterLabels: { ...r.counterLabels, 'calls:b': 'calls of select * from customers where id = $1' } }));
    const res = compareRuns(baselineOf(base), cur, ENV);
    expect(res.status).toBe('regression');
    expect(res.checks[0]!.rule).toBe('counter');
    expect(res.checks.map((c) => c.message)).toContain('calls of select * from customers where id = $1: new, 2667 (the baseline had none).');
  });

  it('counters are compared per record when both sides declare records: a bigger night is not a regression', () => {
    const base = noisy(5, 1000, 0.02, 3).map((r) => ({ ...r, records: 1000 }));
    const cur = noisy(5, 1000, 0.02, 4).map((r) => ({ ...r, records: 2000, counters: { 'calls:a': 200, 'db.statements': 200, 'ftp.files': 8 } }));
    const res = compareRuns(baselineOf(base), cur, ENV);
    expect(res.normalizedPerRecord).toBe(true);
    expect(res.checks.filter((c) => c.rule === 'counter' && c.verdict === 'fail')).toEqual([]);
  });

  it('a clear 30% slowdown fails, a 3% one does not, and unchanged runs never fail (seeded, 200 trials each)', () => {
    let fails30 = 0; let fails3 = 0; let failsAA = 0;
    for (let t = 0; t < 200; t++) {
      const b = baselineOf(noisy(7, 1000, 0.05, 10 + t));
      if (compareRuns(b, noisy(7, 1300, 0.05, 1000 + t), ENV).status === 'regression') fails30++;
      if (compareRuns(b, noisy(7, 1030, 0.05, 2000 + t), ENV).status === 'regression') fails3++;
      if (compareRuns(b, noisy(7, 1000, 0.05, 3000 + t), ENV).status === 'regression') failsAA++;
    }
    expect(fails30).toBeGreaterThanOrEqual(195);
    expect(fails3).toBe(0);
    expect(failsAA).toBe(0);
  });

  it('a timing failure stands only when a second batch confirms it', () => {
    const b = baselineOf(noisy(7, 1000, 0.02, 40));
    const slowSpell = compareRuns(b, noisy(7, 1300, 0.02, 41), ENV);
    expect(needsTimingConfirmation(slowSpell)).toBe(true);
    const refuted = confirmTimings(slowSpell, compareRuns(b, noisy(7, 1000, 0.02, 42), ENV));
    expect(refuted.status).toBe('pass');
    expect(refuted.checks.find((c) => c.name === 'wall time')!.message).toMatch(/did not reproduce in a second batch/);
    const confirmed = confirmTimings(slowSpell, compareRuns(b, noisy(7, 1300, 0.02, 43), ENV));
    expect(confirmed.status).toBe('regression');
    expect(confirmed.checks[0]!.message).toMatch(/Confirmed by a second batch/);
  });

  it('too few runs make timing inconclusive, never a failure', () => {
    const res = compareRuns(baselineOf([run(1000)]), [run(3000)], ENV);
    expect(res.checks.find((c) => c.name === 'wall time')!.verdict).toBe('inconclusive');
    expect(res.status).toBe('pass');
  });

  it('names a new finding the baseline did not have, and the environment when it differs', () => {
    const base = noisy(5, 1000, 0.02, 5);
    const cur = noisy(5, 1000, 0.02, 6).map((r) => ({ ...r, findings: [{ id: 'n-plus-one-read:x', title: 'N+1 reads: 900 lookups', savingMs: 400 }] }));
    const res = compareRuns(baselineOf(base), cur, { ...ENV, nodeVersions: ['v24.0.0'] });
    expect(res.checks.find((c) => c.rule === 'finding')!.verdict).toBe('fail');
    expect(res.checks.find((c) => c.rule === 'environment')!.message).toMatch(/Node v20.0.0 -> v24.0.0/);
  });
});

describe('baselines fail closed', () => {
  it('refuses truncated, foreign and hollow files with a typed error (property: never anything else)', () => {
    const good = JSON.stringify(baselineOf(noisy(3, 1000, 0.02, 7)));
    expect(parseBaseline(good, 'b.json').runs).toHaveLength(3);
    for (const bad of [good.slice(0, 100), '{}', '[]', 'null', JSON.stringify({ ...JSON.parse(good), runs: [] }), JSON.stringify({ ...JSON.parse(good), runs: [{ wallMs: 'x' }] })]) {
      expect(() => parseBaseline(bad, 'b.json')).toThrow(BatchDoctorError);
    }
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      try { parseBaseline(s, 'b.json'); } catch (e) { expect(e).toBeInstanceOf(BatchDoctorError); }
    }), { numRuns: 300 });
  });
});

describe('gate renderers', () => {
  const res = compareRuns(baselineOf(noisy(5, 1000, 0.02, 8)), noisy(5, 1000, 0.02, 9).map((r) => ({ ...r, counters: { ...r.counters, 'calls:z': 50 }, counterLabels: { ...r.counterLabels, 'calls:z': 'calls of select "<x>" & \'y\' | z\n%0A' } })), ENV);
  it('JUnit is escaped XML with one failure per failed check', () => {
    const x = GATE_RENDERERS['junit']!(res);
    expect(x).toContain('failures="1"');
    expect(x).toContain('calls of select &quot;&lt;x&gt;&quot; &amp; &apos;y&apos; | z&#10;%0A');
    expect(x).not.toContain('<x>');
  });
  it('Markdown escapes table cells; annotations escape workflow-command data', () => {
    expect(GATE_RENDERERS['md']!(res)).toContain('calls of select "&lt;x&gt;" & \'y\' \\| z %0A');
    const a = GATE_RENDERERS['github']!(res);
    expect(a.startsWith('::error title=batch-doctor counter regression::')).toBe(true);
    expect(a).toContain('%0A%250A');
    expect(median([3, 1, 2])).toBe(2);
  });
});

describe('a new finding with a call site', () => {
  it('is annotated on its file and line, so a pull request shows it where the N+1 was added', () => {
    const base = noisy(5, 1000, 0.02, 10);
    const cur = noisy(5, 1000, 0.02, 11).map((r) => ({ ...r, findings: [{ id: 'n-plus-one-read:abc', title: 'N+1 reads: 400 single-key lookups on customers', savingMs: 400, site: { file: 'src/repo,one.js', line: 11 } }] }));
    const res = compareRuns(baselineOf(base), cur, ENV);
    const check = res.checks.find((c) => c.rule === 'finding')!;
    expect(check.location).toEqual({ file: 'src/repo,one.js', line: 11 });
    expect(check.message).toContain('at src/repo,one.js:11');
    const a = GATE_RENDERERS['github']!(res);
    expect(a).toContain('::error file=src/repo%2Cone.js,line=11,title=batch-doctor finding regression::');
  });
});
