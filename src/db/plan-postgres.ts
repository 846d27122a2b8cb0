import { fingerprintSqlUncached } from '../../probes/sql-fingerprint';
import type { PlanNode } from '../model/db';
import { InputError } from '../errors';

/**
 * PostgreSQL `EXPLAIN (FORMAT JSON)` output -> the plan tree. Pure. Filters
 * and conditions hold the statement's literals (`(email = 'a@b'::text)`): they
 * are fingerprinted unless the caller keeps literals.
 */

type Raw = Record<string, unknown>;

/** Keys whose text is a condition (and may hold literals). */
const CONDITION_KEYS = ['Filter', 'Index Cond', 'Recheck Cond', 'Hash Cond', 'Merge Cond', 'Join Filter', 'One-Time Filter'];
/** Keys kept in `details` as they are (no literals in them). */
const DETAIL_KEYS = ['Sort Method', 'Sort Space Type', 'Sort Space Used', 'Hash Batches', 'Original Hash Batches', 'Peak Memory Usage', 'Heap Fetches',
  'Join Type', 'Strategy', 'Parent Relationship', 'Workers Planned', 'Workers Launched', 'Scan Direction', 'Rows Removed by Index Recheck',
  'Shared Hit Blocks', 'Shared Read Blocks', 'Temp Read Blocks', 'Temp Written Blocks', 'Startup Cost', 'Actual Startup Time'];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Replaces the literals of a condition by `?` (fails closed to a placeholder). */
export function sanitizeCondition(text: string, keepLiterals: boolean, dialect: 'postgresql' | 'mysql' = 'postgresql'): string {
  if (keepLiterals) return text;
  const fp = fingerprintSqlUncached(text, dialect);
  return fp.parsed ? fp.text : '<condition redacted>';
}

function toNode(raw: Raw, keepLiterals: boolean, depth: number): PlanNode {
  if (depth > 200) throw new InputError('The plan is nested more than 200 levels deep; it is not a plan batch-doctor can read.');
  const children = Array.isArray(raw['Plans']) ? (raw['Plans'] as unknown[]).filter((p): p is Raw => !!p && typeof p === 'object').map((p) => toNode(p, keepLiterals, depth + 1)) : [];
  const conds = CONDITION_KEYS.filter((k) => typeof raw[k] === 'string').map((k) => `${k}: ${sanitizeCondition(String(raw[k]), keepLiterals)}`);
  const details: PlanNode['details'] = {};
  for (const k of DETAIL_KEYS) { const v = raw[k]; if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') details[k] = v; }
  const loops = num(raw['Actual Loops']);
  const perLoop = num(raw['Actual Total Time']);
  const total = perLoop !== null ? perLoop * (loops ?? 1) : null;
  const childTotal = children.reduce((a, c) => a + (c.actualTotalMs ?? 0), 0);
  return {
    nodeType: String(raw['Node Type'] ?? 'unknown'),
    relation: typeof raw['Relation Name'] === 'string' ? String(raw['Relation Name']) : null,
    index: typeof raw['Index Name'] === 'string' ? String(raw['Index Name']) : null,
    totalCost: num(raw['Total Cost']), planRows: num(raw['Plan Rows']), actualRows: num(raw['Actual Rows']), loops,
    actualTotalMs: total === null ? null : Math.round(total * 1000) / 1000,
    exclusiveMs: total === null ? null : Math.round(Math.max(0, total - childTotal) * 1000) / 1000,
    filter: conds.length ? conds.join('; ') : null,
    rowsRemovedByFilter: num(raw['Rows Removed by Filter']) ?? num(raw['Rows Removed by Join Filter']),
    details, children,
  };
}

/** The parsed plan and its timings. */
export interface PostgresPlan {
  root: PlanNode;
  planningMs: number | null;
  executionMs: number | null;
}

/** Reads EXPLAIN (FORMAT JSON) output: the `QUERY PLAN` value, as text or already parsed. */
export function parsePostgresPlan(json: unknown, keepLiterals = false): PostgresPlan {
  let data = json;
  if (typeof data === 'string') {
    try { data = JSON.parse(data); } catch { throw new InputError('The EXPLAIN output is not JSON. Run EXPLAIN (FORMAT JSON).'); }
  }
  const top = Array.isArray(data) ? data[0] : data;
  if (!top || typeof top !== 'object' || !(top as Raw)['Plan'] || typeof (top as Raw)['Plan'] !== 'object') {
    throw new InputError('The EXPLAIN output has no "Plan": it is not PostgreSQL EXPLAIN (FORMAT JSON) output.');
  }
  const t = top as Raw;
  return { root: toNode(t['Plan'] as Raw, keepLiterals, 0), planningMs: num(t['Planning Time']), executionMs: num(t['Execution Time']) };
}

/** Every node of a plan, depth first, with its path from the root. */
export function* walkPlan(node: PlanNode, path: number[] = []): Generator<{ node: PlanNode; path: number[] }> {
  yield { node, path };
  for (let i = 0; i < node.children.length; i++) yield* walkPlan(node.children[i]!, [...path, i]);
}
