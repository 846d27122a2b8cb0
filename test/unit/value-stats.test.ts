import { describe, expect, it, beforeAll } from 'vitest';
import { fingerprintSql } from '../../probes/sql-fingerprint';
import { ValueStats, SKETCH_K } from '../../probes/value-stats';
import { loadPgParser, pgKeyLookup } from '../../src/db/pg-parser';
import { mysqlKeyLookup } from '../../src/db/mysql-parser';
import { analyze } from '../../src/analysis/analyze';
import { TraceBuilder } from '../helpers/trace-builder';

describe('value positions of a fingerprint', () => {
  it('numbers bind parameters and hashes inlined literals, one position per ?, $n and (?+)', () => {
    const a = fingerprintSql("update jobs set done = 5, note = 'x' where job = 'reconcile' and id in (1, 2, 3)", 'postgresql');
    const b = fingerprintSql("update jobs set done = 6, note = 'x' where job = 'reconcile' and id in (1, 2, 4)", 'postgresql');
    expect(a.text).toBe(b.text);
    expect(a.slots).toHaveLength(4);
    expect(a.slots![0]).not.toBe(b.slots![0]); // done differs
    expect(a.slots![1]).toBe(b.slots![1]); // note
    expect(a.slots![2]).toBe(b.slots![2]); // job
    expect(a.slots![3]).not.toBe(b.slots![3]); // the list
    expect(fingerprintSql('select * from t where a = $2 and b = $1 limit ?', 'postgresql').slots).toEqual([-2, -1, expect.any(Number)]);
    expect(fingerprintSql('select * from t where a = ? and b in (?, ?)', 'mysql').slots).toEqual([-1, null]);
    // A sign is part of the value.
    expect(fingerprintSql('select * from t where a = -5', 'postgresql').slots).not.toEqual(fingerprintSql('select * from t where a = 5', 'postgresql').slots);
  });
});

describe('ValueStats (in the probes)', () => {
  it('tells a constant key from distinct keys, for bind values and for literals, and writes no value', () => {
    const v = new ValueStats();
    for (let i = 0; i < 1000; i++) v.observe('postgresql', 'update progress set done = $1 where job = $2', [i, 'secret-job']);
    for (let i = 0; i < 1000; i++) v.observe('postgresql', `update progress2 set done = ${i} where job = 'reconcile'`, undefined);
    for (let i = 0; i < 20; i++) v.observe('mysql', `select * from customers where id = ${i}`, undefined);
    for (let i = 0; i < 500; i++) v.observe('mysql', 'select * from customers where id = ?', [i % 7]);
    const s = v.summary();
    const by = (fp: string) => s.find((r) => r.fingerprint === fp)!;
    const p1 = by('update progress set done = $1 where job = $2');
    expect(p1.calls).toBe(1000);
    expect(p1.slots[1]).toMatchObject({ constant: true, distinct: 1 });
    expect(p1.slots[0]!.constant).toBe(false);
    expect(p1.slots[0]!.distinct).toBeGreaterThan(600);
    expect(p1.slots[0]!.distinct).toBeLessThan(1600);
    const p2 = by('update progress2 set done = ? where job = ?');
    expect(p2.slots[1]).toMatchObject({ constant: true, distinct: 1, exact: true });
    expect(p2.slots[0]!.constant).toBe(false);
    const m = by('select * from customers where id = ?');
    expect(m.calls).toBe(520); // inlined and bound: one class
    expect(m.slots[0]).toMatchObject({ constant: false, distinct: 20, exact: true });
    expect(JSON.stringify(s)).not.toMatch(/secret-job|reconcile/);
  });

  it('estimates large distinct counts within the sketch\'s error', () => {
    for (const n of [SKETCH_K * 4, 5000, 50_000]) {
      const v = new ValueStats();
      for (let i = 0; i < n; i++) v.observe('postgresql', 'select * from t where id = $1', [`key-${i}`]);
      const d = v.summary()[0]!.slots[0]!.distinct;
      expect(Math.abs(d - n) / n, `${n}`).toBeLessThan(0.6); // 1/sqrt(K-2) = 18% typical; 3 sigma
    }
  });

  it('marks a position unknown when its value cannot be hashed', () => {
    const v = new ValueStats();
    for (let i = 0; i < 3; i++) v.observe('postgresql', 'insert into f (data) values ($1)', [Buffer.from('x')]);
    expect(v.summary()[0]!.slots).toEqual([null]);
  });
});

