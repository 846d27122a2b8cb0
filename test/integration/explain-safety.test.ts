import * as fs from 'node:fs';
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

/**
 * Planning itself can write, and some statements write where no rollback reaches: stored functions MariaDB runs
 * while planning, INTO OUTFILE, volatile PostgreSQL functions under ANALYZE. Each case on the real server, with
 * the state it could change compared before and after.
 */
describe('EXPLAIN cannot write through functions or files (MariaDB)', () => {
  let c: SqlClient;
  const count = async (t: string) => Number((await c.query(`SELECT COUNT(*) AS n FROM ${t}`))[0]!['n']);
  beforeAll(async () => {
    const e = testbedEnv();
    await requireServer('MariaDB', e['MYSQL_HOST']!, Number(e['MYSQL_TCP_PORT']));
    const { target, password } = resolveDbTarget(undefined, e, 'mysql');
    c = await openSqlClient(target, password);
    await c.query('DROP TABLE IF EXISTS bd_fn_t, bd_fn_log, bd_fn_mylog');
    await c.query('CREATE TABLE bd_fn_t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await c.query('INSERT INTO bd_fn_t VALUES (1, 1), (2, 2), (3, 3)');
    await c.query('CREATE TABLE bd_fn_log (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB');
    await c.query('CREATE TABLE bd_fn_mylog (id INT) ENGINE=MyISAM');
    for (const f of ['bd_fn_write', 'bd_fn_liar', 'bd_fn_reader']) await c.query(`DROP FUNCTION IF EXISTS ${f}`);
    // DETERMINISTIC, default CONTAINS SQL, and it writes: the server runs it while planning a constant.
    await c.query('CREATE FUNCTION bd_fn_write() RETURNS INT DETERMINISTIC BEGIN INSERT INTO bd_fn_log VALUES (NULL); INSERT INTO bd_fn_mylog VALUES (1); RETURN 1; END');
    // Declares READS SQL DATA and writes anyway (a MyISAM table, which no rollback undoes).
    await c.query('CREATE FUNCTION bd_fn_liar() RETURNS INT DETERMINISTIC READS SQL DATA BEGIN INSERT INTO bd_fn_mylog VALUES (2); RETURN 2; END');
    await c.query('CREATE FUNCTION bd_fn_reader() RETURNS INT DETERMINISTIC READS SQL DATA RETURN (SELECT MIN(id) FROM bd_fn_t)');
  });
  afterAll(async () => {
    for (const f of ['bd_fn_write', 'bd_fn_liar', 'bd_fn_reader']) await c?.query(`DROP FUNCTION IF EXISTS ${f}`).catch(() => undefined);
    await c?.query('DROP TABLE IF EXISTS bd_fn_t, bd_fn_log, bd_fn_mylog').catch(() => undefined);
    await c?.close();
  });

  for (const analyze of [false, true]) {
    it(`a DETERMINISTIC stored function that inserts is refused (${analyze ? 'ANALYZE' : 'plain plan'}); no row written`, async () => {
      const r = await explainStatement(c, { sql: 'SELECT * FROM bd_fn_t WHERE id = bd_fn_write()', analyze });
      expect(r.plan).toBeNull();
      expect(r.note).toMatch(/stored function bd_fn_write\(\)/);
      expect(await count('bd_fn_log')).toBe(0);
      expect(await count('bd_fn_mylog')).toBe(0);
    });
  }

  it('a function that claims READS SQL DATA and writes is planned read-only: its write fails, nothing is kept', async () => {
    const r = await explainStatement(c, { sql: 'SELECT * FROM bd_fn_t WHERE id = bd_fn_liar()', analyze: true });
    expect(r.plan).toBeNull();
    expect(r.note).toMatch(/EXPLAIN failed/);
    expect(await count('bd_fn_mylog')).toBe(0);
  });

  it('a READS SQL DATA function that reads is planned, and DML that calls any stored function is refused', async () => {
    const r = await explainStatement(c, { sql: 'SELECT * FROM bd_fn_t WHERE id = bd_fn_reader()' });
    expect(r.plan).not.toBeNull();
    const u = await explainStatement(c, { sql: 'UPDATE bd_fn_t SET v = bd_fn_reader() WHERE id = 1' });
    expect(u.plan).toBeNull();
    expect(u.note).toMatch(/data-changing or locking statement/);
  });

  const files: [string, string][] = [
    ['INTO OUTFILE', `SELECT v FROM bd_fn_t INTO OUTFILE '${'/tmp/bd-outfile-' + process.pid}.txt'`],
    ['INTO DUMPFILE', `SELECT v FROM bd_fn_t LIMIT 1 INTO DUMPFILE '${'/tmp/bd-dumpfile-' + process.pid}.txt'`],
    ['INTO OUTFILE inside an executable comment', `SELECT v FROM bd_fn_t /*!50000 INTO OUTFILE '${'/tmp/bd-xcomment-' + process.pid}.txt' */`],
  ];
  for (const [name, sql] of files) {
    it(`${name} with ANALYZE is refused and no file is created on the server`, async () => {
      const file = /'([^']+)'/.exec(sql)![1]!;
      const r = await explainStatement(c, { sql, analyze: true });
      expect(r.plan).toBeNull();
      expect(r.note).toMatch(/^Not explained/);
      // The testbed's server runs on this machine: its host is ours to look at.
      expect(fs.existsSync(file)).toBe(false);
    });
  }

  it('INTO @variable, NEXT VALUE FOR, GET_LOCK and SLEEP are refused; FOR UPDATE gets the plan only', async () => {
    for (const sql of ['SELECT v INTO @bd_x FROM bd_fn_t WHERE id = 1', 'SELECT NEXT VALUE FOR bd_no_seq', "SELECT GET_LOCK('bd', 1)", 'SELECT SLEEP(5)']) {
      const r = await explainStatement(c, { sql, analyze: true });
      expect(r.plan, sql).toBeNull();
      expect(r.note, sql).toMatch(/^Not explained/);
    }
    const l = await explainStatement(c, { sql: 'SELECT * FROM bd_fn_t WHERE id = 1 FOR UPDATE', analyze: true });
    expect(l.mode).toBe('plan');
    expect(l.plan).not.toBeNull();
    expect(l.note).toMatch(/row locks/);
  });
});

