/**
 * What EXPLAIN must refuse, engine by engine, before anything reaches the server. Planning is not harmless:
 *
 * - MySQL/MariaDB evaluate a DETERMINISTIC stored function while planning (a constant), so a plain EXPLAIN of
 *   `... WHERE id = f()` runs `f`, writes and all; `SELECT ... INTO OUTFILE` writes a file on the database host
 *   that no rollback removes, even in a read-only transaction. Refused: executable comments, INTO anything in a
 *   SELECT, OUTFILE/DUMPFILE, built-ins with side effects, and calls to stored functions the server does not
 *   declare NO SQL or READS SQL DATA (to loadable UDFs always). What is left runs in a read-only transaction
 *   (SELECT) or a transaction that is always rolled back (DML), so a function that lies about itself still
 *   cannot keep a write.
 * - PostgreSQL: plain EXPLAIN plans only (a read-only transaction stops any write), but EXPLAIN ANALYZE executes,
 *   and a volatile function runs its side effects there (`pg_terminate_backend` ends a session, `dblink_exec`
 *   writes elsewhere; a read-only transaction stops neither). ANALYZE only when every function the statement
 *   calls, directly or through the views and row-security policies it reads, is immutable or stable in the
 *   catalog, unless the user allows volatile functions explicitly.
 */
import { sqlTokens } from '../../probes/sql-fingerprint';
import type { SqlClient } from './connection';
import { inspectPgStatement, type PgStatementInfo } from './pg-parser';

/** A refusal, in words that say why (never a part of the statement). */
export interface Refusal { reason: string }

/**
 * MySQL/MariaDB built-in functions with an effect no rollback undoes or that holds the server: locks, sleeps,
 * sequences, server files, replication waits, and the common command-running UDF names.
 */
export const MYSQL_SIDE_EFFECT_FUNCTIONS: ReadonlySet<string> = new Set([
  'get_lock', 'release_lock', 'release_all_locks', 'sleep', 'benchmark', 'nextval', 'setval', 'lastval', 'load_file',
  'master_pos_wait', 'master_gtid_wait', 'source_pos_wait', 'wait_for_executed_gtid_set', 'wait_until_sql_thread_after_gtids',
  'sys_exec', 'sys_eval', 'sys_set', 'sys_get',
]);

/** What the tokens of a MySQL/MariaDB statement say about it. */
export interface MysqlStatementShape {
  /** First keyword (`select`, `insert`, `with`...). */
  verb: string | null;
  /** A SELECT (or WITH ... SELECT, TABLE): runs in a read-only transaction. */
  isSelect: boolean;
  /** FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE: takes row locks when executed. */
  locking: boolean;
  /** Planned in a read-only transaction: a SELECT without a locking clause (MariaDB plans neither DML nor locking reads in one). */
  readOnly: boolean;
  /** Every name followed by `(`: built-ins, stored functions, UDFs (and column lists of INSERT: harmless extras). */
  calls: { schema: string | null; name: string }[];
}

const SELECT_VERBS = new Set(['select', 'with', 'table', 'values']);
const unquote = (v: string) => (v.startsWith('`') ? v.slice(1, -1).replace(/``/g, '`') : v);

/**
 * Reads a MySQL/MariaDB statement with the tokenizer (quotes, comments and executable comments known). A refusal
 * for what must never be explained, on plain EXPLAIN and ANALYZE alike; else its shape.
 */
