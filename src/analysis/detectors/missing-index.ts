import type { ExplainResult } from '../../model/db';
import { round3 } from '../intervals';
import { walkPlan } from '../../db/plan-postgres';
import type { QueryGroup } from '../query-digest';
import type { Detector, DetectorContext, RawFinding } from './types';

/**
 * Missing index: a statement class whose EXPLAIN showed a scan that an index
 * would replace, with the index the planner confirmed (HypoPG) or, labelled
 * unconfirmed, the one the plan suggests.
 *
 * Saving model: a call's time is a fixed overhead no index removes (network
 * round trip, parse, bind, protocol) plus server work; the planner's cost is
 * proportional to the work it expects, so the server part scales by
 * costAfter / costBefore. The overhead is the call's median minus the
 * measured execution time when EXPLAIN ANALYZE ran; else the median of the
 * run's fastest other statement class on that server; else the default round
 * trip (thresholds). Saving = time the class's calls occupied on the critical
 * path (overlaps once, less other pending I/O) minus calls x (overhead + (mean - overhead) x costAfter / costBefore).
 * Without a cost after (unconfirmed advice) the server part is assumed to go
 * away entirely, with low confidence.
 *
 * Unconfirmed advice is given only where selectivity makes an index plausible: when the scan keeps more than
 * {@link MAX_INDEXED_SHARE} of the table's rows (measured, or the planner's estimate, or the rows the run's calls
 * returned over the rows the scan read), no index helps and none is advised. One index advised for several
 * statement classes is one finding, whose saving is the sum over the classes.
 */
/**
 * Largest share of a table's rows (0..1) a filter may keep for an unconfirmed index to be advised. Reading through
 * a B-tree costs a random page per row (PostgreSQL's random_page_cost 4 against seq_page_cost 1; InnoDB's
 * secondary-index lookups go through the primary key), so beyond roughly a fifth of the rows both planners choose a
 * full scan even with the index in place.
 */
export const MAX_INDEXED_SHARE = 0.2;

export const missingIndex: Detector = {
  id: 'missing-index',
  detect(_trace, ctx) {
    if (!ctx.explains) return { status: 'no-data', reason: 'No EXPLAIN ran for this run (no database connection for EXPLAIN, --no-explain, or no statement sample was captured).' };
    const withAdvice = ctx.explains.filter((e) => e.indexAdvice.length > 0);
    // One finding per index: the classes it would serve, by table and columns.
    const byIndex = new Map<string, { e: ExplainResult; g: QueryGroup }[]>();
    for (const e of withAdvice) {
      const g = ctx.queries.find((q) => q.cls.id === e.queryClassId);
      if (!g) continue;
      const a = e.indexAdvice[0]!;
      if (!a.confirmed) {
        const share = keptShare(e, g);
        if (share !== null && share > MAX_INDEXED_SHARE) continue;
      }
      const k = `${a.table}\u0000${a.columns.join(',')}`;
      let list = byIndex.get(k);
      if (!list) byIndex.set(k, (list = []));
      list.push({ e, g });
    }
    const findings = [...byIndex.values()].map((list) => merge(list.map(({ e, g }) => buildFinding(e, g, ctx))));
    return { status: 'ran', findings };
  },
};

/** The per-call overhead no index removes, ms, and where the figure comes from. */
function overheadMs(e: ExplainResult, g: QueryGroup, ctx: DetectorContext): { ms: number; source: string } {
  if (e.mode === 'analyze' && e.plan?.actualTotalMs !== null && e.plan?.actualTotalMs !== undefined) {
    return { ms: Math.max(0, g.cls.p50Ms - e.plan.actualTotalMs), source: 'median call minus EXPLAIN ANALYZE execution time' };
  }
  let best = Number.POSITIVE_INFINITY;
  for (const q of ctx.queries) {
    if (q === g || q.cls.system !== g.cls.system || q.cls.calls < 3) continue;
    best = Math.min(best, q.cls.p50Ms);
  }
  if (Number.isFinite(best)) return { ms: Math.min(best, g.cls.p50Ms), source: 'median of the fastest other statement class on this server' };
  return { ms: Math.min(ctx.thresholds.defaultRoundTripMs, g.cls.p50Ms), source: 'default round trip' };
}

