import type { DbSystem, PlanDiagnostic, PlanNode, Severity } from '../model/db';
import { walkPlan } from './plan-postgres';

/**
 * Plan diagnostics: pure functions of a plan tree. Thresholds follow pev2's
 * node badges (explain.dalibo.com), which PostgreSQL people read every day,
 * and MySQL's own EXPLAIN vocabulary.
 */
export const PLAN_THRESHOLDS = {
  /** Share of the query's time spent in one node (exclusive): 10% info, 40% warning, 90% critical (pev2 "slow" badge). */
  slowNodeShare: [0.1, 0.4, 0.9] as const,
  /** Misestimate factor max(actual/planned, planned/actual): 10 info, 100 warning, 1000 critical (pev2 "bad estimate"). */
  misestimate: [10, 100, 1000] as const,
  /** Rows removed by a filter, as a share of rows read: above 50% warning, above 90% critical (pev2). */
  filterRemoved: [0.5, 0.9] as const,
  /** A scan reading fewer rows than this is never "large": indexes do not pay below about a thousand rows (PgHero uses 500). */
  largeTableRows: 1000,
  /** Heap fetches as a share of rows of an index-only scan: 40% warning, 90% critical (pev2); VACUUM fixes it. */
  heapFetchShare: [0.4, 0.9] as const,
  /** Inner side of a nested loop run this many times or more: each loop is a lookup; a hash join may be cheaper. */
  nestedLoopLoops: 1000,
};

/** What the diagnostics may know beyond the plan. */
export interface DiagnoseContext {
  system: DbSystem;
  /** Estimated rows per table (pg_class.reltuples), for plans without ANALYZE. */
  tableRows?: Record<string, number>;
}

