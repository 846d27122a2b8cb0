import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintSql } from '../../probes/sql-fingerprint';
import type { QueryDigestReport } from '../../src/model/db';
import { recordSlowLog } from '../helpers/mysql-slow-log';
import { cli, requireServer, testbedEnv } from '../helpers/testbed';

interface PtClass { checksum: string; query_count: number; fingerprint: string; example?: { query?: string }; metrics: { Query_time: { sum: string } } }

/**
 * Our slow-log digest against pt-query-digest (Debian's percona-toolkit) on the same real MariaDB slow log:
 * the same classes (each pt class maps to exactly one of ours, with the same call count) and the same top-10
 * order by total time. Differences where pt-query-digest is wrong are listed in docs/db.md.
 */
describe('slow-log digest against pt-query-digest', () => {
  let file = '';
  let ours: QueryDigestReport;
  let pt: PtClass[];
  beforeAll(async () => {
    const e = testbedEnv();
    await requireServer('MariaDB', e['MYSQL_HOST']!, Number(e['MYSQL_TCP_PORT']));
    file = recordSlowLog('pt-compare', 4000);
    const r = await cli(['slow-log', file, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    ours = JSON.parse(r.stdout) as QueryDigestReport;
    pt = (JSON.parse(execFileSync('pt-query-digest', ['--output', 'json', '--limit', '100%', file], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { classes: PtClass[] }).classes;
  }, 120_000);
  afterAll(() => { if (file) fs.rmSync(file, { force: true }); });

  /** Our class for a pt class: by its example statement; pt cuts examples at 10,000 characters, then by its fingerprint. */
  const counterpart = (p: PtClass) => {
    const byExample = ours.classes.find((x) => x.fingerprint === fingerprintSql(p.example!.query!, 'mysql').text);
    return byExample ?? ours.classes.find((x) => x.fingerprint === fingerprintSql(p.fingerprint, 'mysql').text);
  };

  it('finds the same classes with the same call counts', () => {
    expect(ours.classes.length).toBe(pt.length);
    const mapped = new Map<string, number>();
    for (const p of pt) {
      const c = counterpart(p);
      expect(c, `pt class "${p.fingerprint}" has no counterpart`).toBeDefined();
      expect(c!.calls, p.fingerprint).toBe(p.query_count);
      mapped.set(c!.id, (mapped.get(c!.id) ?? 0) + 1);
    }
    // One to one: no class of ours stands for two of pt's.
    expect([...mapped.values()].every((n) => n === 1)).toBe(true);
  });

  it('ranks the top 10 in the same order, with the same totals', () => {
    const ptTop = [...pt].sort((a, b) => Number(b.metrics.Query_time.sum) - Number(a.metrics.Query_time.sum)).slice(0, 10);
    ptTop.forEach((p, i) => {
      const c = ours.classes[i]!;
      // Equal totals may come in either order.
      if (c.id !== counterpart(p)?.id) expect(Math.abs(c.totalMs / 1000 - Number(p.metrics.Query_time.sum))).toBeLessThan(1e-6);
      else expect(c.totalMs / 1000).toBeCloseTo(Number(p.metrics.Query_time.sum), 5);
    });
  });

  it('keeps literals out: the workload\'s literal values appear nowhere in the digest', () => {
    const json = JSON.stringify(ours);
    expect(json).not.toMatch(/example\.com|it\\'s|'open'|2026-01-/);
    expect(json).not.toContain(testbedEnv()['MYSQL_PWD']!);
  });
});