describe('key lookups from the engines\' grammars', () => {
  beforeAll(async () => { await loadPgParser(); });

  it('PostgreSQL: ORM shapes, composite keys, IN and ANY, UPDATE and DELETE, with the key\'s value position', () => {
    expect(pgKeyLookup('select "Customer"."id" from "customers" "Customer" where (("Customer"."id" = $1)) limit ?')).toEqual({ columns: ['Customer.id'], slots: [0], table: 'customers', form: 'eq' });
    expect(pgKeyLookup('select * from t where tenant = ? and id = $1::bigint')).toMatchObject({ columns: ['tenant', 'id'], slots: [0, 1] });
    expect(pgKeyLookup('select * from t where id = any($1)')).toMatchObject({ form: 'in', slots: [0] });
    expect(pgKeyLookup('select * from t where id in (?+)')).toMatchObject({ form: 'in', slots: [0] });
    expect(pgKeyLookup('update job_progress set done = ?, at = now() where job = ?')).toMatchObject({ columns: ['job'], slots: [1], table: 'job_progress' });
    expect(pgKeyLookup('delete from s.t where id = $1')).toMatchObject({ columns: ['id'], table: 't' });
    for (const fp of ['select * from t where a > $1', 'select * from t where a = $1 or b = $2', 'select * from a join b on a.id = b.id where a.id = ?', 'update t set x = ? from u where t.id = u.id and u.k = ?']) {
      expect(pgKeyLookup(fp), fp).toBeNull();
    }
  });

  it('MySQL/MariaDB: backquotes, parentheses, composite keys, IN, LIMIT and FOR UPDATE', () => {
    expect(mysqlKeyLookup('select `c`.`id`, `c`.`name` from `customers` as `c` where (`c`.`id` = ?) limit ?')).toEqual({ columns: ['c.id'], slots: [0], table: 'customers', form: 'eq' });
    expect(mysqlKeyLookup('select * from orders where tenant = ? and id = ? for update')).toMatchObject({ columns: ['tenant', 'id'], slots: [0, 1] });
    expect(mysqlKeyLookup('select * from orders where id in (?+)')).toMatchObject({ form: 'in' });
    expect(mysqlKeyLookup('update progress set done = ? where job = ?')).toMatchObject({ columns: ['job'], slots: [1], table: 'progress' });
    for (const fp of ['select * from t where a > ?', 'select * from t where a = ? or b = ?', 'select * from a join b on a.id = b.id where a.id = ?', 'insert into t (a) values (?+)']) {
      expect(mysqlKeyLookup(fp), fp).toBeNull();
    }
  });
});

