import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, testbedEnv } from './testbed';

/**
 * Runs the seeded MySQL workload (fixtures/workloads/mysql-workload.cjs) against the testbed's MariaDB with
 * the slow log (long_query_time=0) pointed at a fresh file, then points it back. Returns the file.
 */
export function recordSlowLog(name: string, statements: number): string {
  const e = testbedEnv();
  const file = path.join(e['BD_TESTBED_DIR']!, `${name}-${process.pid}.log`);
  fs.rmSync(file, { force: true });
  const env = { ...process.env, ...e };
  const sql = (q: string) => execFileSync('mariadb', ['--protocol=tcp', '-h', e['MYSQL_HOST']!, '-P', e['MYSQL_TCP_PORT']!, '-u', e['MYSQL_USER']!, '-e', q], { env });
  sql(`SET GLOBAL slow_query_log_file = '${file}'`);
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'fixtures', 'workloads', 'mysql-workload.cjs'), String(statements)], { env, stdio: 'inherit' });
  } finally {
    sql(`SET GLOBAL slow_query_log_file = '${path.join(e['BD_TESTBED_DIR']!, 'mariadb-slow.log')}'`);
  }
  return file;
}
