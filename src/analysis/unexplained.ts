import type { ExplainResult } from '../model/db';
import type { RawFinding } from './detectors/types';
import { round3 } from './intervals';
import type { QueryGroup } from './query-digest';

/**
 * Share of the wall time (0..1) on the critical path above which one statement class must be accounted for: a
 * quarter of the run is the run's biggest cost in all but pathological cases, and a report that says nothing
 * about it is worse than one that says "we cannot tell why".
 */
export const UNEXPLAINED_MIN_SHARE = 0.25;

/**
 * The statement classes that dominate the run and that no finding covers, as findings that say what is known:
 * calls, latency, rows, and what EXPLAIN said or why it did not run. No saving is claimed (nothing says what
 * would shorten them); they carry a risk line so that they are reported. Pure.
 */
export function unexplainedClasses(groups: readonly QueryGroup[], findings: readonly RawFinding[], wallMs: number, explains: readonly ExplainResult[] | null): RawFinding[] {
  const covered = new Set(findings.flatMap((f) => f.scope ?? []));
  const out: RawFinding[] = [];
  for (const g of groups) {
    const share = g.stats.soleMs / Math.max(1, wallMs);
    if (share < UNEXPLAINED_MIN_SHARE || covered.has(`query:${g.cls.id}`)) continue;
    const ex = explains?.find((e) => e.queryClassId === g.cls.id) ?? null;
    const explained = ex === null
      ? 'it was not explained (no database connection or statement sample for EXPLAIN, or --no-explain)'
      : ex.plan === null
        ? `EXPLAIN did not run: ${ex.note ?? 'no reason given'}`
        : ex.diagnostics.length
          ? `its plan shows ${ex.diagnostics.map((d) => d.message).slice(0, 2).join('; ')}`
          : 'its plan shows nothing an index or a rewrite would fix';
    const p50 = g.stats.durations.quantile(0.5);
    const rowsPerCall = g.cls.rows === null ? null : g.cls.rows / g.cls.calls;
    out.push({
      id: `unexplained-cost:${g.cls.id}`,
      kind: 'unexplained-cost',
      title: `${round3(share * 100)}% of the run in one statement class no detector explains`,
      category: 'db',
      scope: [`query:${g.cls.id}`],
      estimatedSavingMs: 0,
      confidence: 'low',
      savingModel: 'no saving claimed: no detector found what would shorten these calls',
      risk: `${g.cls.calls} call(s) took ${round3(g.stats.soleMs)} ms on the critical path (${round3(share * 100)}% of the wall); ${explained}.`,
      evidence: {
        summary: `${g.cls.calls} call(s), median ${round3(p50)} ms${rowsPerCall !== null ? `, ${round3(rowsPerCall)} rows per call` : ''}; ${explained}`,
        metrics: { calls: g.cls.calls, criticalMs: round3(g.stats.soleMs), wallShare: round3(share), p50Ms: round3(p50), ...(rowsPerCall !== null ? { rowsPerCall: round3(rowsPerCall) } : {}) },
        queryClassId: g.cls.id,
        fingerprint: g.cls.fingerprint,
      },
      recommendation: {
        summary: /^\s*copy\b/i.test(g.cls.fingerprint)
          ? 'A COPY is PostgreSQL\'s bulk path already. If the job builds or consumes the rows during it (see the CPU profile), make that side cheaper or run it in parallel with the COPY; otherwise the server\'s load time is the floor (fewer indexes or constraints on the target during the load, or an UNLOGGED staging table, shorten it).'
          : ex === null || ex.plan === null
          ? 'Run `batch-doctor explain` on this statement with the job\'s database settings (or profile again with --db), then look at its plan: the time is in the server or the transfer.'
          : 'Read the plan (batch-doctor explain --analyze on a copy): the time is in the server\'s execution or the transfer of its rows.',
      },
    });
  }
  return out;
}
