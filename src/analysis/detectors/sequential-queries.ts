import { round3 } from '../intervals';
import type { LongCall } from '../sweep';
import type { Detector, RawFinding } from './types';

/**
 * Independent queries run one after another: long statements of different classes, each starting as the
 * previous one ends, with (almost) no work of the job in between, so none can have used the previous
 * one's rows. On separate connections they could run at the same time. Whether they really are independent
 * only the code can tell, hence low confidence.
 *
 * Saving model: for each such chain, sum of durations - the longest (Promise.all over a pool), bounded by
 * the chain's time on the critical path.
 */
export const sequentialQueries: Detector = {
  id: 'sequential-queries',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const long = ctx.run.longCalls.filter((c) => c.end - c.start >= t.minOverlapQueryMs);
    if (long.length === 0) return { status: 'no-data', reason: `no statement took ${t.minOverlapQueryMs} ms or more` };
    const groups = trace.source.groups;
    const classId = new Map(ctx.queries.map((g) => [g.group, g.cls.id]));
    const findings: RawFinding[] = [];
    const chains: LongCall[][] = [];
    let cur: LongCall[] = [];
    for (const s of long) {
      const prev = cur[cur.length - 1];
      const gap = prev ? s.start - prev.end : Number.POSITIVE_INFINITY;
      // Next in the chain: starts after the previous ends, within the gap, a different statement, and no other
      // I/O call of the run started in between (the counts of I/O starts before each boundary, from the main pass).
      if (prev && gap >= 0 && gap <= t.maxIndependentGapMs && groups[s.group]!.fingerprint !== groups[prev.group]!.fingerprint
        && s.ioStartsBefore === prev.ioStartsBeforeEnd) cur.push(s);
      else { if (cur.length > 1) chains.push(cur); cur = [s]; }
    }
    if (cur.length > 1) chains.push(cur);
    for (const chain of chains) {
      const sum = chain.reduce((a, s) => a + s.end - s.start, 0);
      const longest = Math.max(...chain.map((s) => s.end - s.start));
      const saving = Math.min(sum - longest, ctx.soleOfCalls(chain));
      const fps = chain.map((s) => groups[s.group]!.fingerprint || groups[s.group]!.name);
      findings.push({
        id: `sequential-queries:${fps.map((f) => f.slice(0, 40)).join('|')}`,
        kind: 'sequential-queries',
        title: `${chain.length} long independent-looking queries ran one after another (${round3(sum / 1000)} s)`,
        category: 'db',
        scope: [...new Set(chain.map((s) => `query:${classId.get(s.group) ?? s.group}`))],
        estimatedSavingMs: round3(Math.max(0, saving)),
        confidence: 'low',
        savingModel: `run at the same time on separate connections, the chain takes its longest query (${round3(longest)} ms) instead of the sum (${round3(sum)} ms); assumes none needs another's result`,
        evidence: {
          summary: `back to back, each ${t.minOverlapQueryMs} ms or more, at most ${t.maxIndependentGapMs} ms apart: ${fps.map((f) => f.slice(0, 60)).join(' ; ')}`,
          metrics: { queries: chain.length, sumMs: round3(sum), longestMs: round3(longest) },
          fingerprint: fps[0]!,
        },
        recommendation: {
          summary: `If they do not depend on each other, run them at once over a pool of ${chain.length} connections.`,
          code: [
            `const pool = new pg.Pool({ max: ${chain.length} });`,
            `const [${chain.map((_, i) => `r${i + 1}`).join(', ')}] = await Promise.all([`,
            ...chain.map(() => `  pool.query(/* ... */),`),
            `]);`,
          ].join('\n'),
        },
      });
    }
    return { status: 'ran', findings };
  },
};
