import { openSqlClient, resolveDbTarget, describeTarget, safeDbError, DbConnectError } from '../../db/connection';
import { readPerformanceSchemaDigests, readPgStatStatements } from '../../db/sources/server-digests';
import { DIGEST_SCHEMA_VERSION, type QueryDigestReport } from '../../model/db';
import { toolVersion } from '../../version';
import { commandHelp, parseOptions, QUERIES } from '../options';
import type { CliIO, CliResult } from '../io';
import { writeDigest } from './slow-log';

/** `batch-doctor queries [--db URL]` */
export async function queriesCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values } = parseOptions(QUERIES, args);
  if (values['help']) { io.stdout.write(commandHelp(QUERIES)); return { exitCode: 0 }; }
  const { target, password } = resolveDbTarget(values['db'] as string | undefined, io.env);
  const client = await openSqlClient(target, password);
  let report: QueryDigestReport;
  try {
    const opts = values['all-databases'] ? { database: '' } : {};
    let classes;
    try {
      classes = target.system === 'postgresql' ? await readPgStatStatements(client, opts) : await readPerformanceSchemaDigests(client, opts);
    } catch (err) {
      const hint = target.system === 'postgresql'
        ? 'pg_stat_statements must be in shared_preload_libraries and created in this database (CREATE EXTENSION pg_stat_statements)'
        : 'performance_schema must be ON (my.cnf: performance_schema=ON) and readable by this user';
      throw new DbConnectError(describeTarget(target), `${safeDbError(err)}; ${hint}`);
    }
    report = {
      schemaVersion: DIGEST_SCHEMA_VERSION, tool: { name: 'batch-doctor', version: toolVersion() },
      source: target.system === 'postgresql' ? 'pg_stat_statements' : 'performance_schema', origin: describeTarget(target),
      statements: classes.reduce((a, c) => a + c.calls, 0), totalMs: Math.round(classes.reduce((a, c) => a + c.totalMs, 0) * 1000) / 1000,
      badRecords: 0, classes, warnings: [],
    };
  } finally { await client.close(); }
  return writeDigest(report, values, io);
}
