import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestAccumulator, DurationHistogram } from '../../src/db/digest';
import { readMysqlSlowLog, SlowLogParser, recordBoundaries } from '../../src/db/sources/mysql-slow-log';
import { readPostgresLog } from '../../src/db/sources/postgresql-log';
import { readHead, sniffLog } from '../../src/db/sources/log-detect';
import { ROOT } from '../helpers/testbed';

const LOGS = path.join(ROOT, 'fixtures', 'logs');

describe('MySQL/MariaDB slow log', () => {
  it('reads MySQL 8 records: multi-line statements, use, SET timestamp, the banner and administrator commands', async () => {
    const acc = new DigestAccumulator();
    const r = await readMysqlSlowLog(path.join(LOGS, 'mysql8-slow.log'), acc);
    const classes = acc.finish();
    expect(r.badRecords).toBe(0);
    expect(acc.statements).toBe(4);
    expect(classes.map((c) => [c.fingerprint, c.calls])).toEqual([
      ['insert into audit(who, what) values (?+)', 1],
      ['select * from customers where email = ?', 2],
      ['administrator command: quit', 1],
    ]);
    const sel = classes[1]!;
    expect(sel.totalMs).toBe(4);
    expect(sel.rowsExamined).toBe(10000);
    expect(sel.database).toBe('shop');
    expect(JSON.stringify(classes)).not.toContain('canary');
  });

  it('survives garbage: never throws, counts what it cannot read (property)', () => {
    const line = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('# Query_time: x', '# Query_time: 1.0 Rows_sent: -', '# User@Host: a', 'use ;', 'SET timestamp=;', "select 'open", '# Time:', ''));
    fc.assert(fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
      const acc = new DigestAccumulator();
      const p = new SlowLogParser((s) => acc.add(s));
      for (const l of lines) p.line(l);
      p.end();
      for (const c of acc.finish()) expect(Number.isFinite(c.totalMs)).toBe(true);
    }), { numRuns: 300 });
  });

  it('cuts a file at record starts so parallel parts give the same digest', async () => {
    const file = path.join(os.tmpdir(), `bd-slow-${process.pid}.log`);
    const rec = (i: number) => `# User@Host: u[u] @ h []\n# Query_time: 0.00${i % 10}  Lock_time: 0  Rows_sent: 1  Rows_examined: ${i}\nSET timestamp=1;\nSELECT * FROM t${i % 7} WHERE id = ${i};\n`;
    fs.writeFileSync(file, Array.from({ length: 3000 }, (_, i) => rec(i)).join(''));
    try {
      const whole = new DigestAccumulator();
      await readMysqlSlowLog(file, whole);
      const size = fs.statSync(file).size;
      const cuts = await recordBoundaries(file, size, 4);
      expect(cuts.length).toBe(5);
      const parts = new DigestAccumulator();
      for (let i = 0; i + 1 < cuts.length; i++) {
        const a = new DigestAccumulator();
        await readMysqlSlowLog(file, a, { start: cuts[i]!, end: cuts[i + 1]! });
        parts.mergeState(a.exportState());
      }
      expect(parts.finish()).toEqual(whole.finish());
    } finally { fs.rmSync(file, { force: true }); }
  });
});

describe('PostgreSQL logs', () => {
  it('stderr: statements and executes count, parse/bind phases and parameters do not', async () => {
    const acc = new DigestAccumulator();
    await readPostgresLog(path.join(LOGS, 'postgresql-stderr.log'), acc);
    const classes = acc.finish();
    expect(classes.map((c) => [c.fingerprint, c.calls, c.totalMs])).toEqual([
      ['select * from customers where email = ?', 2, 5.5],
      ['select * from orders where id = $1', 1, 1.5],
    ]);
    expect(JSON.stringify(classes)).not.toMatch(/canary|918273/);
  });

  it('csvlog: quoted multi-line messages', async () => {
    const acc = new DigestAccumulator();
    const r = await readPostgresLog(path.join(LOGS, 'postgresql.csv'), acc);
    expect(r.badRecords).toBe(0);
    const classes = acc.finish();
    expect(classes.map((c) => [c.fingerprint, c.calls, c.database])).toEqual([
      ['select * from customers where email = ?', 2, 'shop'],
      ['select * from orders where id = $1', 1, 'shop'],
    ]);
    expect(JSON.stringify(classes)).not.toMatch(/canary|918273|quoted/);
  });
});

describe('digest statistics', () => {
  it('p95 from 5%-wide buckets is within 5% of the exact value', () => {
    const h = new DurationHistogram();
    const xs = Array.from({ length: 1000 }, (_, i) => 0.1 + i * 0.37);
    for (const x of xs) h.add(x);
    const exact = xs[Math.ceil(0.95 * xs.length) - 1]!;
    expect(Math.abs(h.quantile(0.95) - exact) / exact).toBeLessThan(0.05);
  });

  it('V/M is variance over mean', () => {
    const acc = new DigestAccumulator();
    for (const ms of [1, 2, 3, 4, 5]) acc.add({ system: 'mysql', fingerprint: 'x', parsed: true, ms });
    const [c] = acc.finish();
    expect(c!.meanMs).toBe(3);
    expect(c!.varianceToMean).toBeCloseTo(2 / 3, 3);
  });
});

