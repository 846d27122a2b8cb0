import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/testbed';

/**
 * `bench/compare-digest.mjs` on our own log fixtures: batch-doctor's digest against pgBadger (PostgreSQL stderr with
 * one or two spaces after the level, csvlog, jsonlog, syslog) and pt-query-digest (a MySQL 8 slow log), class by
 * class, with both tools installed by the testbed from Debian's packages. The remaining differences, where the
 * tools are known to disagree, are in docs/db.md with the same command.
 */
const compare = (file: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bench', 'compare-digest.mjs'), path.join(ROOT, 'fixtures', 'logs', file), ...args], { encoding: 'utf8' });

describe('digests against pgBadger and pt-query-digest', () => {
  for (const [file, args] of [['postgresql-stderr.log', ['--prefix', '%m [%p] ']], ['postgresql-one-space.log', ['--prefix', '%m [%p] ']],
    ['postgresql-csvlog.log', []], ['postgresql-jsonlog.json', []], ['postgresql-syslog.log', []], ['mysql8-slow.log', []]] as const) {
    it(`${file}: the same classes with the same call counts`, () => {
      const r = compare(file, ...args);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/the same classes with the same call counts/);
    });
  }

  it('a log that spans a restart with a wrapped Query_time: the differences are listed, and batch-doctor is right', () => {
    const r = compare('mysql-restart.log', '--json');
    expect(r.status).toBe(1);
    const d = JSON.parse(r.stdout) as { statements: Record<string, number>; differences: { kind: string; text: string }[] };
    // Ours: 8 statements read, the record with 18446744073708.79 s dropped; pt-query-digest 3.2.1 keeps that record
    // and reads no record after it.
    expect(d.statements['batchDoctor']).toBe(8);
    expect(d.differences.some((x) => x.kind === 'only in batch-doctor' && x.text === 'show global status')).toBe(true);
  });
});
