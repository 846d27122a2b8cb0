import { describe, expect, it } from 'vitest';
import { notExplainable } from '../../src/db/explain-run';

describe('notExplainable', () => {
  it('lets EXPLAIN take the statements that have a plan, on both engines', () => {
    for (const s of ['select 1', '(select id from t) union (select id from u)', 'with x as (select 1) select * from x', 'insert into t values (?)',
      'update t set a = ? where id = ?', 'delete from t where id = $1', 'replace into t values (?)', 'values (1)']) expect(notExplainable(s), s).toBeNull();
  });
  it('says why a COPY, a DDL statement or a transaction command is not explained', () => {
    expect(notExplainable('copy t(a, b) from stdin')).toMatch(/cannot take a COPY: it is the bulk path already/);
    expect(notExplainable('create temp table t(a int)')).toBe('EXPLAIN cannot take a CREATE statement: it has no plan');
    expect(notExplainable('begin')).toBe('EXPLAIN cannot take a BEGIN statement: it has no plan');
  });
});