export function inspectMysqlStatement(sql: string): MysqlStatementShape | Refusal {
  const toks = sqlTokens(sql, 'mysql');
  if (!toks) return { reason: 'the statement could not be tokenized' };
  while (toks.length && toks[toks.length - 1]!.k === 'p' && toks[toks.length - 1]!.v === ';') toks.pop();
  if (toks.some((t) => t.k === 'p' && t.v.includes(';'))) return { reason: 'the text holds more than one statement; batch-doctor explains one statement at a time' };
  if (toks.some((t) => t.k === 'xc')) return { reason: 'it holds an executable comment (/*! ... */), whose text the server would run' };
  const words = toks.map((t) => (t.k === 'w' ? t.v : ''));
  const verb = toks.find((t) => t.k === 'w')?.v ?? null;
  const isSelect = SELECT_VERBS.has(verb ?? '');
  if (words.includes('outfile') || words.includes('dumpfile')) return { reason: 'INTO OUTFILE/DUMPFILE writes a file on the database host, which no rollback removes' };
  for (let i = 0; i < toks.length; i++) {
    if (words[i] !== 'into') continue;
    const next = toks[i + 1];
    if (next?.k === 'p' && next.v.startsWith('@')) return { reason: 'SELECT ... INTO @variable sets session variables' };
    if (isSelect) return { reason: 'SELECT ... INTO writes its result somewhere (variables or a file)' };
  }
  for (let i = 0; i + 2 < toks.length; i++) {
    if ((words[i] === 'next' || words[i] === 'previous') && words[i + 1] === 'value' && words[i + 2] === 'for') return { reason: 'NEXT VALUE FOR advances a sequence, which no rollback undoes' };
  }
  const calls: MysqlStatementShape['calls'] = [];
  for (let i = 0; i + 1 < toks.length; i++) {
    const t = toks[i]!;
    if ((t.k !== 'w' && t.k !== 'ident') || toks[i + 1]!.k !== 'p' || !toks[i + 1]!.v.startsWith('(')) continue;
    const dotted = i >= 2 && toks[i - 1]!.k === 'p' && toks[i - 1]!.v === '.' && (toks[i - 2]!.k === 'w' || toks[i - 2]!.k === 'ident');
    calls.push({ schema: dotted ? unquote(toks[i - 2]!.v).toLowerCase() : null, name: unquote(t.v).toLowerCase() });
  }
  const bad = calls.find((c) => c.schema === null && MYSQL_SIDE_EFFECT_FUNCTIONS.has(c.name));
  if (bad) return { reason: `it calls ${bad.name.toUpperCase()}(), which has effects a rollback cannot undo (locks, sequences, server files, sleeps)` };
  let locking = false;
  for (let i = 0; i + 1 < toks.length; i++) {
    if (words[i] === 'for' && (words[i + 1] === 'update' || words[i + 1] === 'share')) locking = true;
    if (words[i] === 'lock' && words[i + 1] === 'in') locking = true;
  }
  return { verb, isSelect, locking, readOnly: isSelect && !locking, calls };
}

/** Stored-function declarations that say the function cannot write. */
const MYSQL_NO_WRITE_ACCESS = new Set(['NO SQL', 'READS SQL DATA']);

/**
 * Refuses a statement that calls a stored function the server does not declare NO SQL or READS SQL DATA (the
 * default, CONTAINS SQL, may write), or a loadable function (UDF: native code, anything goes). For DML and locking
 * reads, which cannot be planned in a read-only transaction, any stored function call is refused. A catalog that cannot be read
 * refuses too (fail closed).
 */
