import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/**
 * One slow variant per detector family (fixtures/pipelines/families/<family>/slow.cjs): profiled end to end
 * against the real servers, the intended finding ranks first. Whether its saving comes true is measured by
 * bench/families.mjs (docs/analysis.md): timing belongs in benchmarks, not in tests.
 */
const FAMILIES: { family: string; kind: string; check?: (r: Report) => void }[] = [
  { family: 'n-plus-one-read', kind: 'n-plus-one-read', check: (r) => expect(r.findings[0]!.evidence.fingerprint).toMatch(/from customers where id = \$1/) },
  { family: 'row-by-row-write', kind: 'row-by-row-write', check: (r) => expect(r.findings[0]!.recommendation.code).toMatch(/VALUES \?/) },
  { family: 'serial-ftp', kind: 'serial-ftp' },
  {
    family: 'cpu-hot-spot', kind: 'cpu-hot-spot',
    check: (r) => {
      const m = r.findings[0]!.evidence.metrics;
      // The function whose work the fix removes, with its file and line (formatAmount is line 9 of slow.cjs).
      expect(m['function']).toBe('formatAmount');
      expect(String(m['file'])).toMatch(/families\/cpu-hot-spot\/slow\.cjs$/);
      expect(m['line']).toBe(9);
    },
  },
  { family: 'missing-index', kind: 'missing-index', check: (r) => expect(r.findings[0]!.recommendation.code).toBe('CREATE INDEX CONCURRENTLY ON mi_events (account_ref);') },
  {
    family: 'chatty-progress', kind: 'chatty-progress',
    // The same UPDATE of one row is a progress counter, not a row-by-row write.
    check: (r) => expect(r.findings.some((f) => f.kind === 'row-by-row-write')).toBe(false),
  },
];

describe('detector families: the intended finding ranks first on each slow variant', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-families-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  for (const { family, kind, check } of FAMILIES) {
    it(family, async () => {
      const dir = path.join(out, family);
      const job = `fixtures/pipelines/families/${family}/slow.cjs`;
      const r = await cli(['profile', '--format', 'none', '--out', dir, '--', process.execPath, job], { env: { ...process.env, ...testbedEnv() } });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
      expect(report.findings[0]?.kind, JSON.stringify(report.findings.map((f) => [f.kind, f.estimatedSavingMs]))).toBe(kind);
      expect(report.findings[0]!.estimatedSavingMs).toBeGreaterThan(0);
      check?.(report);
      // Never double-counted: no finding saves more than the run lasted, and neither do all of them together.
      for (const f of report.findings) expect(f.estimatedSavingMs).toBeLessThanOrEqual(report.run.wallMs);
      expect(report.whatIf.allMs).toBeGreaterThanOrEqual(0);
      expect(report.whatIf.top1Ms).toBeCloseTo(report.run.wallMs - report.findings[0]!.estimatedSavingMs, 1);
    }, 60_000);
  }
});