function buildFinding(e: ExplainResult, g: QueryGroup, ctx: DetectorContext): RawFinding {
  const a = e.indexAdvice[0]!;
  const occupied = g.stats.soleMs;
  const oh = overheadMs(e, g, ctx);
  const floor = oh.ms;
  const ratio = a.costBefore && a.costAfter !== null && a.costBefore > 0 ? a.costAfter / a.costBefore : null;
  const after = g.cls.calls * (floor + Math.max(0, g.cls.meanMs - floor) * (ratio ?? 0));
  const saving = Math.max(0, occupied - after);
  const scan = e.diagnostics.find((d) => d.kind === 'seq-scan-filter' || d.kind === 'full-scan');
  return {
    id: `missing-index:${g.cls.id}`,
    kind: 'missing-index',
    scope: [`query:${g.cls.id}`],
    title: `Missing index on ${a.table} (${a.columns.join(', ')}): ${g.cls.calls} call(s) scan the table`,
    category: 'db',
    estimatedSavingMs: round3(saving),
    confidence: a.confirmed ? (e.mode === 'analyze' ? 'high' : 'medium') : 'low',
    savingModel: ratio !== null
      ? `time the ${g.cls.calls} calls occupied on the critical path (${round3(occupied)} ms) minus ${g.cls.calls} x (overhead ${round3(floor)} ms + (mean ${round3(g.cls.meanMs)} ms - overhead) x planner cost ratio ${round3(ratio)}); overhead: ${oh.source}`
      : `time the ${g.cls.calls} calls occupied on the critical path (${round3(occupied)} ms) above an overhead of ${round3(floor)} ms per call (${oh.source}; no planner estimate: unconfirmed)`,
    evidence: {
      summary: `${scan ? scan.message + ' ' : ''}${a.basis}`,
      metrics: {
        calls: g.cls.calls, totalMs: g.cls.totalMs, meanMs: g.cls.meanMs, p50Ms: round3(g.stats.durations.quantile(0.5)),
        ...(a.costBefore !== null ? { costBefore: a.costBefore } : {}), ...(a.costAfter !== null ? { costAfter: a.costAfter } : {}),
        overheadMs: round3(floor), explainMode: e.mode,
      },
      queryClassId: g.cls.id,
      fingerprint: g.cls.fingerprint,
    },
    recommendation: {
      summary: a.confirmed
        ? `Create the index the planner confirmed on ${a.table} (${a.columns.join(', ')}). CONCURRENTLY does not block writes; run it outside a transaction.`
        : `Try an index on ${a.table} (${a.columns.join(', ')}) on a copy first: the planner could not confirm it here.`,
      code: a.createStatement,
    },
  };
}

/**
 * The share of the table's rows the class's filter keeps: the advice's (from the plan), else, for a statement that
 * returns rows rather than an aggregate (more than one row per call), the rows per call over the rows its full scan
 * examines. Null when unknown.
 */
function keptShare(e: ExplainResult, g: QueryGroup): number | null {
  const a = e.indexAdvice[0]!;
  if (a.keptShare !== undefined && a.keptShare !== null) return a.keptShare;
  const perCall = g.cls.rows === null ? null : g.cls.rows / g.cls.calls;
  if (perCall === null || perCall <= 1 || !e.plan) return null;
  let examined = 0;
  for (const { node: n } of walkPlan(e.plan)) {
    if (n.relation && n.relation.split('.').pop() === a.table.split('.').pop() && n.planRows !== null) examined = Math.max(examined, n.planRows);
  }
  return examined ? Math.min(1, perCall / examined) : null;
}

/** Findings for one index over several classes: one finding, savings summed, the classes in its scope. */
function merge(fs: RawFinding[]): RawFinding {
  if (fs.length === 1) return fs[0]!;
  const [first] = [...fs].sort((a, b) => b.estimatedSavingMs - a.estimatedSavingMs);
  const calls = fs.reduce((n, f) => n + Number(f.evidence.metrics['calls'] ?? 0), 0);
  return {
    ...first!,
    id: `${first!.id}+${fs.length - 1}`,
    scope: fs.flatMap((f) => f.scope ?? []),
    title: first!.title.replace(/: \d+ call\(s\) scan the table$/, `: ${calls} call(s) of ${fs.length} statement classes scan the table`),
    estimatedSavingMs: round3(fs.reduce((n, f) => n + f.estimatedSavingMs, 0)),
    savingModel: `the sum over the ${fs.length} statement classes it serves: ${fs.map((f) => f.savingModel).join('; ')}`,
    evidence: { ...first!.evidence, summary: `${first!.evidence.summary} The same index serves ${fs.length} statement classes.`, metrics: { ...first!.evidence.metrics, calls, statementClasses: fs.length } },
  };
}