describe('EXPLAIN ANALYZE runs no volatile function (PostgreSQL)', () => {
  let c: SqlClient;
  let victim: SqlClient;
  const victimAlive = async () => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'bd-victim'"))[0]!['n'];
  beforeAll(async () => {
    const e = testbedEnv();
    await requireServer('PostgreSQL', e['PGHOST']!, Number(e['PGPORT']));
    const { target, password } = resolveDbTarget(undefined, e);
    c = await openSqlClient(target, password);
    victim = await openSqlClient(target, password);
    await victim.query("SET application_name = 'bd-victim'");
    await c.query("CREATE OR REPLACE VIEW bd_kill_v AS SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity WHERE application_name = 'bd-victim'");
  });
  afterAll(async () => {
    await c?.query('DROP VIEW IF EXISTS bd_kill_v').catch(() => undefined);
    await victim?.close().catch(() => undefined);
    await c?.close();
  });

  it('pg_terminate_backend() called directly, or through a view, gets the plan only; the other session lives', async () => {
    expect(await victimAlive()).toBe(1);
    for (const sql of ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bd-victim'", 'SELECT * FROM bd_kill_v']) {
      const r = await explainStatement(c, { sql, analyze: true });
      expect(r.mode, sql).toBe('plan');
      expect(r.plan, sql).not.toBeNull();
      expect(r.note, sql).toMatch(/volatile function.*pg_terminate_backend/);
      expect(await victimAlive(), sql).toBe(1);
    }
    expect((await victim.query('SELECT 1 AS one'))[0]!['one']).toBe(1);
  });

  it('immutable and stable functions still get ANALYZE; volatile ones only when allowed explicitly', async () => {
    const s = await explainStatement(c, { sql: "SELECT lower(relname), now() FROM pg_class WHERE relname LIKE 'pg_%' LIMIT 3", analyze: true });
    expect(s.mode).toBe('analyze');
    const refused = await explainStatement(c, { sql: 'SELECT random()', analyze: true });
    expect(refused.mode).toBe('plan');
    const allowed = await explainStatement(c, { sql: 'SELECT random()', analyze: true, allowVolatile: true });
    expect(allowed.mode).toBe('analyze');
  });

  it('a locking clause in a subquery is not executed', async () => {
    const r = await explainStatement(c, { sql: 'SELECT * FROM (SELECT 1 AS x FROM pg_class LIMIT 1 FOR UPDATE) s', analyze: true });
    expect(r.mode).toBe('plan');
    expect(r.note).toMatch(/FOR UPDATE/);
  });
});

describe('EXPLAIN ANALYZE is time-capped on both engines', () => {
  it('a statement that runs past the cap is stopped there, and the plan is given instead', async () => {
    const e = testbedEnv();
    for (const system of ['postgresql', 'mysql'] as const) {
      const { target, password } = resolveDbTarget(undefined, e, system);
      const c = await openSqlClient(target, password);
      try {
        // Immutable work only (so ANALYZE is allowed), far longer than the 300 ms cap: ~10 s unbounded.
        const sql = system === 'postgresql' ? 'SELECT count(*) FROM generate_series(1, 300000000) g' : 'SELECT COUNT(*) FROM seq_1_to_1000000000 WHERE seq % 7 = 3';
        const t0 = performance.now();
        const r = await explainStatement(c, { sql, analyze: true, timeoutMs: 300 });
        const ms = performance.now() - t0;
        expect(r.mode, system).toBe('plan');
        expect(r.plan, system).not.toBeNull();
        expect(r.note, system).toMatch(/ANALYZE failed \((57014|1969|.*timeout|.*max_statement_time)/i);
        // Bounded by the cap, not by the statement (wide: a shared machine; the statement alone takes seconds).
        expect(ms, system).toBeLessThan(5000);
      } finally { await c.close(); }
    }
  }, 30_000);
});
