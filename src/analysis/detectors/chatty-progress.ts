import { round3 } from '../intervals';
import type { Detector, RawFinding } from './types';
import { keyValues, mainTable, verbOf } from './sql-shape';
import { clientCpuSaving } from './span-stats';

/**
 * Chatty progress updates: the same row UPDATEd over and over, many times a second (a progress counter or a
 * heartbeat written after every record). Told apart from a row-by-row update of many rows by the probes'
 * value tracking: the key's value (a bind parameter or a literal inlined in the text) never changed. Each write is a round trip, a row version (dead
 * tuple in PostgreSQL, undo in InnoDB) and under autocommit a commit; nobody reads progress faster than a
 * screen refreshes.
 *
 * Saving model: throttled to one write per thresholds.progressIntervalMs, the class makes
 * ceil(active time / interval) + 1 calls instead of `calls`; saving = the class's time on the critical path
 * minus those calls at the class's median latency.
 */
export const chattyProgress: Detector = {
  id: 'chatty-progress',
  detect(_trace, ctx) {
    const updates = ctx.queries.filter((g) => verbOf(g.cls.fingerprint) === 'update');
    if (updates.length === 0) return { status: 'no-data', reason: 'no UPDATE statements were recorded' };
    const t = ctx.thresholds;
    const findings: RawFinding[] = [];
    let tracked = 0;
    for (const g of updates) {
      if (g.cls.calls < t.minRepeatedCalls) continue;
      const key = keyValues(g.cls.fingerprint, g.cls.system, ctx);
      if (key === null || key.constant === null) continue;
      tracked++;
      if (!key.constant) continue;
      const column = key.lookup.columns.join(', ');
      const first = g.stats.firstStart;
      const last = g.stats.lastEnd;
      const activeMs = Math.max(1, last - first);
      const perSecond = g.cls.calls / (activeMs / 1000);
      if (perSecond < t.maxProgressWritesPerSecond) continue;
      const sole = g.stats.soleMs;
      const p50 = g.stats.durations.quantile(0.5);
      const after = Math.min(g.cls.calls, Math.ceil(activeMs / t.progressIntervalMs) + 1);
      const client = clientCpuSaving(ctx, g, g.cls.calls - after);
      const saving = Math.max(0, sole - after * p50) + client.ms;
      if (sole < t.minRepeatedTotalMs) continue;
      const table = key.lookup.table ?? mainTable(g.cls.fingerprint) ?? 'the table';
      findings.push({
        id: `chatty-progress:${g.cls.id}`,
        kind: 'chatty-progress',
        title: `Chatty progress updates: one ${table} row written ${g.cls.calls} times, ${round3(perSecond)} per second`,
        category: 'db',
        scope: [`query:${g.cls.id}`],
        estimatedSavingMs: round3(saving),
        confidence: 'high',
        savingModel: `${round3(sole)} ms of these UPDATEs on the critical path minus ${after} throttled writes (one per ${t.progressIntervalMs} ms over ${round3(activeMs)} ms) at the median ${round3(p50)} ms${client.model}`,
        evidence: {
          summary: `${g.cls.calls} UPDATEs of the same ${table} row (the ${column} value never changed), ${round3(perSecond)} per second, median ${round3(p50)} ms`,
          metrics: { calls: g.cls.calls, totalMs: g.cls.totalMs, criticalMs: round3(sole), perSecond: round3(perSecond), p50Ms: round3(p50), activeMs: round3(activeMs) },
          queryClassId: g.cls.id,
          fingerprint: g.cls.fingerprint,
        },
        recommendation: {
          summary: `Write the progress at most once every ${t.progressIntervalMs / 1000} s (and once at the end), not after every record.`,
          code: [
            `let lastWrite = 0;`,
            `async function reportProgress(done, total, force = false) {`,
            `  const now = Date.now();`,
            `  if (!force && done < total && now - lastWrite < ${t.progressIntervalMs}) return;`,
            `  lastWrite = now;`,
            `  await ${/postgres/i.test(g.cls.system) ? 'client' : 'conn'}.query(/* the same UPDATE */);`,
            `}`,
          ].join('\n'),
        },
      });
    }
    if (tracked === 0 && findings.length === 0) {
      return { status: 'no-data', reason: 'the repeated UPDATEs have no key the grammar could read, or their values were not tracked (callback-style calls, foreign traces, older probes): cannot tell one row updated many times from many rows' };
    }
    return { status: 'ran', findings };
  },
};
