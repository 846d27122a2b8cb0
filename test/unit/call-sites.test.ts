import { describe, expect, it } from 'vitest';
import { CallSiteSampler, isUserFrame, nextSampledCall, parseFrame, SITE_MAX_CAPTURES_PER_KEY } from '../../probes/call-sites';

describe('call-site sampling', () => {
  it('reads V8 stack lines: named, anonymous, async, file URLs; skips Node internals', () => {
    expect(parseFrame('    at CustomerRepo.one (/app/src/repo.js:11:36)', '/app')).toEqual({ file: 'src/repo.js', line: 11, column: 36, function: 'CustomerRepo.one' });
    expect(parseFrame('    at /app/job.js:21:22', '/app')).toEqual({ file: 'job.js', line: 21, column: 22, function: null });
    expect(parseFrame('    at async exportAll (file:///app/src/export.mjs:5:3)', '/app')).toEqual({ file: 'src/export.mjs', line: 5, column: 3, function: 'exportAll' });
    expect(parseFrame('    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)', '/app')).toBeNull();
    expect(parseFrame('    at new Promise (<anonymous>)', '/app')).toBeNull();
  });

  it('keeps the job\'s frames only: not dependencies, not the probes (also another install\'s cached bundle)', () => {
    expect(isUserFrame('/app/src/repo.js', '/app/node_modules/batch-doctor/dist/probes/bundle')).toBe(true);
    expect(isUserFrame('/app/node_modules/knex/lib/runner.js', '/x')).toBe(false);
    expect(isUserFrame('/app/node_modules/knex/lib/runner.js', '/x', true)).toBe(true);
    expect(isUserFrame('/other/install/dist/probes/bundle/probes.js', '/app/node_modules/batch-doctor/dist/probes/bundle')).toBe(false);
  });

  it('spreads a bounded number of samples over the whole run', () => {
    const taken: number[] = [];
    for (let n = 1; n <= 1_000_000; n = nextSampledCall(n)) taken.push(n);
    expect(taken.slice(0, 5)).toEqual([1, 2, 3, 4, 4 + 1]);
    // About 8 samples per e-fold of calls: a site that starts in the last quarter of a run is still sampled.
    expect(taken.filter((n) => n > 750_000).length).toBeGreaterThan(1);
    const s = new CallSiteSampler('/', '/nowhere');
    for (let i = 0; i < 100_000; i++) s.observe('db', 'postgresql', 'SELECT 1');
    const [rec] = s.summary();
    expect(rec!.calls).toBe(100_000);
    // The capture budget per key holds, and the sampled calls stand for all of them.
    const samples = rec!.sites.reduce((a, x) => a + x.calls, 0) + rec!.unattributedCalls;
    expect(samples).toBeGreaterThan(99_000);
    expect(SITE_MAX_CAPTURES_PER_KEY).toBeLessThanOrEqual(64);
  });
});
