import { fingerprintSqlUncached } from '../../../probes/sql-fingerprint';
import type { SqlClient } from '../connection';
import { queryClassId } from '../../analysis/query-digest';
import { compareClasses } from '../digest';
import { round3 as r3 } from '../../analysis/intervals';
import type { DigestClass } from '../../model/db';

/**
 * Statement digests kept by the server: PostgreSQL `pg_stat_statements` and
 * MySQL/MariaDB `performance_schema.events_statements_summary_by_digest`.
 * Both store normalized text already; we fingerprint it again so the classes
 * line up with a profiled run's (one IN-list length = one entry there before
 * PostgreSQL 18; one class here). Neither keeps a distribution: p95 is null.
 */

interface Entry { spreadKnown: boolean; fingerprint: string; parsed: boolean; database: string | null; calls: number; totalMs: number; sumSq: number; maxMs: number | null; rowsSent: number | null; rowsExamined: number | null }

function merge(system: 'postgresql' | 'mysql', entries: Entry[]): DigestClass[] {
  const by = new Map<string, Entry>();
  for (const e of entries) {
    const k = e.fingerprint;
    const a = by.get(k);
    if (!a) { by.set(k, { ...e }); continue; }
    a.calls += e.calls; a.totalMs += e.totalMs; a.sumSq += e.sumSq;
    a.maxMs = a.maxMs === null || e.maxMs === null ? a.maxMs ?? e.maxMs : Math.max(a.maxMs, e.maxMs);
    if (e.rowsSent !== null) a.rowsSent = (a.rowsSent ?? 0) + e.rowsSent;
    if (e.rowsExamined !== null) a.rowsExamined = (a.rowsExamined ?? 0) + e.rowsExamined;
  }
  const all = [...by.values()];
  const total = all.reduce((x, e) => x + e.totalMs, 0);
  return all.filter((e) => e.calls > 0).map((e): DigestClass => {
    const mean = e.totalMs / e.calls;
    const variance = Math.max(0, e.sumSq / e.calls - mean * mean);
    return {
      id: queryClassId(system, e.fingerprint), system, fingerprint: e.fingerprint, parsed: e.parsed, calls: e.calls,
      totalMs: r3(e.totalMs), meanMs: r3(mean), p95Ms: null, maxMs: e.maxMs === null ? null : r3(e.maxMs),
      varianceToMean: !e.spreadKnown ? null : mean > 0 ? r3(variance / mean) : 0, rowsSent: e.rowsSent, rowsExamined: e.rowsExamined,
      share: total > 0 ? r3(e.totalMs / total) : 0, database: e.database,
    };
  }).sort(compareClasses);
}

/** Options of the server digest readers. */
export interface ServerDigestOptions {
  /** Only statements run in this database (default: the connection's). Empty string: all. */
  database?: string;
}

/** Reads pg_stat_statements (PostgreSQL 13+ column names). */
export async function readPgStatStatements(c: SqlClient, o: ServerDigestOptions = {}): Promise<DigestClass[]> {
  const rows = await c.query(
    `SELECT s.query, d.datname, s.calls::float8 AS calls, s.total_exec_time AS total, s.stddev_exec_time AS stddev, s.mean_exec_time AS mean,
            s.max_exec_time AS max, s.rows::float8 AS rows
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE (CASE WHEN $1::text IS NULL THEN d.datname = current_database() ELSE $1 = '' OR d.datname = $1 END)
        AND s.query NOT LIKE '%pg_stat_statements%'`,
    // One statement, so that reading the digest adds no class of its own to it (it excludes itself).
    [o.database ?? null],
  );
  return merge('postgresql', rows.map((r) => {
    const calls = Number(r['calls']);
    const mean = Number(r['mean']);
    const sd = Number(r['stddev']);
    const fp = fingerprintSqlUncached(String(r['query']), 'postgresql');
    // sum of squares from mean and stddev (population), so merged entries keep an exact V/M.
    return { spreadKnown: true, fingerprint: fp.text, parsed: fp.parsed, database: String(r['datname']), calls, totalMs: Number(r['total']), sumSq: calls * (sd * sd + mean * mean), maxMs: Number(r['max']), rowsSent: Number(r['rows']), rowsExamined: null };
  }));
}

/** Reads performance_schema statement digests (times are in picoseconds there). */
export async function readPerformanceSchemaDigests(c: SqlClient, o: ServerDigestOptions = {}): Promise<DigestClass[]> {
  const rows = await c.query(
    `SELECT SCHEMA_NAME AS db, DIGEST_TEXT AS text, COUNT_STAR AS calls, SUM_TIMER_WAIT AS total, MAX_TIMER_WAIT AS max,
            SUM_ROWS_SENT AS sent, SUM_ROWS_EXAMINED AS examined
       FROM performance_schema.events_statements_summary_by_digest
      WHERE DIGEST_TEXT IS NOT NULL AND DIGEST_TEXT NOT LIKE '%performance_schema%'
        AND (CASE WHEN ? IS NULL THEN SCHEMA_NAME <=> DATABASE() ELSE ? = '' OR SCHEMA_NAME = ? END)`,
    [o.database ?? null, o.database ?? null, o.database ?? null],
  );
  return merge('mysql', rows.map((r) => {
    const fp = fingerprintSqlUncached(String(r['text']), 'mysql');
    const totalMs = Number(r['total']) / 1e9;
    const calls = Number(r['calls']);
    // No per-statement spread is kept there: V/M is unknown (null).
    return { spreadKnown: false, fingerprint: fp.text, parsed: fp.parsed, database: r['db'] === null ? null : String(r['db']), calls, totalMs, sumSq: calls > 0 ? (totalMs * totalMs) / calls : 0, maxMs: Number(r['max']) / 1e9, rowsSent: Number(r['sent']), rowsExamined: Number(r['examined']) };
  }));
}
