import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchDoctorError } from '../../src/errors';
import { adviseIndexesUnconfirmed, candidateIndexes, createIndexStatement } from '../../src/db/index-advisor';
import { inspectPgStatement, loadPgParser } from '../../src/db/pg-parser';
import { diagnosePlan } from '../../src/db/plan-diagnostics';
import { parseMysqlPlan } from '../../src/db/plan-mysql';
import { parsePostgresPlan } from '../../src/db/plan-postgres';
import { ROOT } from '../helpers/testbed';

const plan = (f: string) => fs.readFileSync(path.join(ROOT, 'fixtures', 'plans', f), 'utf8');

describe('PostgreSQL plans (recorded from PostgreSQL 15)', () => {
  it('reads EXPLAIN ANALYZE: exclusive times, and diagnoses the disk sort and hash batches', () => {
    const p = parsePostgresPlan(plan('pg-join-sort-analyze.json'));
    expect(p.root.nodeType).toBe('Sort');
    const kinds = diagnosePlan(p.root, { system: 'postgresql' }).map((d) => d.kind);
    expect(kinds).toContain('sort-spill');
    expect(kinds).toContain('hash-spill');
    // Exclusive times add up to the root's inclusive time.
    const sum = (n: typeof p.root): number => (n.exclusiveMs ?? 0) + n.children.reduce((a, c) => a + sum(c), 0);
    expect(sum(p.root)).toBeCloseTo(p.root.actualTotalMs!, 1);
  });

  it('replaces the literals of filters', () => {
    const p = parsePostgresPlan(plan('pg-seq-scan-plan.json'));
    expect(p.root.children[0]!.filter).toBe('Filter: (account_ref = ?::text)');
    expect(JSON.stringify(p)).not.toContain('acct-00042');
    expect(parsePostgresPlan(plan('pg-seq-scan-plan.json'), true).root.children[0]!.filter).toContain('acct-00042');
  });

  it('flags a sequential scan of a large table whose filter keeps few rows (plan only, with table sizes)', () => {
    const p = parsePostgresPlan(plan('pg-seq-scan-plan.json'));
    const d = diagnosePlan(p.root, { system: 'postgresql', tableRows: { mi_events: 600000 } });
    expect(d[0]!.kind).toBe('seq-scan-filter');
    expect(d[0]!.severity).toBe('critical');
    expect(diagnosePlan(p.root, { system: 'postgresql', tableRows: { mi_events: 500 } })).toEqual([]);
  });

  it('rejects what is not a plan with a typed error, and never throws anything else on junk (property)', () => {
    expect(() => parsePostgresPlan('{"x":1}')).toThrow(BatchDoctorError);
    fc.assert(fc.property(fc.json(), (j) => {
      try { parsePostgresPlan(j); parseMysqlPlan(j); } catch (e) { expect(e).toBeInstanceOf(BatchDoctorError); }
    }), { numRuns: 300 });
    // Deeply nested input is refused, not a stack overflow.
    let deep: Record<string, unknown> = { 'Node Type': 'x' };
    for (let i = 0; i < 5000; i++) deep = { 'Node Type': 'x', Plans: [deep] };
    expect(() => parsePostgresPlan([{ Plan: deep }])).toThrow(BatchDoctorError);
  });
});

describe('MySQL/MariaDB plans (recorded from MariaDB 10.11)', () => {
  it('reads ANALYZE FORMAT=JSON: rows read, kept and times per table', () => {
    const p = parseMysqlPlan(plan('mariadb-analyze.json'));
    const o = p.root.children[0]!.children[0]!.children[1]!;
    expect(o.relation).toBe('o');
    expect(o.rowsRemovedByFilter).toBe(16200);
    expect(o.filter).toBe('attached_condition: o.note like ?');
  });

  it('a full scan with a condition and no possible key: diagnosed, with unconfirmed index advice', () => {
    const p = parseMysqlPlan(plan('mariadb-explain.json'));
    const d = diagnosePlan(p.root, { system: 'mysql' });
    expect(d.map((x) => x.kind)).toEqual(['full-scan']);
    const adv = adviseIndexesUnconfirmed(p.root, d, 'mysql');
    expect(adv).toEqual([expect.objectContaining({ table: 'wl_orders', columns: ['note'], confirmed: false, createStatement: 'ALTER TABLE `wl_orders` ADD INDEX (`note`);' })]);
  });
});

describe('the PostgreSQL parser decides what may run', () => {
  it('recognizes a plain SELECT and refuses the rest with a reason', async () => {
    await loadPgParser();
    expect(inspectPgStatement('SELECT * FROM t WHERE a = $1').plainSelect).toBe(true);
    expect(inspectPgStatement('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d').reason).toMatch(/data-modifying/);
    expect(inspectPgStatement('SELECT * INTO x FROM t').reason).toMatch(/INTO/);
    expect(inspectPgStatement('SELECT * FROM t FOR UPDATE').reason).toMatch(/FOR UPDATE/);
    expect(inspectPgStatement('SELECT 1; DROP TABLE t').statements).toBe(2);
    expect(inspectPgStatement('EXPLAIN ANALYSE DELETE FROM t').kind).toBe('ExplainStmt');
    expect(inspectPgStatement('SELEC oops').parsed).toBe(false);
  });

  it('finds predicate columns and proposes candidates, equality columns first', async () => {
    await loadPgParser();
    const info = inspectPgStatement('SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = $1 AND o.created_at > now() ORDER BY o.created_at');
    const cands = candidateIndexes(info, { orders: new Set(['id', 'status', 'created_at', 'customer_id']), customers: new Set(['id']) });
    expect(cands[0]).toEqual({ table: 'orders', columns: ['status'] });
    expect(cands).toContainEqual({ table: 'orders', columns: ['status', 'created_at'] });
    expect(cands).toContainEqual({ table: 'orders', columns: ['customer_id'] });
    expect(createIndexStatement('public.Orders', ['status', 'created at'])).toBe('CREATE INDEX CONCURRENTLY ON public."Orders" (status, "created at");');
  });
});