export async function mysqlStoredFunctionRefusal(client: SqlClient, shape: MysqlStatementShape): Promise<Refusal | null> {
  const names = [...new Set(shape.calls.map((c) => c.name))];
  if (!names.length) return null;
  let routines: Record<string, unknown>[];
  try {
    routines = await client.query(
      "SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS n, SQL_DATA_ACCESS AS a FROM information_schema.ROUTINES WHERE ROUTINE_TYPE = 'FUNCTION' AND LOWER(ROUTINE_NAME) IN (?)", [names]);
  } catch {
    return { reason: 'the stored functions it may call could not be looked up in information_schema.ROUTINES' };
  }
  for (const r of routines) {
    const name = String(r['n']).toLowerCase();
    const schema = String(r['s']).toLowerCase();
    if (!shape.calls.some((c) => c.name === name && (c.schema === null || c.schema === schema))) continue;
    const access = String(r['a'] ?? '').toUpperCase();
    if (!shape.readOnly) return { reason: `it calls the stored function ${name}(), and a data-changing or locking statement cannot be planned in a read-only transaction` };
    if (!MYSQL_NO_WRITE_ACCESS.has(access)) return { reason: `it calls the stored function ${name}(), declared ${access || 'without SQL DATA ACCESS'}: the server may run it while planning, and it may write (only NO SQL and READS SQL DATA functions are planned)` };
  }
  // Loadable functions (CREATE FUNCTION ... SONAME): listed in mysql.func, which a user may not be allowed to read.
  try {
    const udfs = await client.query('SELECT name AS n FROM mysql.func WHERE LOWER(name) IN (?)', [names]);
    if (udfs.length) return { reason: `it calls the loadable function ${String(udfs[0]!['n'])}() (native code the server cannot vouch for)` };
  } catch { /* no read access to mysql.func: the read-only transaction still stops writes */ }
  return null;
}

/** Quotes an identifier for to_regclass. */
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Most views and policies followed when looking for the functions a statement runs (a bound on catalog reads). */
const PG_MAX_DEFINITIONS = 100;

/**
 * The volatile functions a PostgreSQL statement would run under ANALYZE: those it calls by name (any overload of
 * that name counts), behind the operators it uses, and those the views it reads (recursively) and their
 * row-security policies call, read from their definitions with the same parser (built-in functions have no
 * pg_depend entries, so the catalog's dependencies would miss `pg_terminate_backend` in a view). Throws when the
 * catalog cannot be read; the caller refuses ANALYZE then.
 */
export async function pgVolatileFunctions(client: SqlClient, info: PgStatementInfo): Promise<string[]> {
  const functions = new Set(info.functions.map((f) => f.name));
  const operators = new Set(info.operators);
  const seen = new Set<string>();
  let queue = info.relations.map((r) => (r.schema ? `${qi(r.schema)}.${qi(r.name)}` : qi(r.name)));
  while (queue.length && seen.size < PG_MAX_DEFINITIONS) {
    const batch = [...new Set(queue.filter((x) => !seen.has(x)))].slice(0, PG_MAX_DEFINITIONS - seen.size);
    queue = [];
    if (!batch.length) break;
    for (const x of batch) seen.add(x);
    const rows = await client.query(`
      SELECT CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS def,
             (SELECT array_agg('SELECT ' || e) FROM pg_policy pol,
                LATERAL unnest(ARRAY[pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)]) e
                WHERE pol.polrelid = c.oid AND e IS NOT NULL) AS pols
      FROM unnest($1::text[]) x JOIN pg_class c ON c.oid = to_regclass(x)`, [batch]);
    for (const r of rows) {
      const texts = [r['def'], ...((r['pols'] as string[] | null) ?? [])].filter((t): t is string => typeof t === 'string');
      for (const text of texts) {
        const sub = inspectPgStatement(text);
        if (!sub.parsed) throw new Error('a view or policy definition could not be parsed');
        for (const f of sub.functions) functions.add(f.name);
        for (const o of sub.operators) operators.add(o);
        for (const rel of sub.relations) queue.push(rel.schema ? `${qi(rel.schema)}.${qi(rel.name)}` : qi(rel.name));
      }
    }
  }
  const found = new Set<string>();
  if (functions.size) {
    const rows = await client.query(
      "SELECT p.oid::regprocedure::text AS fn FROM pg_proc p WHERE p.proname = ANY($1::text[]) AND p.provolatile = 'v'", [[...functions]]);
    for (const r of rows) found.add(String(r['fn']));
  }
  if (operators.size) {
    const rows = await client.query(
      "SELECT o.oprcode::regprocedure::text AS fn FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode WHERE o.oprname = ANY($1::text[]) AND p.provolatile = 'v'", [[...operators]]);
    for (const r of rows) found.add(String(r['fn']));
  }
  return [...found].sort();
}
