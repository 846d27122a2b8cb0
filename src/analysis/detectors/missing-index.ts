import type { ExplainResult } from '../../model/db';
import { round3 } from '../intervals';
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
 */
export const missingIndex: Detector = {
  id: 'missing-index',
  detect(_trace, ctx) {
    if (!ctx.explains) return { status: 'no-data', reason: 'No EXPLAIN ran for this run (no database connection for EXPLAIN, --no-explain, or no statement sample was captured).' };
    const withAdvice = ctx.explains.filter((e) => e.indexAdvice.length > 0);
    const findings: RawFinding[] = [];
    for (const e of withAdvice) {
      const g = ctx.queries.find((q) => q.cls.id === e.queryClassId);
      if (!g) continue;
      findings.push(buildFinding(e, g, ctx));
    }
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