const sev3 = (x: number, t: readonly [number, number, number]): Severity | null => (x >= t[2] ? 'critical' : x >= t[1] ? 'warning' : x >= t[0] ? 'info' : null);
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Diagnoses a plan. Nodes are addressed by their path from the root. */
export function diagnosePlan(root: PlanNode, ctx: DiagnoseContext): PlanDiagnostic[] {
  const out: PlanDiagnostic[] = [];
  const rootMs = root.actualTotalMs;
  for (const { node: n, path } of walkPlan(root)) {
    const where = `${n.nodeType}${n.relation ? ` on ${n.relation}` : ''}${n.index ? ` using ${n.index}` : ''}`;
    // Slow node (ANALYZE only): exclusive time share.
    if (rootMs && rootMs > 0 && n.exclusiveMs !== null) {
      const share = n.exclusiveMs / rootMs;
      const s = sev3(share, PLAN_THRESHOLDS.slowNodeShare);
      if (s && s !== 'info') out.push({ kind: 'slow-node', severity: s, nodePath: path, message: `${where} takes ${(share * 100).toFixed(0)}% of the statement's time by itself.`, metrics: { exclusiveMs: n.exclusiveMs, share: r2(share) } });
    }
    // Row misestimate (ANALYZE only).
    if (n.actualRows !== null && n.planRows !== null && ctx.system === 'postgresql') {
      const a = Math.max(n.actualRows, 1); const p = Math.max(n.planRows, 1);
      const f = Math.max(a / p, p / a);
      const s = sev3(f, PLAN_THRESHOLDS.misestimate);
      if (s) out.push({ kind: 'row-misestimate', severity: s, nodePath: path, message: `${where}: the planner expected ${n.planRows} rows and got ${n.actualRows} (${f >= 1000 ? '>1000' : Math.round(f)}x off); run ANALYZE on the table or add extended statistics.`, metrics: { planRows: n.planRows, actualRows: n.actualRows, factor: r2(f) } });
    }
    // Sequential / full scan of a large table whose filter throws most rows away.
    const isFullScan = n.nodeType === 'Seq Scan' || (ctx.system === 'mysql' && n.nodeType === 'ALL');
    if (isFullScan && n.relation) {
      const loops = n.loops ?? 1;
      const kept = n.actualRows !== null ? n.actualRows * loops : null;
      const removed = n.rowsRemovedByFilter;
      const tableRows = ctx.tableRows?.[n.relation] ?? (kept !== null && removed !== null ? (kept + removed) / loops : n.planRows);
      if (tableRows !== null && tableRows !== undefined && tableRows >= PLAN_THRESHOLDS.largeTableRows) {
        let removedShare: number | null = null;
        if (kept !== null && removed !== null && kept + removed > 0) removedShare = removed / (kept + removed);
        else if (n.planRows !== null && ctx.tableRows?.[n.relation] && n.filter) removedShare = 1 - Math.min(1, n.planRows / ctx.tableRows[n.relation]!);
        else if (ctx.system === 'mysql' && typeof n.details['filtered'] === 'number' && n.filter) removedShare = 1 - Number(n.details['filtered']) / 100;
        if (removedShare !== null && removedShare > PLAN_THRESHOLDS.filterRemoved[0]) {
          out.push({ kind: ctx.system === 'mysql' ? 'full-scan' : 'seq-scan-filter', severity: removedShare > PLAN_THRESHOLDS.filterRemoved[1] ? 'critical' : 'warning', nodePath: path,
            message: `${where} reads about ${Math.round(tableRows)} rows and its filter discards ${(removedShare * 100).toFixed(1)}% of them: an index on the filtered columns would read only the rows kept.`,
            metrics: { tableRows: Math.round(tableRows), removedShare: r2(removedShare), ...(n.filter ? { filter: n.filter } : {}) } });
        } else if (ctx.system === 'mysql' && n.filter && n.details['possible_keys'] === undefined && (removedShare === null || (n.actualRows === null && Number(n.details['filtered']) === 100))) {
          // Plain EXPLAIN on MySQL/MariaDB rarely knows the condition's selectivity (filtered: 100 without histograms);
          // a full scan with a condition and no possible key is the classic sign of a missing index all the same.
          out.push({ kind: 'full-scan', severity: 'warning', nodePath: path, message: `${where} reads all of about ${Math.round(tableRows)} rows to apply its condition, and no index can serve it (possible_keys: none).`,
            metrics: { tableRows: Math.round(tableRows), filter: n.filter } });
        } else if (ctx.system === 'mysql' && !n.filter && loops > 1) {
          out.push({ kind: 'full-scan', severity: 'warning', nodePath: path, message: `${where} scans about ${Math.round(tableRows)} rows for each of ${loops} loops (type ALL inside a join).`, metrics: { tableRows: Math.round(tableRows), loops } });
        }
      }
    }
    // Spills to disk.
    if (n.details['Sort Space Type'] === 'Disk') out.push({ kind: 'sort-spill', severity: 'warning', nodePath: path, message: `${where} sorted on disk (${n.details['Sort Space Used'] ?? '?'} kB): raise work_mem for this session or sort fewer rows.`, metrics: { spaceKb: Number(n.details['Sort Space Used'] ?? 0) } });
    const batches = Number(n.details['Hash Batches'] ?? 0);
    if (batches > 1) out.push({ kind: 'hash-spill', severity: 'warning', nodePath: path, message: `${where} split its hash table into ${batches} batches on disk: raise work_mem or hash_mem_multiplier.`, metrics: { batches } });
    // Nested loop with a large inner side.
    if (n.nodeType === 'Nested Loop' && n.children[1]?.loops !== null && (n.children[1]?.loops ?? 0) >= PLAN_THRESHOLDS.nestedLoopLoops) {
      const inner = n.children[1]!;
      out.push({ kind: 'nested-loop-many', severity: (inner.exclusiveMs ?? 0) > 0 && rootMs && (inner.actualTotalMs ?? 0) / rootMs > 0.4 ? 'warning' : 'info', nodePath: path,
        message: `Nested Loop ran its inner side (${inner.nodeType}${inner.relation ? ` on ${inner.relation}` : ''}) ${inner.loops} times.`, metrics: { loops: inner.loops!, innerMs: inner.actualTotalMs ?? 0 } });
    }
    // Heap fetches of an index-only scan.
    if (n.nodeType === 'Index Only Scan' && typeof n.details['Heap Fetches'] === 'number' && n.actualRows !== null) {
      const rows = n.actualRows * (n.loops ?? 1);
      const share = rows > 0 ? Number(n.details['Heap Fetches']) / rows : 0;
      if (share > PLAN_THRESHOLDS.heapFetchShare[0]) out.push({ kind: 'heap-fetches', severity: share > PLAN_THRESHOLDS.heapFetchShare[1] ? 'critical' : 'warning', nodePath: path, message: `${where} fetched ${(share * 100).toFixed(0)}% of its rows from the heap: the visibility map is stale; VACUUM the table.`, metrics: { heapFetches: Number(n.details['Heap Fetches']), share: r2(share) } });
    }
    // MySQL: filesort and temporary tables.
    if (n.details['using_filesort'] === true) out.push({ kind: 'filesort', severity: 'info', nodePath: path, message: 'The result is sorted with a filesort: an index in ORDER BY order would avoid it.', metrics: {} });
    if (n.details['using_temporary_table'] === true) out.push({ kind: 'temporary-table', severity: 'info', nodePath: path, message: 'A temporary table is built (GROUP BY / DISTINCT / UNION on non-indexed columns).', metrics: {} });
    if (ctx.system === 'mysql' && n.actualRows !== null && n.rowsRemovedByFilter !== null && typeof n.details['r_filtered'] === 'number' && !isFullScan) {
      const examined = n.actualRows * (n.loops ?? 1) + n.rowsRemovedByFilter;
      if (examined >= PLAN_THRESHOLDS.largeTableRows && Number(n.details['r_filtered']) < (1 - PLAN_THRESHOLDS.filterRemoved[1]) * 100) {
        out.push({ kind: 'rows-examined', severity: 'warning', nodePath: path, message: `${where} examined ${Math.round(examined)} rows and kept ${Number(n.details['r_filtered']).toFixed(1)}% of them: the index does not cover the condition.`, metrics: { rowsExamined: Math.round(examined), keptPercent: Number(n.details['r_filtered']) } });
      }
    }
  }
  const order: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}
