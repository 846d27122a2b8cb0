import type { DbSystem, IndexAdvice, PlanDiagnostic, PlanNode } from '../model/db';
import { safeDbError, type SqlClient } from './connection';
import type { PgStatementInfo, PredicateColumn } from './pg-parser';
import { parsePostgresPlan, walkPlan } from './plan-postgres';

/**
 * Index advice the planner confirmed (PostgreSQL + HypoPG), after Dexter:
 * hypothetical single-column indexes on the statement's predicate columns,
 * then two-column ones (equality columns first); an index is suggested only
 * when the plan uses it and the estimated cost falls by at least
 * {@link MIN_COST_DROP}. Columns an existing btree index already leads with
 * are skipped. Nothing is created: HypoPG indexes live in our session only and
 * are reset after each try.
 */

/** Least relative cost drop for a confirmed suggestion: Dexter's 50%. Smaller gains do not repay an index's write cost. */
export const MIN_COST_DROP = 0.5;
/** Most hypothetical indexes tried per statement (a bound on time: each try is one EXPLAIN). */
export const MAX_CANDIDATES = 12;

const quoteIdent = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
const quoteTable = (t: string) => t.split('.').map(quoteIdent).join('.');

/** The CREATE INDEX statement we recommend (CONCURRENTLY: it does not block writes on a live table). */
export function createIndexStatement(table: string, columns: string[]): string {
  return `CREATE INDEX CONCURRENTLY ON ${quoteTable(table)} (${columns.map(quoteIdent).join(', ')});`;
}

/** Candidate column lists per table from the parsed predicates, best guesses first. */
export function candidateIndexes(info: PgStatementInfo, tableColumns: Record<string, Set<string>>): { table: string; columns: string[] }[] {
  const resolve = (p: { qualifier: string | null; column: string }): string | null => {
    if (p.qualifier) return info.tables.find((t) => t.alias === p.qualifier || t.name === p.qualifier || t.name.endsWith(`.${p.qualifier}`))?.name ?? null;
    const owners = info.tables.filter((t) => tableColumns[t.name]?.has(p.column));
    return owners.length === 1 ? owners[0]!.name : null;
  };
  const byTable = new Map<string, { eq: string[]; range: string[]; join: string[] }>();
  const add = (p: PredicateColumn) => {
    const t = resolve(p);
    if (!t || !tableColumns[t]?.has(p.column)) return;
    let e = byTable.get(t);
    if (!e) byTable.set(t, (e = { eq: [], range: [], join: [] }));
    const list = e[p.use];
    if (!list.includes(p.column)) list.push(p.column);
  };
  info.predicates.forEach(add);
  // Scored, then ordered: a filter column is the likeliest win (equality over range), a pair next, join and sort columns last.
  const scored: { table: string; columns: string[]; score: number }[] = [];
  const push = (table: string, columns: string[], score: number) => {
    if (!scored.some((c) => c.table === table && c.columns.join() === columns.join())) scored.push({ table, columns, score });
  };
  for (const [t, e] of byTable) {
    for (const c of e.eq) push(t, [c], 4);
    for (const a of e.eq) for (const b of [...e.eq, ...e.range]) if (a !== b) push(t, [a, b], 3);
    for (const c of e.range) push(t, [c], 2);
    for (const c of e.join) push(t, [c], 1);
  }
  for (const o of info.orderBy) {
    const t = resolve(o);
    if (t && tableColumns[t]?.has(o.column)) push(t, [o.column], 0);
  }
  const out = scored.sort((a, b) => b.score - a.score).map(({ table, columns }) => ({ table, columns }));
  return out.slice(0, MAX_CANDIDATES);
}

/** Total cost of a plan and whether it uses an index whose name contains `marker`. */
function costAndUse(raw: unknown, marker: string | null): { cost: number; uses: boolean } {
  const root = parsePostgresPlan(raw, false).root;
  let uses = false;
  for (const { node } of walkPlan(root)) if (marker && node.index?.includes(marker)) uses = true;
  return { cost: root.totalCost ?? Number.POSITIVE_INFINITY, uses };
}

