import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, requireTestbed } from '../helpers/testbed';

/**
 * The diagnosis corpus (fixtures/corpus: slow/fixed pairs across drivers and ORMs, written for it), profiled end to
 * end against the real servers: the true bottleneck's finding ranks first among those that promise time on every
 * slow variant, and no finding on a fixed variant promises more than 10% of its wall. Whether the predicted savings
 * come true is timing, measured by bench/corpus.mjs (docs/analysis.md).
 */
const ROOT = path.resolve(__dirname, '../..');
const pairs = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/corpus/pairs.json'), 'utf8')) as { name: string; driver: string; truth: string | null }[];

describe('diagnosis corpus', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-corpus-'));
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  const profile = async (name: string, variant: 'slow' | 'fixed'): Promise<Report> => {
    const dir = path.join(out, `${name}-${variant}`);
    const r = await cli(['profile', '--format', 'none', '--out', dir, '--', process.execPath, `fixtures/corpus/${name}/${variant}.cjs`]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
  };
  const promising = (r: Report) => r.findings.filter((f) => f.estimatedSavingMs > 0);

  for (const p of pairs) {
    it(`${p.name} (${p.driver}): ${p.truth ?? 'nothing worth fixing'}`, async () => {
      const slow = await profile(p.name, 'slow');
      const top = promising(slow)[0];
      if (p.truth === null) expect(top === undefined || top.estimatedSavingMs <= 0.1 * slow.run.wallMs, JSON.stringify(top?.title)).toBe(true);
      else expect(top?.kind, promising(slow).map((f) => f.title).join('\n')).toBe(p.truth);
      const fixed = await profile(p.name, 'fixed');
      const worst = promising(fixed)[0];
      expect(worst === undefined || worst.estimatedSavingMs <= 0.1 * fixed.run.wallMs, `${worst?.title}: ${worst?.estimatedSavingMs} ms of ${fixed.run.wallMs}`).toBe(true);
    }, 120_000);
  }
});