describe('slow logs as real servers write them', () => {
  it('a log that spans restarts, a wrapped Query_time, ASC, replica SET prefixes, versioned comments, an empty statement', async () => {
    const acc = new DigestAccumulator();
    const r = await readMysqlSlowLog(path.join(LOGS, 'mysql-restart.log'), acc);
    const classes = acc.finish();
    // The record with Query_time 18446744073708.79 s (a wrapped unsigned value) is dropped and counted.
    expect(r.badRecords).toBe(1);
    const byFp = Object.fromEntries(classes.map((c) => [c.fingerprint, c.calls]));
    // The banner after the first SELECT is not glued to it: with ORDER BY ... ASC, one class of two.
    expect(byFp['select name from customers where id = ? order by name']).toBe(2);
    // SET insert_id / last_insert_id / timestamp are session settings, not part of the INSERT.
    expect(byFp['insert into audit(who) values (?+)']).toBe(3);
    // /*!50002 GLOBAL */ is run by the server: SHOW GLOBAL STATUS is not SHOW STATUS.
    expect(byFp['show global status']).toBe(1);
    expect(byFp['show status']).toBe(1);
    expect(byFp['<empty statement>']).toBe(1);
    expect(classes.every((c) => c.fingerprint.trim() !== '' && !/version|tcp port/i.test(c.fingerprint))).toBe(true);
    expect(classes.reduce((a, c) => a + c.totalMs, 0)).toBeLessThan(100);
  });

  it('glued SET prefixes and executable comments in other places', () => {
    const acc = new DigestAccumulator();
    const p = new SlowLogParser((s) => acc.add(s));
    for (const l of ['# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0', 'SET insert_id=5;INSERT INTO t (a) VALUES (1);',
      '# Query_time: 0.1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0', 'SELECT /*+ MAX_EXECUTION_TIME(1) */ a FROM t /*!80000 FOR SHARE */;']) p.line(l);
    p.end();
    expect(acc.finish().map((c) => c.fingerprint).sort()).toEqual(['insert into t(a) values (?+)', 'select a from t for share']);
  });
});

describe('PostgreSQL logs in every format, told from their content', () => {
  const expected = [['select * from customers where email = ?', 2]];
  for (const [file, format] of [['postgresql-one-space.log', 'stderr'], ['postgresql-csvlog.log', 'csvlog'], ['postgresql-jsonlog.json', 'jsonlog'],
    ['postgresql-cnpg.json', 'cnpg'], ['postgresql-syslog.log', 'syslog']] as const) {
    it(`${file}: detected as ${format}, statements read`, async () => {
      const kind = sniffLog(readHead(path.join(LOGS, file)));
      expect(kind).toMatchObject({ kind: 'postgresql', format, durations: true });
      const acc = new DigestAccumulator();
      await readPostgresLog(path.join(LOGS, file), acc, format);
      const classes = acc.finish();
      expect(classes.filter((c) => c.fingerprint.startsWith('select * from customers')).map((c) => [c.fingerprint, c.calls])).toEqual(expected);
      expect(JSON.stringify(classes)).not.toMatch(/canary|918273/);
    });
  }

  it('tells empty, compressed, binary, a PostgreSQL log without durations and a MySQL slow log apart', () => {
    expect(sniffLog(Buffer.alloc(0)).kind).toBe('empty');
    expect(sniffLog(Buffer.from('\n\n  \n')).kind).toBe('empty');
    expect(sniffLog(readHead(path.join(LOGS, 'mysql8-slow.log.gz')))).toEqual({ kind: 'compressed', codec: 'gzip' });
    expect(sniffLog(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2]))).toEqual({ kind: 'compressed', codec: 'zstd' });
    expect(sniffLog(Buffer.from([1, 0, 2, 3])).kind).toBe('binary');
    expect(sniffLog(readHead(path.join(LOGS, 'postgresql-no-durations.log')))).toEqual({ kind: 'postgresql', format: 'stderr', durations: false });
    expect(sniffLog(readHead(path.join(LOGS, 'mysql-restart.log')))).toEqual({ kind: 'mysql' });
    expect(sniffLog(Buffer.from('hello world\nnothing here\n')).kind).toBe('unknown');
  });
});

describe('slow-log figures beyond time', () => {
  it('lock time and temporary tables, in the MariaDB, Percona and MySQL 8 spellings', () => {
    const acc = new DigestAccumulator();
    const p = new SlowLogParser((s) => acc.add(s));
    for (const l of [
      '# Query_time: 0.5  Lock_time: 0.25 Rows_sent: 1  Rows_examined: 10',
      '# Full_scan: Yes  Full_join: No  Tmp_table: Yes  Tmp_table_on_disk: Yes', // MariaDB log_slow_verbosity=query_plan
      'SELECT a FROM t GROUP BY a;',
      '# Query_time: 0.5  Lock_time: 0.05 Rows_sent: 1  Rows_examined: 10',
      '# Tmp_tables: 2  Tmp_disk_tables: 1  Tmp_table_sizes: 4096', // Percona
      'SELECT a FROM t GROUP BY a;',
      '# Query_time: 0.5  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 10 Thread_id: 9 Errno: 0 Killed: 0 Created_tmp_disk_tables: 0 Created_tmp_tables: 1', // MySQL 8 log_slow_extra
      'SELECT a FROM t GROUP BY a;',
    ]) p.line(l);
    p.end();
    const [c] = acc.finish();
    expect(c).toMatchObject({ calls: 3, lockMs: 300, tmpTables: 4, tmpDiskTables: 2 });
  });
});
