import * as fs from 'node:fs';
import * as path from 'node:path';
import { DigestAccumulator } from '../../db/digest';
import { readMysqlSlowLogParallel } from '../../db/sources/parallel-slow-log';
import { readPostgresLog } from '../../db/sources/postgresql-log';
import { writeFileAtomic } from '../../collect/write-file';
import { InputError, UsageError } from '../../errors';
import { DIGEST_SCHEMA_VERSION, type DigestSource, type QueryDigestReport } from '../../model/db';
import { toolVersion } from '../../version';
import { DIGEST_RENDERERS } from '../../../reports/digest';
import { commandHelp, parseOptions, SLOW_LOG } from '../options';
import type { CliIO, CliResult } from '../io';

/** Bytes read from the start of a log to tell its format. */
const SNIFF_BYTES = 64 * 1024;

/** Tells a MySQL/MariaDB slow log from a PostgreSQL log by their first 64 KiB. */
export function sniffLogType(file: string): 'mysql' | 'postgresql' | 'postgresql-csv' | null {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const head = buf.subarray(0, fs.readSync(fd, buf, 0, SNIFF_BYTES, 0)).toString('utf8');
    if (/^# Query_time: /m.test(head) || /^# User@Host: /m.test(head)) return 'mysql';
    if (/duration: [0-9.]+ ms/.test(head)) return file.endsWith('.csv') || /^\d{4}-\d\d-\d\d [0-9:.]+ \w+,/m.test(head) ? 'postgresql-csv' : 'postgresql';
    return null;
  } finally { fs.closeSync(fd); }
}

/** `batch-doctor slow-log <file>` */
export async function slowLogCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values, positionals } = parseOptions(SLOW_LOG, args);
  if (values['help']) { io.stdout.write(commandHelp(SLOW_LOG)); return { exitCode: 0 }; }
  if (positionals.length !== 1) throw new UsageError('Give exactly one log file, for example: batch-doctor slow-log /var/log/mysql/mysql-slow.log');
  const file = path.resolve(io.cwd, positionals[0]!);
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch (err) { throw new InputError(`Cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as NodeJS.ErrnoException).code}. Pass the path of a slow-query log.`); }
  if (!st.isFile()) throw new InputError(`${positionals[0]} is not a file. Pass the path of a slow-query log.`);
  const wanted = (values['type'] as string | undefined) ?? 'auto';
  const type = wanted === 'auto' ? sniffLogType(file) : wanted;
  if (!type) throw new InputError(`${positionals[0]} does not look like a MySQL/MariaDB slow log or a PostgreSQL log with statement durations (no "# Query_time:" or "duration: ... ms" in its first 64 KiB). Pass --type mysql|postgresql|postgresql-csv if it is one.`);
  const acc = new DigestAccumulator();
  let bad = 0;
  let source: DigestSource;
  try {
    if (type === 'mysql') { source = 'mysql-slow-log'; bad = (await readMysqlSlowLogParallel(file, acc)).badRecords; }
    else { source = 'postgresql-log'; bad = (await readPostgresLog(file, acc, type === 'postgresql-csv' ? 'csvlog' : 'stderr')).badRecords; }
  } catch (err) {
    throw new InputError(`Reading ${positionals[0]} failed (${(err as NodeJS.ErrnoException).code ?? 'read error'}). Check the file is readable and complete.`);
  }
  const classes = acc.finish();
  const warnings: string[] = [];
  if (acc.statements === 0) warnings.push('No timed statement was found. MySQL/MariaDB: set long_query_time (0 logs everything). PostgreSQL: set log_min_duration_statement.');
  const report: QueryDigestReport = {
    schemaVersion: DIGEST_SCHEMA_VERSION, tool: { name: 'batch-doctor', version: toolVersion() }, source, origin: path.basename(file),
    statements: acc.statements, totalMs: Math.round(classes.reduce((a, c) => a + c.totalMs, 0) * 1000) / 1000, badRecords: bad, classes, warnings,
  };
  return writeDigest(report, values, io);
}

/** Prints a digest in the chosen format and writes the JSON when asked. */
export function writeDigest(report: QueryDigestReport, values: Record<string, unknown>, io: CliIO): CliResult {
  if (typeof values['out'] === 'string') writeFileAtomic(path.resolve(io.cwd, values['out']), DIGEST_RENDERERS['json']!(report));
  io.stdout.write(DIGEST_RENDERERS[(values['format'] as string | undefined) ?? 'table']!(report, 120));
  return { exitCode: 0 };
}
