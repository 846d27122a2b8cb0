import * as fs from 'node:fs';
import * as path from 'node:path';
import { DigestAccumulator } from '../../db/digest';
import { canDecompress, decompressToTemp, makeLogTempDir, readHead, readLog, sniffLog, type LogType } from '../../db/sources/log-detect';
import { writeFileAtomic } from '../../collect/write-file';
import { InputError, UsageError } from '../../errors';
import { DIGEST_SCHEMA_VERSION, type DigestSource, type QueryDigestReport } from '../../model/db';
import { toolVersion } from '../../version';
import { DIGEST_RENDERERS } from '../../../reports/digest';
import { commandHelp, parseOptions, SLOW_LOG } from '../options';
import type { CliIO, CliResult } from '../io';

/** `--type` values and what they read. */
const TYPES: Record<string, LogType> = {
  mysql: { kind: 'mysql' }, postgresql: { kind: 'postgresql', format: 'stderr' }, 'postgresql-csv': { kind: 'postgresql', format: 'csvlog' },
  'postgresql-json': { kind: 'postgresql', format: 'jsonlog' }, 'postgresql-cnpg': { kind: 'postgresql', format: 'cnpg' }, 'postgresql-syslog': { kind: 'postgresql', format: 'syslog' },
};

/** `batch-doctor slow-log <file>` */
export async function slowLogCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values, positionals } = parseOptions(SLOW_LOG, args);
  if (values['help']) { io.stdout.write(commandHelp(SLOW_LOG)); return { exitCode: 0 }; }
  if (positionals.length !== 1) throw new UsageError('Give exactly one log file, for example: batch-doctor slow-log /var/log/mysql/mysql-slow.log');
  const file = path.resolve(io.cwd, positionals[0]!);
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch (err) { throw new InputError(`Cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as NodeJS.ErrnoException).code}. Pass the path of a slow-query log.`); }
  if (!st.isFile()) throw new InputError(`${positionals[0]} is not a file. Pass the path of a slow-query log.`);
  const shown = positionals[0]!;
  const wanted = (values['type'] as string | undefined) ?? 'auto';
  // Compressed logs are read as they are shipped: decompressed once into a private temporary file.
  let input = file;
  let tmpDir: string | null = null;
  // A decompressed copy holds the log's statements, literals and all: it goes at the first SIGINT or SIGTERM, and
  // the process then ends by that signal as it would have without this handler (within a second, whatever it reads).
  const onSignal = (sig: NodeJS.Signals) => {
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
    process.kill(process.pid, sig);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let sniffed = sniffLog(readHead(file));
    if (sniffed.kind === 'compressed') {
      if (!canDecompress(sniffed.codec)) {
        throw new InputError(`${shown} is ${sniffed.codec}-compressed, which this Node.js (${process.version}) cannot read${sniffed.codec === 'zstd' ? ' (Node.js 22.15 or newer can)' : ''}. Decompress it first, for example: ${sniffed.codec === 'zstd' ? 'zstd -d' : sniffed.codec === 'bzip2' ? 'bunzip2 -k' : 'unxz -k'} ${shown}`);
      }
      tmpDir = makeLogTempDir();
      try { ({ path: input } = await decompressToTemp(file, sniffed.codec as 'gzip' | 'zstd', tmpDir)); }
      catch (err) { throw new InputError(`${shown} looks ${sniffed.codec}-compressed but could not be decompressed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): it may be truncated. Check the file, or decompress it yourself and pass the result.`); }
      sniffed = sniffLog(readHead(input));
    }
    if (sniffed.kind === 'empty') throw new InputError(`${shown} is empty: there is nothing to digest. Check that the server writes its log there (MySQL/MariaDB: slow_query_log_file; PostgreSQL: log_directory and log_filename).`);
    if (sniffed.kind === 'binary' || sniffed.kind === 'compressed') throw new InputError(`${shown} is a binary file, not a text log${sniffed.kind === 'compressed' ? ` (it holds ${sniffed.codec}-compressed data)` : ''}. Pass a MySQL/MariaDB slow log or a PostgreSQL log (stderr, csvlog, jsonlog or syslog).`);
    const type = wanted === 'auto' ? (sniffed.kind === 'mysql' ? TYPES['mysql']! : sniffed.kind === 'postgresql' ? { kind: 'postgresql' as const, format: sniffed.format } : null) : TYPES[wanted]!;
    if (!type) {
      throw new InputError(`${shown} does not look like a MySQL/MariaDB slow log (no "# Query_time:", "# User@Host:" or "# Time:" line in its first 64 KiB) nor a PostgreSQL log (no "LOG:" entry after a log_line_prefix, no csvlog, jsonlog, CloudNativePG or syslog line). If it is one, pass --type mysql|postgresql|postgresql-csv|postgresql-json|postgresql-cnpg|postgresql-syslog.`);
    }
    const acc = new DigestAccumulator();
    let bad = 0;
    let source: DigestSource;
    try {
      ({ source, badRecords: bad } = await readLog(input, acc, type));
    } catch (err) {
      throw new InputError(`Reading ${shown} failed (${(err as NodeJS.ErrnoException).code ?? 'read error'}). Check the file is readable and complete.`);
    }
    const warnings: string[] = [];
    if (acc.statements === 0) {
      warnings.push(type.kind === 'mysql'
        ? 'This is a MySQL/MariaDB slow log, but it holds no timed statement. Turn the slow log on for the statements you want (SET GLOBAL slow_query_log = 1; SET GLOBAL long_query_time = 0 logs every statement) and run the job again.'
        : `This is a PostgreSQL ${type.format} log, but it holds no statement durations${sniffed.kind === 'postgresql' && !sniffed.durations ? '' : ' that could be read'}. Set log_min_duration_statement = 0 (every statement, or a threshold in ms) and run the job again; log_duration with log_statement = 'all' works too.`);
    }
    const report = digestReport(acc, source, path.basename(file), bad, warnings);
    return writeDigest(report, values, io);
  } finally {
    process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

function digestReport(acc: DigestAccumulator, source: DigestSource, origin: string, bad: number, warnings: string[]): QueryDigestReport {
  const classes = acc.finish();
  return {
    schemaVersion: DIGEST_SCHEMA_VERSION, tool: { name: 'batch-doctor', version: toolVersion() }, source, origin,
    statements: acc.statements, totalMs: Math.round(classes.reduce((a, c) => a + c.totalMs, 0) * 1000) / 1000, badRecords: bad, classes, warnings,
  };
}

/** Prints a digest in the chosen format and writes the JSON when asked. */
export function writeDigest(report: QueryDigestReport, values: Record<string, unknown>, io: CliIO): CliResult {
  if (typeof values['out'] === 'string') writeFileAtomic(path.resolve(io.cwd, values['out']), DIGEST_RENDERERS['json']!(report));
  io.stdout.write(DIGEST_RENDERERS[(values['format'] as string | undefined) ?? 'table']!(report, 120));
  return { exitCode: 0 };
}
