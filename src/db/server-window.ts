import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServerDigest } from '../analysis/server-view';
import type { DigestClass } from '../model/db';
import { DigestAccumulator } from './digest';
import { describeTarget, openSqlClient, resolveDbTarget, safeDbError, type SqlClient } from './connection';
import { readHead, readLog, sniffLog } from './sources/log-detect';
import { readPerformanceSchemaDigests, readPgStatStatements } from './sources/server-digests';

/**
 * What the database server records about a profiled run, read for the run's window only: the bytes a slow log grew
 * by while the job ran (`profile --slow-log FILE`), and the difference of the server's statement digests
 * (pg_stat_statements, performance_schema) between the job's start and end (`profile --db URL`). Never throws:
 * what could not be read comes back as a warning that says what the report lacks.
 */
export interface ServerWindow {
  /** Reads the window's digests once the job has ended, and closes what it opened. */
  finish(): Promise<{ digests: ServerDigest[]; warnings: string[] }>;
}

/** Starts watching a slow log: its current end is the window's start. */
export function watchSlowLog(file: string): ServerWindow {
  const name = path.basename(file);
  let start = -1;
  let problem: string | null = null;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) problem = `${name} is not a regular file`;
    else start = st.size;
  } catch (err) { problem = `${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`; }
  return {
    async finish() {
      if (problem) return { digests: [], warnings: [`--slow-log: ${problem}; the server's view of the run is missing.`] };
      const warnings: string[] = [];
      let end: number;
      try { end = fs.statSync(file).size; } catch (err) { return { digests: [], warnings: [`--slow-log: ${name} could not be read after the run (${(err as NodeJS.ErrnoException).code ?? 'error'}).`] }; }
      // A log rotated or truncated during the run: what is there now is all of the window that is left.
      if (end < start) { warnings.push(`--slow-log: ${name} shrank during the run (rotated or truncated): read from its start, which may hold statements from outside the run.`); start = 0; }
      const kind = sniffLog(readHead(file));
      if (kind.kind !== 'mysql' && kind.kind !== 'postgresql') {
        return { digests: [], warnings: [...warnings, `--slow-log: ${name} is not a MySQL/MariaDB slow log or a PostgreSQL log (found: ${kind.kind}); the server's view of the run is missing.`] };
      }
      const acc = new DigestAccumulator();
      let bad = 0;
      try {
        bad = (await readLog(file, acc, kind, { start, end })).badRecords;
      } catch (err) {
        return { digests: [], warnings: [...warnings, `--slow-log: reading ${name} failed (${(err as NodeJS.ErrnoException).code ?? 'error'}).`] };
      }
      const classes = acc.finish();
      if (acc.statements === 0) {
        warnings.push(`--slow-log: ${name} recorded no statement during the run (${kind.kind === 'mysql' ? 'is slow_query_log on, and long_query_time low enough? 0 logs every statement' : 'is log_min_duration_statement set? 0 logs every statement'}).`);
      }
      const source = { source: kind.kind === 'mysql' ? 'mysql-slow-log' : 'postgresql-log', origin: name, statements: acc.statements, totalMs: Math.round(classes.reduce((a, c) => a + c.totalMs, 0) * 1000) / 1000, badRecords: bad };
      return { digests: [{ source, classes }], warnings };
    },
  };
}

/** The server's digest table for a client. */
const readDigests = (c: SqlClient): Promise<DigestClass[]> => (c.system === 'postgresql' ? readPgStatStatements(c) : readPerformanceSchemaDigests(c));

/** `after - before`, class by class: what the window added (classes with no new call are left out). */
export function digestDelta(before: readonly DigestClass[], after: readonly DigestClass[]): DigestClass[] {
  const prev = new Map(before.map((c) => [c.id, c]));
  const sub = (a: number | null, b: number | null | undefined) => (a === null ? null : a - (b ?? 0));
  const out: DigestClass[] = [];
  for (const c of after) {
    const p = prev.get(c.id);
    const calls = c.calls - (p?.calls ?? 0);
    if (calls <= 0) continue;
    const totalMs = Math.max(0, c.totalMs - (p?.totalMs ?? 0));
    out.push({ ...c, calls, totalMs: Math.round(totalMs * 1000) / 1000, meanMs: Math.round((totalMs / calls) * 1000) / 1000, p95Ms: null, maxMs: null, varianceToMean: null,
      rowsSent: sub(c.rowsSent, p?.rowsSent), rowsExamined: sub(c.rowsExamined, p?.rowsExamined) });
  }
  const total = out.reduce((a, c) => a + c.totalMs, 0);
  for (const c of out) c.share = total > 0 ? Math.round((c.totalMs / total) * 1000) / 1000 : 0;
  return out.sort((a, b) => b.totalMs - a.totalMs);
}

/**
 * Starts watching a server's statement digests: a first snapshot now, a second in {@link ServerWindow.finish}.
 * Both are read over one connection of our own (PGPASSWORD / MYSQL_PWD / BATCH_DOCTOR_DB_PASSWORD for the password).
 */
export async function watchServerDigests(url: string, env: NodeJS.ProcessEnv): Promise<ServerWindow> {
  const { target, password } = resolveDbTarget(url, env);
  const origin = describeTarget(target);
  const source = target.system === 'postgresql' ? 'pg_stat_statements' : 'performance_schema';
  let client: SqlClient | null = null;
  let before: DigestClass[] | null = null;
  let problem: string | null = null;
  try {
    client = await openSqlClient(target, password);
    before = await readDigests(client);
  } catch (err) {
    problem = `${source} on ${origin} could not be read (${safeDbError(err)})${target.system === 'postgresql' ? ': is the extension installed (CREATE EXTENSION pg_stat_statements, with shared_preload_libraries)?' : ': is performance_schema on?'}`;
  }
  return {
    async finish() {
      try {
        if (problem || !client || !before) return { digests: [], warnings: [`--db: ${problem ?? 'no snapshot'}; the server's view of the run is missing.`] };
        let after: DigestClass[];
        try { after = await readDigests(client); } catch (err) { return { digests: [], warnings: [`--db: ${source} on ${origin} could not be read after the run (${safeDbError(err)}).`] }; }
        const classes = digestDelta(before, after);
        const warnings = classes.length ? [] : [`--db: ${source} on ${origin} recorded no statement during the run in this database.`];
        return { digests: [{ source: { source, origin, statements: classes.reduce((a, c) => a + c.calls, 0), totalMs: Math.round(classes.reduce((a, c) => a + c.totalMs, 0) * 1000) / 1000, badRecords: 0 }, classes }], warnings };
      } finally { await client?.close().catch(() => undefined); }
    },
  };
}
