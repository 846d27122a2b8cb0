import type { PlanNode } from '../model/db';
import { InputError } from '../errors';
import { sanitizeCondition } from './plan-postgres';

/**
 * MySQL `EXPLAIN FORMAT=JSON` and MariaDB `EXPLAIN`/`ANALYZE FORMAT=JSON`
 * output -> the plan tree. Pure. The two servers' formats differ (MySQL:
 * `rows_examined_per_scan`, `cost_info`; MariaDB: `rows`, and with ANALYZE
 * `r_rows`, `r_filtered`, `r_total_time_ms`, `r_loops`); both are read.
 */

type Raw = Record<string, unknown>;

/** Keys that hold an operation wrapping other operations. */
const WRAPPERS = ['ordering_operation', 'grouping_operation', 'duplicates_removal', 'temporary_table', 'filesort', 'window_functions_computation', 'read_sorted_file', 'buffer_result'];
/** Keys that hold nested query blocks. */
const NESTED = ['materialized_from_subquery', 'attached_subqueries', 'subqueries', 'optimized_away_subqueries', 'union_result', 'query_specifications', 'block-nl-join', 'query_block', 'nested_loop'];

const num = (v: unknown): number | null => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};

function tableNode(t: Raw, keepLiterals: boolean, depth: number): PlanNode {
  const cost = t['cost_info'] && typeof t['cost_info'] === 'object' ? num((t['cost_info'] as Raw)['prefix_cost']) : null;
  const details: PlanNode['details'] = {};
  for (const k of ['filtered', 'r_filtered', 'r_loops', 'possible_keys', 'using_index', 'using_join_buffer', 'r_total_time_ms', 'rows_produced_per_join', 'key_length']) {
    const v = t[k];
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') details[k] = v;
    else if (Array.isArray(v)) details[k] = v.join(', ');
  }
  const planRows = num(t['rows_examined_per_scan']) ?? num(t['rows']);
  // MariaDB ANALYZE: r_rows are rows read per loop, r_filtered the percentage kept by the attached condition.
  // actualRows follows PostgreSQL's meaning (rows the node returns), so the diagnostics read both alike.
  const read = num(t['r_rows']);
  const keptPct = num(t['r_filtered']);
  const actualRows = read === null ? null : keptPct === null ? read : Math.round(read * keptPct) / 100;
  const loops = num(t['r_loops']);
  const tableMs = num(t['r_table_time_ms']); const otherMs = num(t['r_other_time_ms']);
  const ms = num(t['r_total_time_ms']) ?? (tableMs !== null || otherMs !== null ? (tableMs ?? 0) + (otherMs ?? 0) : null);
  const cond = typeof t['attached_condition'] === 'string' ? `attached_condition: ${sanitizeCondition(String(t['attached_condition']), keepLiterals, 'mysql')}` : null;
  const children = collect(t, keepLiterals, depth + 1, ['table']);
  return {
    nodeType: String(t['access_type'] ?? 'table'), relation: typeof t['table_name'] === 'string' ? t['table_name'] : null,
    index: typeof t['key'] === 'string' ? t['key'] : null, totalCost: cost, planRows, actualRows, loops, actualTotalMs: ms, exclusiveMs: ms,
    filter: cond,
    // MariaDB ANALYZE: rows read minus rows kept after the condition.
    rowsRemovedByFilter: read !== null && keptPct !== null ? Math.round(read * (1 - keptPct / 100) * (loops ?? 1)) : null,
    details, children,
  };
}

/** The child operations of an object: tables, wrappers and nested blocks, in document order. */
function collect(o: Raw, keepLiterals: boolean, depth: number, skip: string[] = []): PlanNode[] {
  if (depth > 100) throw new InputError('The plan is nested more than 100 levels deep; it is not a plan batch-doctor can read.');
  const out: PlanNode[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (skip.includes(k) || !v || typeof v !== 'object') continue;
    if (k === 'table') { out.push(tableNode(v as Raw, keepLiterals, depth)); continue; }
    if (WRAPPERS.includes(k)) {
      const w = v as Raw;
      const details: PlanNode['details'] = {};
      for (const f of ['using_filesort', 'using_temporary_table', 'r_total_time_ms', 'r_loops']) { const x = w[f]; if (typeof x === 'number' || typeof x === 'boolean') details[f] = x; }
      out.push({ nodeType: k, relation: null, index: null, totalCost: null, planRows: null, actualRows: null, loops: null, actualTotalMs: num(w['r_total_time_ms']), exclusiveMs: null, filter: null, rowsRemovedByFilter: null, details, children: collect(w, keepLiterals, depth + 1) });
      continue;
    }
    if (NESTED.includes(k) || Array.isArray(v)) {
      const items = Array.isArray(v) ? v : [v];
      for (const it of items) if (it && typeof it === 'object') out.push(...collect(it as Raw, keepLiterals, depth + 1));
    }
  }
  return out;
}

/** Reads MySQL/MariaDB JSON plan output (text or parsed). */
export function parseMysqlPlan(json: unknown, keepLiterals = false): { root: PlanNode; executionMs: number | null } {
  let data = json;
  if (typeof data === 'string') {
    try { data = JSON.parse(data); } catch { throw new InputError('The EXPLAIN output is not JSON. Run EXPLAIN FORMAT=JSON.'); }
  }
  const qb = data && typeof data === 'object' ? (data as Raw)['query_block'] : null;
  if (!qb || typeof qb !== 'object') throw new InputError('The EXPLAIN output has no "query_block": it is not MySQL/MariaDB EXPLAIN FORMAT=JSON output.');
  const q = qb as Raw;
  const cost = q['cost_info'] && typeof q['cost_info'] === 'object' ? num((q['cost_info'] as Raw)['query_cost']) : num(q['cost']);
  return {
    root: { nodeType: 'query_block', relation: null, index: null, totalCost: cost, planRows: null, actualRows: null, loops: null, actualTotalMs: num(q['r_total_time_ms']), exclusiveMs: null, filter: null, rowsRemovedByFilter: null, details: {}, children: collect(q, keepLiterals, 1) },
    executionMs: num(q['r_total_time_ms']),
  };
}
