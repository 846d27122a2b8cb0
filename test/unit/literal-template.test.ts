import { describe, expect, it } from 'vitest';
import { fingerprintSql, fingerprintSqlFull, literalTemplateCount, type SqlDialect } from '../../probes/sql-fingerprint';

/**
 * Texts with their values inlined take the literal-template path of fingerprintSql (one scan, no tokenizer): it must
 * give exactly what the full tokenizer gives, text and value positions, for every statement and every value.
 * `{n}` is replaced by a number and `{s}` by a string body, different on each variant.
 */
const PG: string[] = [
  'SELECT name, region FROM cx_customers WHERE id = {n}',
  "SELECT * FROM \"users\" WHERE \"email\" = '{s}' AND \"active\" = true LIMIT {n}",
  "UPDATE progress SET done = {n}, at = now() WHERE job = '{s}'",
  'SELECT id FROM t WHERE a = {n} AND b IN ({n}, {n}, {n}) ORDER BY id ASC',
  'SELECT id FROM t WHERE a = -{n} OR b = +{n}',
  "INSERT INTO t (a, b) VALUES ({n}, '{s}'), ({n}, '{s}')",
  "SELECT x::numeric(10,2), y FROM t1 WHERE col2 = {n}.{n} AND z = '{s}'::text",
  "SELECT E'{s}' FROM t WHERE k = {n}",
  "SELECT * FROM t WHERE note = 'it''s {s}' /* a comment */ AND k = {n}",
  "SELECT * FROM t WHERE k = {n} -- trailing comment",
  "SELECT data->>'{s}' FROM docs WHERE id = {n}",
  'SELECT * FROM t WHERE id = $1 AND kind = {n}',
  "SELECT * FROM t WHERE a = ? AND b = :name AND c = %s AND d = @p1 AND e = '{s}' AND f = {n}",
  "SELECT 'é{s}', ünïcode FROM t WHERE k = {n}",
  'SELECT * FROM t WHERE k = 0x{n}',
  'SELECT * FROM t WHERE k = {n}e3',
  'SELECT * FROM t WHERE k = .{n}',
  "SELECT $tag${s}$tag$ FROM t",
  "SELECT * FROM t WHERE a = U&'{s}' AND b = {n};",
  'SELECT "we""ird" FROM t WHERE k = {n}',
];
const MY: string[] = [
  'SELECT name FROM customers WHERE id = {n}',
  "SELECT * FROM `users` WHERE `email` = '{s}' AND status = \"{s}\" LIMIT {n}, {n}",
  "INSERT INTO t (a, b) VALUES ({n}, 'a\\'{s}'), ({n}, 'b\\\\{s}')",
  "SELECT * FROM t WHERE k = {n} # comment",
  "SELECT /*!40001 SQL_NO_CACHE */ * FROM t WHERE k = {n}",
  "SELECT _utf8'{s}' FROM t WHERE k = {n}",
  'UPDATE t SET v = v - {n} WHERE id IN ({n}) AND w = -{n}',
  "SELECT * FROM t WHERE a = ? AND b = '{s}'",
];

let seed = 7;
const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
const fill = (tpl: string): string => tpl.replace(/\{n\}/g, () => String(rnd() % (rnd() % 2 ? 10 : 1_000_000))).replace(/\{s\}/g, () => `v${rnd() % 100_000}${rnd() % 3 ? '' : ' x'}`);

describe('fingerprints of texts with inlined values (the literal-template path)', () => {
  for (const [dialect, corpus] of [['postgresql', PG], ['mysql', MY]] as [SqlDialect, string[]][]) {
    it(`equal the full tokenizer's, text and value positions (${dialect})`, () => {
      const before = literalTemplateCount(dialect);
      for (const tpl of corpus) {
        for (let v = 0; v < 40; v++) {
          const sql = fill(tpl);
          expect(fingerprintSql(sql, dialect), sql).toEqual(fingerprintSqlFull(sql, dialect));
        }
      }
      // Not vacuous: the plain statements did take the template path.
      expect(literalTemplateCount(dialect) - before).toBeGreaterThanOrEqual(dialect === 'mysql' ? 2 : 5);
    });
  }

  it('gives each call its own literal hashes, so that value statistics see the values change', () => {
    const a = fingerprintSql('SELECT name FROM t_tpl WHERE id = 101', 'postgresql');
    const b = fingerprintSql('SELECT name FROM t_tpl WHERE id = 202', 'postgresql');
    const c = fingerprintSql('SELECT name FROM t_tpl WHERE id = 101', 'postgresql');
    expect(a.text).toBe('select name from t_tpl where id = ?');
    expect(b.text).toBe(a.text);
    expect(a.slots).toHaveLength(1);
    expect(b.slots![0]).not.toBe(a.slots![0]);
    expect(c.slots).toEqual(a.slots);
  });
});
