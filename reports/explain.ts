import { escapeControl } from '../probes/sanitize';
import type { ExplainResult, PlanNode } from '../src/model/db';
import { ms } from './format';

/** Renderers of `batch-doctor explain` results, by format name (formatting only). */
export const EXPLAIN_RENDERERS: Readonly<Record<string, (r: ExplainResult) => string>> = {
  json: (r) => JSON.stringify(r, null, 2) + '\n',
  table: renderText,
};

/** One plan node per line, indented as a tree. */
export function planLines(n: PlanNode, depth = 0, out: string[] = []): string[] {
  const parts = [`${'  '.repeat(depth)}${depth ? '-> ' : ''}${n.nodeType}`];
  if (n.relation) parts.push(`on ${n.relation}`);
  if (n.index) parts.push(`using ${n.index}`);
  const facts: string[] = [];
  if (n.totalCost !== null) facts.push(`cost ${n.totalCost}`);
  if (n.planRows !== null) facts.push(`rows ${n.planRows}`);
  if (n.actualRows !== null) facts.push(`actual rows ${n.actualRows}${n.loops !== null && n.loops > 1 ? ` x ${n.loops} loops` : ''}`);
  if (n.exclusiveMs !== null) facts.push(`self ${ms(n.exclusiveMs)}`);
  out.push(`${parts.join(' ')}${facts.length ? `  (${facts.join(', ')})` : ''}`);
  if (n.filter) out.push(`${'  '.repeat(depth + 2)}${n.filter}`);
  if (n.rowsRemovedByFilter) out.push(`${'  '.repeat(depth + 2)}rows removed by filter: ${n.rowsRemovedByFilter}`);
  for (const c of n.children) planLines(c, depth + 1, out);
  return out;
}

function renderText(r: ExplainResult): string {
  const out = [`${r.system} ${r.mode === 'analyze' ? 'EXPLAIN ANALYZE (executed read-only, rolled back)' : 'EXPLAIN (planned, not executed)'}: ${r.fingerprint}`];
  if (r.plan) out.push('', ...planLines(r.plan));
  if (r.diagnostics.length) {
    out.push('', 'diagnostics:');
    for (const d of r.diagnostics) out.push(`  [${d.severity}] ${d.message}`);
  }
  if (r.indexAdvice.length) {
    out.push('', 'index advice:');
    for (const a of r.indexAdvice) out.push(`  ${a.createStatement}`, `    ${a.basis}`);
  }
  if (r.note) out.push('', `note: ${r.note}`);
  return escapeControl(out.join('\n')) + '\n';
}
