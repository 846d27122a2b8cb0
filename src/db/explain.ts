import { fingerprintSqlUncached } from '../../probes/sql-fingerprint';
import { queryClassId } from '../analysis/query-digest';
import type { ExplainResult, PlanNode } from '../model/db';
import { safeDbError, type SqlClient } from './connection';
import { inspectPgStatement, loadPgParser } from './pg-parser';
import { parsePostgresPlan, walkPlan } from './plan-postgres';
import { parseMysqlPlan } from './plan-mysql';
import { diagnosePlan } from './plan-diagnostics';
import { adviseIndexesPg, adviseIndexesUnconfirmed, keptShareOf } from './index-advisor';
import { inspectMysqlStatement, mysqlStoredFunctionRefusal, pgVolatileFunctions } from './explain-guard';

/**
 * Safe EXPLAIN. Nothing here can change data:
 *
 * - PostgreSQL: the statement is parsed by the real parser first; more than one
 *   statement, or an EXPLAIN inside, is refused. Plain `EXPLAIN (FORMAT JSON)`
 *   (which plans and never executes) runs inside `BEGIN READ ONLY` with
 *   `SET LOCAL statement_timeout` and `lock_timeout`, always rolled back.
 *   `ANALYZE, BUFFERS` only when asked, only for a single plain SELECT (no INTO, no
 *   locking clause at any depth), and only when every function it calls, directly or
 *   through views and policies, is immutable or stable (explain-guard.ts) unless
 *   volatile functions are allowed explicitly.
 * - MySQL/MariaDB: one statement only (checked with the tokenizer; the driver
 *   also refuses multi-statements); executable comments, INTO, OUTFILE/DUMPFILE,
 *   side-effect built-ins and stored functions that may write are refused
 *   (explain-guard.ts). `EXPLAIN FORMAT=JSON` of a SELECT runs in a read-only
 *   transaction, of DML in a transaction, both rolled back, with
 *   `max_statement_time` on MariaDB; `ANALYZE` (MariaDB) only for a SELECT without
 *   a locking clause, when asked.
 *
 * Parameter values, when given, are bound by the driver and kept in memory only.
 */

/** Options of {@link explainStatement}. */
export interface ExplainOptions {
  /** The statement as the application ran it (with literals or $n placeholders). Kept in memory only. */
  sql: string;
  /** Values for $1..$n (PostgreSQL) or ? (MySQL). Kept in memory only. Default none. */
  params?: readonly unknown[];
  /** Execute it to measure (EXPLAIN ANALYZE). Default false. */
  analyze?: boolean;
  /** statement_timeout / max_statement_time for the EXPLAIN, ms. Default {@link EXPLAIN_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Try hypothetical indexes (PostgreSQL + HypoPG). Default true. */
  indexAdvice?: boolean;
  /** Keep literals in plan filters. Default false. */
  keepLiterals?: boolean;
  /** The fingerprint to file the result under. Default: the statement's own. */
  fingerprint?: string;
  /**
   * PostgreSQL: EXPLAIN ANALYZE even a statement that calls volatile functions (their side effects run and are
   * not undone by the rollback: `nextval`, `pg_terminate_backend`, anything user-defined and VOLATILE). Default false.
   */
  allowVolatile?: boolean;
}

/** Statement timeout of our own EXPLAIN sessions, ms: PgHero's 10 s. */
export const EXPLAIN_TIMEOUT_MS = 10_000;
/** Lock timeout of our own sessions, ms: never queue behind the job's locks for long. */
export const EXPLAIN_LOCK_TIMEOUT_MS = 1_000;

const refused = (base: Omit<ExplainResult, 'plan' | 'diagnostics' | 'indexAdvice' | 'note' | 'mode'>, note: string): ExplainResult =>
  ({ ...base, mode: 'plan', plan: null, diagnostics: [], indexAdvice: [], note });

/**
 * Runs EXPLAIN, with ANALYZE when wanted; an ANALYZE that fails (a timeout, a SELECT that would write in a
 * read-only transaction) falls back to the plan alone, saying why.
 */
