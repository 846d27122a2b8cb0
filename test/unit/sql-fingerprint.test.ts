import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintSql } from '../../probes/sql-fingerprint';

describe('fingerprintSql', () => {
  const pg = (s: string) => fingerprintSql(s, 'postgresql').text;
  const my = (s: string) => fingerprintSql(s, 'mysql').text;

  it('replaces literals and numbers, folds case, whitespace and comments', () => {
    expect(pg("SELECT  *\n FROM t -- note\n WHERE a = 'x' AND b = 42 /* c */ AND c = -3.5e2")).toBe('select * from t where a = ? and b = ? and c = ?');
  });

  it('collapses IN-lists and multi-row VALUES into one group', () => {
    expect(pg('SELECT * FROM t WHERE id IN (1, 2, 3)')).toBe(pg('select * from t where id in (7)'));
    expect(pg("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')")).toBe('insert into t(a, b) values (?+)');
    expect(my('INSERT INTO t (a) VALUES (?), (?)')).toBe(my('INSERT INTO t (a) VALUES (?)'));
    // performance_schema digest text
    expect(my('SELECT `id` FROM `t` WHERE `id` IN (...)')).toBe(my('select id from t where id in (1, 2)'));
  });

  it('keeps parameters in the class and identifiers as written', () => {
    expect(pg('select "Name" from "Users" where id = $1')).toBe('select "Name" from "Users" where id = $1');
    expect(my('select `name` from `users` where id = ?')).toBe('select name from users where id = ?');
    expect(my('select `odd name` from `Users` where id = ?')).toBe('select `odd name` from users where id = ?');
  });

  it('knows each dialect\'s quoting', () => {
    // PostgreSQL: dollar quotes, E-strings, "identifiers"; MySQL: "strings", backslash escapes, # comments
    expect(pg("select $tag$it's$tag$, E'a\\'b', $$x$$")).toBe('select ?, ?, ?');
    expect(my('select "secret" from t # comment')).toBe('select ? from t');
    expect(my("select 'it\\'s' from t")).toBe('select ? from t');
    expect(pg("select 'it''s'")).toBe('select ?');
  });

  it('reads the same text again in the other dialect as that dialect does (the last text is remembered per dialect)', () => {
    const text = 'select "name" from t where id = 42';
    expect(pg(text)).toBe('select "name" from t where id = ?');
    expect(my(text)).toBe('select ? from t where id = ?');
    expect(pg(text)).toBe('select "name" from t where id = ?');
  });

  it('is idempotent', () => {
    for (const s of ["INSERT INTO t (a) VALUES (1), (2)", "select * from t where x in ('a','b') and y = $1"]) {
      const once = pg(s);
      expect(pg(once)).toBe(once);
      expect(my(my(s))).toBe(my(s));
    }
  });

  it('fails closed: an unterminated quote or comment shows nothing of the statement', () => {
    const r = fingerprintSql("SELECT * FROM users WHERE password = 'hunter2", 'postgresql');
    expect(r.parsed).toBe(false);
    expect(r.text).not.toMatch(/hunter2|users|password/);
    expect(fingerprintSql('select 1 /* open', 'mysql').parsed).toBe(false);
    expect(fingerprintSql('select $q$ never closed', 'postgresql').parsed).toBe(false);
  });

  it('never lets a quoted literal through, whatever surrounds it (property)', () => {
    const canary = 'CANARY7731';
    const fragment = fc.constantFrom('select', 'from t', 'where a =', ',', '(', ')', 'and', "'x'", '42', '$1', '?', '--c\n', '/* c */', 'in', 'values');
    fc.assert(fc.property(fc.array(fragment, { maxLength: 12 }), fc.array(fragment, { maxLength: 12 }), fc.constantFrom('postgresql', 'mysql') as fc.Arbitrary<'postgresql' | 'mysql'>,
      (before, after, dialect) => {
        const sql = `${before.join(' ')} '${canary}' ${after.join(' ')}`;
        expect(fingerprintSql(sql, dialect).text).not.toContain(canary);
      }), { numRuns: 500 });
  });

  it('survives arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      const r = fingerprintSql(s, 'postgresql');
      expect(typeof r.text).toBe('string');
    }), { numRuns: 500 });
  });
});
