import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlClient, resolveDbTarget, type SqlClient } from '../../src/db/connection';
import { explainStatement } from '../../src/db/explain';
import { requireServer, testbedEnv } from '../helpers/testbed';

/**
 * EXPLAIN never changes data, on the real servers: every dangerous statement is
 * explained with ANALYZE requested, then row counts and sequence values are
 * compared with what they were before.
 */

describe('safe EXPLAIN on PostgreSQL', () => {
  let c: SqlClient;
  const state = async () => {
    const [r] = await c.query("SELECT (SELECT count(*) FROM bd_safe)::int AS n, (SELECT sum(v) FROM bd_safe)::int AS s, (SELECT last_value FROM bd_safe_seq)::int AS seq, (SELECT is_called FROM bd_safe_seq) AS called");
    return r;
  };
  beforeAll(async () => {
    const e = testbedEnv();
    await requireServer('PostgreSQL', e['PGHOST']!, Number(e['PGPORT']));
    const { target, password } = resolveDbTarget(undefined, e);
    c = await openSqlClient(target, password);
    await c.query('DROP TABLE IF EXISTS bd_safe; DROP SEQUENCE IF EXISTS bd_safe_seq');
    await c.query('CREATE SEQUENCE bd_safe_seq');
    await c.query('CREATE TABLE bd_safe (id int PRIMARY KEY, v int)');
    await c.query('INSERT INTO bd_safe SELECT g, g FROM generate_series(1, 100) g');
  });
  afterAll(async () => { await c?.query('DROP TABLE IF EXISTS bd_safe; DROP SEQUENCE IF EXISTS bd_safe_seq').catch(() => undefined); await c?.close(); });

  const dangerous: [string, string][] = [
    ['INSERT', 'INSERT INTO bd_safe VALUES (1000, 1)'],
    ['UPDATE', 'UPDATE bd_safe SET v = v + 1'],
    ['DELETE', 'DELETE FROM bd_safe WHERE id < 50'],
    ['nextval() in a SELECT', "SELECT nextval('bd_safe_seq')"],
    ['a data-modifying CTE', 'WITH d AS (DELETE FROM bd_safe RETURNING *) SELECT count(*) FROM d'],
    ['the EXPLAIN ANALYSE spelling', 'EXPLAIN ANALYSE DELETE FROM bd_safe'],
    ['two statements', 'SELECT 1; DROP TABLE bd_safe'],
    ['SELECT INTO', 'SELECT * INTO bd_safe_copy FROM bd_safe'],
    ['a parameterized UPDATE', 'UPDATE bd_safe SET v = $1 WHERE id = $2'],
  ];
  for (const [name, sql] of dangerous) {
    it(`${name}: nothing changes`, async () => {
      const before = await state();
      const r = await explainStatement(c, { sql, params: sql.includes('$1') ? [7, 3] : undefined, analyze: true, indexAdvice: true });
      expect(await state()).toEqual(before);
      expect(r.mode).toBe('plan');
      expect((await c.query("SELECT to_regclass('bd_safe_copy') AS t"))[0]!['t']).toBeNull();
    });
  }

  it('plain EXPLAIN works for DML and ANALYZE runs for a plain SELECT', async () => {
    const u = await explainStatement(c, { sql: 'UPDATE bd_safe SET v = 0 WHERE id = 5' });
    expect(u.plan?.nodeType).toBe('ModifyTable');
    const s = await explainStatement(c, { sql: 'SELECT * FROM bd_safe WHERE v > $1', params: [10], analyze: true });
    expect(s.mode).toBe('analyze');
    expect(s.plan?.actualRows).toBe(90);
    expect((await c.query('SELECT count(*)::int AS n FROM bd_safe'))[0]!['n']).toBe(100);
  });

  it('refuses two statements and an inner EXPLAIN with a reason', async () => {
    expect((await explainStatement(c, { sql: 'SELECT 1; DROP TABLE bd_safe' })).note).toMatch(/2 statements/);
    expect((await explainStatement(c, { sql: 'EXPLAIN ANALYSE DELETE FROM bd_safe' })).note).toMatch(/ExplainStmt/);
    expect((await explainStatement(c, { sql: 'SELECT * FROM bd_safe WHERE id = $1' })).note).toMatch(/no sample of their values/);
  });
});

describe('safe EXPLAIN on MariaDB', () => {
  let c: SqlClient;
  const state = async () => (await c.query('SELECT (SELECT COUNT(*) FROM bd_safe) AS n, (SELECT SUM(v) FROM bd_safe) AS s, (SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = \'bd_safe\') AS ai'))[0];
  beforeAll(async () => {
    const e = testbedEnv();
    await requireServer('MariaDB', e['MYSQL_HOST']!, Number(e['MYSQL_TCP_PORT']));
    const { target, password } = resolveDbTarget(undefined, e, 'mysql');
    c = await openSqlClient(target, password);
    await c.query('DROP TABLE IF EXISTS bd_safe');
    await c.query('CREATE TABLE bd_safe (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB');
    for (let i = 0; i < 5; i++) await c.query('INSERT INTO bd_safe (v) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)');
  });
  afterAll(async () => { await c?.query('DROP TABLE IF EXISTS bd_safe').catch(() => undefined); await c?.close(); });

  const dangerous: [string, string][] = [
    ['INSERT', 'INSERT INTO bd_safe (v) VALUES (99)'],
    ['UPDATE', 'UPDATE bd_safe SET v = v + 1'],
    ['DELETE', 'DELETE FROM bd_safe WHERE id < 20'],
    ['two statements', 'SELECT 1; DROP TABLE bd_safe'],
    ['an inner EXPLAIN / ANALYZE', 'ANALYZE FORMAT=JSON DELETE FROM bd_safe'],
    ['a SELECT that would write through a function', 'SELECT * FROM bd_safe WHERE id = LAST_INSERT_ID(5)'],
  ];
  for (const [name, sql] of dangerous) {
    it(`${name}: nothing changes`, async () => {
      const before = await state();
      await explainStatement(c, { sql, analyze: true });
      expect(await state()).toEqual(before);
    });
  }

  it('EXPLAIN FORMAT=JSON for DML, ANALYZE FORMAT=JSON for a SELECT', async () => {
    const u = await explainStatement(c, { sql: 'UPDATE bd_safe SET v = 0 WHERE v = 3' });
    expect(u.plan).not.toBeNull();
    expect(u.mode).toBe('plan');
    const s = await explainStatement(c, { sql: 'SELECT * FROM bd_safe WHERE v > ?', params: [5], analyze: true });
    expect(s.mode).toBe('analyze');
    // 50 rows read, 25 kept by the condition (actualRows means rows returned, as in PostgreSQL).
    expect(s.plan?.children[0]?.actualRows).toBe(25);
    expect(s.plan?.children[0]?.rowsRemovedByFilter).toBe(25);
  });
});