async function runWithFallback(run: (analyze: boolean) => Promise<unknown>, wantAnalyze: boolean): Promise<{ raw: unknown; mode: ExplainResult['mode']; note: string | null } | { failed: string }> {
  try { return { raw: await run(wantAnalyze), mode: wantAnalyze ? 'analyze' : 'plan', note: null }; }
  catch (err) {
    if (!wantAnalyze) return { failed: `EXPLAIN failed: ${safeDbError(err)}.` };
    const note = `ANALYZE failed (${safeDbError(err)}); plan only, nothing executed.`;
    try { return { raw: await run(false), mode: 'plan', note }; } catch (err2) { return { failed: `EXPLAIN failed: ${safeDbError(err2)}.` }; }
  }
}

/** Explains one statement safely. Never throws for a statement or server problem: the result's note says what happened. */
export async function explainStatement(client: SqlClient, o: ExplainOptions): Promise<ExplainResult> {
  const system = client.system;
  const fp = o.fingerprint ?? fingerprintSqlUncached(o.sql, system).text;
  const base = { system, queryClassId: queryClassId(system, fp), fingerprint: fp };
  return system === 'postgresql' ? explainPg(client, o, base) : explainMysql(client, o, base);
}

async function explainPg(client: SqlClient, o: ExplainOptions, base: Omit<ExplainResult, 'plan' | 'diagnostics' | 'indexAdvice' | 'note' | 'mode'>): Promise<ExplainResult> {
  await loadPgParser();
  const info = inspectPgStatement(o.sql);
  if (!info.parsed) return refused(base, `Not explained: ${info.reason}.`);
  if (info.statements !== 1) return refused(base, `Not explained: ${info.reason}; batch-doctor explains one statement at a time.`);
  if (!['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].includes(info.kind ?? '')) return refused(base, `Not explained: ${info.reason ?? `it is ${info.kind}`}; only SELECT, INSERT, UPDATE, DELETE and MERGE are.`);
  const hasParams = /\$\d/.test(o.sql);
  if (hasParams && !(o.params && o.params.length)) return refused(base, 'Not explained: the statement has $n parameters and no sample of their values was captured (PostgreSQL 15 cannot plan it without them).');
  let wantAnalyze = !!o.analyze && info.plainSelect;
  let note: string | null = o.analyze && !info.plainSelect ? `ANALYZE refused (${info.reason}); plan only, nothing executed.` : null;
  if (wantAnalyze && !o.allowVolatile) {
    try {
      const volatile = await pgVolatileFunctions(client, info);
      if (volatile.length) {
        wantAnalyze = false;
        note = `ANALYZE refused: it calls the volatile function${volatile.length > 1 ? 's' : ''} ${volatile.slice(0, 5).join(', ')}${volatile.length > 5 ? ', ...' : ''}, whose side effects a rollback cannot undo (explain --analyze-volatile executes it anyway); plan only, nothing executed.`;
      }
    } catch (err) {
      wantAnalyze = false;
      note = `ANALYZE refused: the catalog could not say whether its functions are volatile (${safeDbError(err)}); plan only, nothing executed.`;
    }
  }
  const timeout = Math.max(1, Math.round(o.timeoutMs ?? EXPLAIN_TIMEOUT_MS));
  const run = async (analyze: boolean): Promise<unknown> => {
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(`SET LOCAL statement_timeout = ${timeout}`);
      await client.query(`SET LOCAL lock_timeout = ${EXPLAIN_LOCK_TIMEOUT_MS}`);
      const rows = await client.query(`EXPLAIN (${analyze ? 'ANALYZE, BUFFERS, ' : ''}FORMAT JSON) ${o.sql}`, o.params);
      return rows[0]?.['QUERY PLAN'];
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  };
  const got = await runWithFallback(run, wantAnalyze);
  if ('failed' in got) return refused(base, got.failed);
  const { raw, mode } = got;
  if (got.note) note = got.note;
  let root: PlanNode;
  try { root = parsePostgresPlan(raw, !!o.keepLiterals).root; } catch (err) { return refused(base, `The plan could not be read: ${(err as Error).message}`); }
  const tableRows = await pgTableRows(client, root);
  const diagnostics = diagnosePlan(root, { system: 'postgresql', tableRows });
  let indexAdvice: ExplainResult['indexAdvice'] = [];
  if (o.indexAdvice !== false && diagnostics.some((d) => d.kind === 'seq-scan-filter' || d.kind === 'slow-node' || d.kind === 'nested-loop-many')) {
    const adv = await adviseIndexesPg(client, { sql: o.sql, params: o.params, info, timeoutMs: timeout });
    indexAdvice = adv.advice.map((a) => ({ ...a, keptShare: keptShareOf(root, a.table, tableRows) }));
    if (adv.note) note = note ? `${note} ${adv.note}` : adv.note;
  }
  return { ...base, mode, plan: root, diagnostics, indexAdvice, note };
}

/** reltuples of the tables a plan scans, for diagnostics without ANALYZE. */
async function pgTableRows(client: SqlClient, root: PlanNode): Promise<Record<string, number>> {
  const names = [...new Set([...walkPlan(root)].map((x) => x.node.relation).filter((r): r is string => !!r))];
  if (!names.length) return {};
  try {
    const rows = await client.query('SELECT relname, GREATEST(reltuples, 0)::float8 AS n FROM pg_class WHERE relname = ANY($1) AND relkind IN (\'r\', \'p\', \'m\')', [names]);
    return Object.fromEntries(rows.map((r) => [String(r['relname']), Number(r['n'])]));
  } catch { return {}; }
}

async function explainMysql(client: SqlClient, o: ExplainOptions, base: Omit<ExplainResult, 'plan' | 'diagnostics' | 'indexAdvice' | 'note' | 'mode'>): Promise<ExplainResult> {
  const shape = inspectMysqlStatement(o.sql);
  if ('reason' in shape) return refused(base, `Not explained: ${shape.reason}.`);
  if (!['select', 'insert', 'update', 'delete', 'replace', 'with', 'table', 'values'].includes(shape.verb ?? '')) return refused(base, `Not explained: it is ${shape.verb?.toUpperCase() ?? 'not a statement'}; only SELECT, INSERT, UPDATE, DELETE and REPLACE are.`);
  const fnRefusal = await mysqlStoredFunctionRefusal(client, shape);
  if (fnRefusal) return refused(base, `Not explained: ${fnRefusal.reason}.`);
  const isSelect = shape.isSelect;
  const version = await client.version().catch(() => '');
  const mariadb = /mariadb/i.test(version);
  const wantAnalyze = !!o.analyze && isSelect && mariadb && !shape.locking;
  let note: string | null = o.analyze && !isSelect ? 'ANALYZE refused (not a SELECT); plan only, nothing executed.'
    : o.analyze && shape.locking ? 'ANALYZE refused (FOR UPDATE/SHARE takes row locks); plan only, nothing executed.'
    : o.analyze && !mariadb ? 'ANALYZE is only run on MariaDB (ANALYZE FORMAT=JSON); MySQL 8 EXPLAIN ANALYZE has no JSON form: plan only.' : null;
  const seconds = Math.max(0.001, (o.timeoutMs ?? EXPLAIN_TIMEOUT_MS) / 1000);
  const run = async (analyze: boolean): Promise<unknown> => {
    // Planning can run stored functions: a SELECT is planned in a read-only transaction (a write fails), DML and
    // locking reads (which MariaDB will not plan in one) in a transaction; all rolled back. ANALYZE: SELECTs only.
    await client.query(shape.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
    try {
      const cap = mariadb ? `SET STATEMENT max_statement_time=${seconds} FOR ` : '';
      if (!analyze) return (await client.query(`${cap}EXPLAIN FORMAT=JSON ${o.sql}`, o.params))[0]?.['EXPLAIN'];
      return (await client.query(`${cap}ANALYZE FORMAT=JSON ${o.sql}`, o.params))[0]?.['ANALYZE'];
    } finally { await client.query('ROLLBACK').catch(() => undefined); }
  };
  const got = await runWithFallback(run, wantAnalyze);
  if ('failed' in got) return refused(base, got.failed);
  const { raw, mode } = got;
  if (got.note) note = got.note;
  let root: PlanNode;
  try { root = parseMysqlPlan(raw, !!o.keepLiterals).root; } catch (err) { return refused(base, `The plan could not be read: ${(err as Error).message}`); }
  const diagnostics = diagnosePlan(root, { system: 'mysql' });
  const indexAdvice = o.indexAdvice === false ? [] : adviseIndexesUnconfirmed(root, diagnostics, 'mysql').map((a) => ({ ...a, keptShare: keptShareOf(root, a.table) }));
  return { ...base, mode, plan: root, diagnostics, indexAdvice, note };
}