/** Options of {@link adviseIndexesPg}. */
export interface PgAdviceOptions {
  sql: string;
  params?: readonly unknown[] | undefined;
  info: PgStatementInfo;
  timeoutMs: number;
}

/** Tries hypothetical indexes with HypoPG. Never throws; without HypoPG, returns unconfirmed advice and says so. */
export async function adviseIndexesPg(client: SqlClient, o: PgAdviceOptions): Promise<{ advice: IndexAdvice[]; note: string | null }> {
  const tables = o.info.tables.map((t) => t.name);
  if (!tables.length) return { advice: [], note: null };
  const tableColumns: Record<string, Set<string>> = {};
  const leading: Record<string, string[][]> = {};
  // The catalog names tables as regclass text (schema-qualified only off the search path): map back to the statement's names.
  const keyOf = (full: string) => tables.find((t) => t === full || t.split('.').pop() === full.split('.').pop()) ?? full;
  try {
    const cols = await client.query(
      `SELECT c.oid::regclass::text AS t, a.attname AS col FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE c.oid = ANY (SELECT to_regclass(x)::oid FROM unnest($1::text[]) x) AND a.attnum > 0 AND NOT a.attisdropped`, [tables]);
    for (const r of cols) {
      (tableColumns[keyOf(String(r['t']))] ??= new Set()).add(String(r['col']));
    }
    const idx = await client.query(
      `SELECT i.indrelid::regclass::text AS t, array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o), ',') AS cols
         FROM pg_index i WHERE i.indrelid = ANY (SELECT to_regclass(x)::oid FROM unnest($1::text[]) x)`, [tables]);
    for (const r of idx) {
      (leading[keyOf(String(r['t']))] ??= []).push(String(r['cols']).split(','));
    }
  } catch (err) { return { advice: [], note: `Index advice skipped: the catalog could not be read (${safeDbError(err)}).` }; }
  const candidates = candidateIndexes(o.info, tableColumns).filter((c) => !(leading[c.table] ?? []).some((ix) => c.columns.every((col, i) => ix[i] === col)));
  if (!candidates.length) return { advice: [], note: null };
  let hypopg = false;
  try { hypopg = (await client.query("SELECT 1 AS ok FROM pg_extension WHERE extname = 'hypopg'")).length > 0; } catch { /* treated as absent */ }
  if (!hypopg) {
    const c = candidates[0]!;
    return {
      advice: [{ table: c.table, columns: c.columns, createStatement: createIndexStatement(c.table, c.columns), confirmed: false, costBefore: null, costAfter: null,
        basis: 'Unconfirmed: HypoPG is not installed in this database, so the planner was not asked (CREATE EXTENSION hypopg; then run again to confirm).' }],
      note: null,
    };
  }
  const explain = async (): Promise<unknown> => (await client.query(`EXPLAIN (FORMAT JSON) ${o.sql}`, o.params))[0]?.['QUERY PLAN'];
  const tried: { c: { table: string; columns: string[] }; cost: number; uses: boolean }[] = [];
  let before: number;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${o.timeoutMs}`);
    before = costAndUse(await explain(), null).cost;
    for (const c of candidates) {
      // hypopg_create_index only records the definition in this backend's memory: allowed in a read-only transaction.
      const r = await client.query('SELECT indexrelid::text AS id FROM hypopg_create_index($1)', [`CREATE INDEX ON ${quoteTable(c.table)} (${c.columns.map(quoteIdent).join(', ')})`]);
      const id = String(r[0]?.['id'] ?? '');
      const cu = costAndUse(await explain(), `<${id}>`);
      tried.push({ c, ...cu });
      await client.query('SELECT hypopg_reset()');
    }
  } catch (err) {
    return { advice: [], note: `Index advice stopped: ${safeDbError(err)}.` };
  } finally {
    await client.query('SELECT hypopg_reset()').catch(() => undefined);
    await client.query('ROLLBACK').catch(() => undefined);
  }
  const useful = tried.filter((t) => t.uses).sort((a, b) => a.cost - b.cost || a.c.columns.length - b.c.columns.length);
  const best = useful[0];
  if (!best) return { advice: [], note: `HypoPG tried ${tried.length} index(es); the planner used none.` };
  // A wider index must beat the best narrower one clearly to be worth its size: otherwise keep the narrow one.
  const narrow = useful.find((t) => t.c.columns.length === 1 && t.c.table === best.c.table && t.cost <= best.cost * 1.1) ?? best;
  const drop = before > 0 ? 1 - narrow.cost / before : 0;
  return {
    advice: [{
      table: narrow.c.table, columns: narrow.c.columns, createStatement: createIndexStatement(narrow.c.table, narrow.c.columns),
      confirmed: drop >= MIN_COST_DROP, costBefore: Math.round(before * 100) / 100, costAfter: Math.round(narrow.cost * 100) / 100,
      basis: drop >= MIN_COST_DROP
        ? `Confirmed with HypoPG: the planner uses the hypothetical index and the estimated cost falls ${(drop * 100).toFixed(0)}% (${before.toFixed(0)} -> ${narrow.cost.toFixed(0)}).`
        : `Not confirmed: the planner would use it but the cost falls only ${(drop * 100).toFixed(0)}% (less than ${MIN_COST_DROP * 100}%).`,
    }],
    note: null,
  };
}

/** Advice from the plan alone (MySQL/MariaDB, or no HypoPG): the filtered columns of a full scan, labelled unconfirmed. */
export function adviseIndexesUnconfirmed(root: PlanNode, diagnostics: PlanDiagnostic[], system: DbSystem): IndexAdvice[] {
  const out: IndexAdvice[] = [];
  for (const d of diagnostics) {
    if (d.kind !== 'full-scan' && d.kind !== 'seq-scan-filter') continue;
    let node: PlanNode | undefined = root;
    for (const i of d.nodePath) node = node?.children[i];
    if (!node?.relation || !node.filter) continue;
    // Columns compared with a value in the (sanitized) condition: `col = ?`, `t.col > ?`.
    const cols = [...node.filter.matchAll(/`?(?:[A-Za-z_][A-Za-z0-9_]*`?\.`?)?([A-Za-z_][A-Za-z0-9_]*)`?\s*(?:=|<=|>=|<|>| like | in )\s*\(?\s*\?/gi)].map((m) => m[1]!).filter((c, i, a) => a.indexOf(c) === i);
    if (!cols.length) continue;
    const columns = cols.slice(0, 2);
    out.push({
      table: node.relation, columns, confirmed: false, costBefore: node.totalCost, costAfter: null,
      createStatement: system === 'mysql' ? `ALTER TABLE \`${node.relation}\` ADD INDEX (${columns.map((c) => `\`${c}\``).join(', ')});` : createIndexStatement(node.relation, columns),
      basis: system === 'mysql' ? 'Unconfirmed: MySQL/MariaDB have no hypothetical indexes; derived from the full scan and its condition. Check with EXPLAIN after creating it on a copy.' : 'Unconfirmed: derived from the scan\'s filter without asking the planner.',
    });
  }
  return out;
}

/**
 * Share of `table`'s rows its scan in the plan keeps (see {@link IndexAdvice.keptShare}), or null: measured when the
 * plan was executed, else the planner's estimate over the table's rows (`tableRows`, PostgreSQL's reltuples), else
 * MySQL's `filtered` percentage when it is an estimate at all (100 is what MySQL says when it has none).
 */
export function keptShareOf(root: PlanNode, table: string, tableRows: Record<string, number> = {}): number | null {
  const short = (t: string) => t.split('.').pop()!.replace(/[`"]/g, '');
  for (const { node } of walkPlan(root)) {
    if (!node.relation || short(node.relation) !== short(table)) continue;
    if (node.actualRows !== null && node.rowsRemovedByFilter !== null) {
      const kept = node.actualRows * (node.loops ?? 1);
      return kept + node.rowsRemovedByFilter > 0 ? kept / (kept + node.rowsRemovedByFilter) : null;
    }
    const total = tableRows[node.relation] ?? tableRows[short(node.relation)];
    if (node.planRows !== null && total && total > 0 && node.filter) return Math.min(1, node.planRows / total);
    const filtered = Number(node.details['filtered']);
    if (Number.isFinite(filtered) && filtered > 0 && filtered < 100) return filtered / 100;
    return null;
  }
  return null;
}