describe('detectors on value statistics', () => {
  beforeAll(async () => { await loadPgParser(); });
  const fp = "update job_progress set done = ? where job = ?";

  it('a progress row keyed by a literal is chatty progress, not a row-by-row write', () => {
    const b = new TraceBuilder(2000);
    for (let i = 0; i < 1000; i++) b.db(fp, i * 2, i * 2 + 1, { rows: 1 });
    b.valueStats(fp, 1000, [1000, 1]);
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.findings[0]!.kind).toBe('chatty-progress');
    expect(r.findings.some((f) => f.kind === 'row-by-row-write')).toBe(false);
  });

  it('lookups of a few keys are priced at one batch of the distinct keys; N distinct keys at N / batch size round trips', () => {
    const sel = 'select * from customers where id = ?';
    const few = new TraceBuilder(3000);
    for (let i = 0; i < 1000; i++) few.db(sel, i * 2, i * 2 + 1.5, { rows: 1 });
    few.valueStats(sel, 1000, [10]);
    const f = analyze(few.build(), { toolVersion: 't' }).findings[0]!;
    expect(f.kind).toBe('n-plus-one-read');
    expect(f.title).toMatch(/N\+1 reads: 1000 lookups of about 10 customers rows, each read 100 times/);
    // One batched round trip for the 10 keys (and 10 rows at the default per-row cost) replaces 1000.
    expect(f.estimatedSavingMs).toBeCloseTo(1500 - 1.5 - 10 * 0.01, 0);
    const many = new TraceBuilder(3000);
    for (let i = 0; i < 1000; i++) many.db(sel, i * 2, i * 2 + 1.5, { rows: 1 });
    many.valueStats(sel, 1000, [1000]);
    const g = analyze(many.build(), { toolVersion: 't' }).findings[0]!;
    expect(g.title).toMatch(/N\+1 reads/);
    expect(g.evidence.metrics['distinctKeys']).toBe(1000);
  });
});

describe('an ORM\'s CPU per call in the database savings', () => {
  beforeAll(async () => { await loadPgParser(); });
  const fp = 'select "id", "name" from "customers" where "id" = $1 limit $2';
  const build = (withOrm: boolean) => {
    const b = new TraceBuilder(3000);
    for (let i = 0; i < 1000; i++) b.db(fp, i * 2, i * 2 + 1, { rows: 1 });
    b.valueStats(fp, 1000, [1000, 1]);
    if (withOrm) b.libraryCpu([{ name: 'knex', ms: 500 }, { name: 'pg', ms: 300 }], { [fp]: 'knex' });
    else b.libraryCpu([{ name: 'pg', ms: 300 }], { [fp]: 'pg' });
    return analyze(b.build(), { toolVersion: 't' }).findings.find((f) => f.kind === 'n-plus-one-read')!;
  };

  it('adds the library\'s CPU per call for the calls the fix removes, and nothing for a driver called directly', () => {
    const direct = build(false), orm = build(true);
    expect(direct.savingModel).not.toMatch(/CPU/);
    // 500 ms of knex CPU over 1000 calls, 999 calls fewer (one batch), all CPU on the critical path (no I/O overlap).
    expect(orm.estimatedSavingMs - direct.estimatedSavingMs).toBeCloseTo(0.5 * 999, 0);
    expect(orm.savingModel).toMatch(/knex CPU \(0\.5 ms per call/);
  });
});

describe('the probes\' own cost', () => {
  it('is stated in the report and taken out of the statements\' time before the saving is priced', () => {
    const run = (withCost: boolean) => {
      const b = new TraceBuilder(3000);
      for (let i = 0; i < 1000; i++) b.db('select * from customers where id = $1', i * 2, i * 2 + 1, { rows: 1 });
      if (withCost) b.probeCost({ initMs: 30, exitMs: 8, officialDbCalls: 5, fastDbCalls: 995 });
      return analyze(b.build(), { toolVersion: 't' });
    };
    const bare = run(false), probed = run(true);
    expect(bare.collection.probeCost).toBeUndefined();
    expect(probed.collection.probeCost).toMatchObject({ setupMs: 30, exitMs: 8, officialDbCalls: 5, fastDbCalls: 995, perCallUs: { official: 45, fast: 6 } });
    // 5 calls at 45 µs and 995 at 6 µs: 6.195 ms less to save.
    const saving = (r: typeof bare) => r.findings.find((f) => f.kind === 'n-plus-one-read')!.estimatedSavingMs;
    expect(saving(bare) - saving(probed)).toBeCloseTo(6.195, 1);
    // The share of the wall: set-up and exit of the one process, and the calls (38 + 6.195 ms of 3 s).
    expect(probed.collection.probeCost!.wallShare).toBeCloseTo((38 + 6.195) / 3000, 3);
  });
});
