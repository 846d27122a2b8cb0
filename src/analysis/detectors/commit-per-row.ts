import { round3 } from '../intervals';
import { weightedMedianMs } from './span-stats';
import { verbOf } from './sql-shape';
import type { Detector } from './types';

const COMMIT = /^(commit|end)\b/;
const BEGIN = /^(begin|start transaction)\b/;

/**
 * A commit per row: explicit transactions that each hold one or two writes. Every COMMIT waits for the
 * write-ahead log (PostgreSQL) or redo log (InnoDB) to reach disk (unless the server trades that
 * durability away), and BEGIN/COMMIT are round trips of their own. Under autocommit the per-row commit is
 * inside each write, and row-by-row-write covers it.
 *
 * Saving model: one transaction per thresholds.batchSize writes: saving = the BEGINs' and COMMITs' time on
 * the critical path minus ceil(writes / batchSize) x (median BEGIN + median COMMIT).
 */
export const commitPerRow: Detector = {
  id: 'commit-per-row',
  detect(_trace, ctx) {
    const commits = ctx.queries.filter((g) => COMMIT.test(g.cls.fingerprint));
    if (commits.length === 0) return { status: 'no-data', reason: 'no explicit COMMIT statements were recorded' };
    const t = ctx.thresholds;
    const begins = ctx.queries.filter((g) => BEGIN.test(g.cls.fingerprint));
    const writes = ctx.queries.filter((g) => ['insert', 'update', 'delete', 'replace'].includes(verbOf(g.cls.fingerprint))).reduce((a, g) => a + g.cls.calls, 0);
    const commitCalls = commits.reduce((a, g) => a + g.cls.calls, 0);
    const beginCalls = begins.reduce((a, g) => a + g.cls.calls, 0);
    const commitP50 = weightedMedianMs(commits), beginP50 = weightedMedianMs(begins);
    if (commitCalls < t.minRepeatedCalls || writes === 0 || writes / commitCalls > t.maxWritesPerSmallTransaction) return { status: 'ran', findings: [] };
    const sole = ctx.soleOfGroups([...commits, ...begins].map((g) => g.group));
    const txAfter = Math.ceil(writes / t.batchSize);
    const cost = txAfter * (commitP50 + beginP50);
    const saving = Math.max(0, sole - cost);
    return {
      status: 'ran',
      findings: [{
        id: 'commit-per-row',
        kind: 'commit-per-row',
        title: `A commit per row: ${commitCalls} transactions for ${writes} writes`,
        category: 'db',
        scope: [...commits, ...begins].map((g) => `query:${g.cls.id}`),
        estimatedSavingMs: round3(saving),
        confidence: 'high',
        savingModel: `${round3(sole)} ms of BEGIN/COMMIT on the critical path minus ${txAfter} transaction(s) of ${t.batchSize} writes at the median BEGIN + COMMIT ${round3(commitP50 + beginP50)} ms`,
        evidence: {
          summary: `${commitCalls} COMMITs (median ${round3(commitP50)} ms) for ${writes} INSERT/UPDATE/DELETE statements: ${round3(writes / commitCalls)} writes per transaction`,
          metrics: { commits: commitCalls, begins: beginCalls, writes, commitP50Ms: round3(commitP50), criticalMs: round3(sole) },
        },
        recommendation: {
          summary: `Commit once per ${t.batchSize} rows (or once per run when a partial load is useless anyway), not after every row.`,
          code: [
            `await client.query('BEGIN');`,
            `for (let i = 0; i < rows.length; i++) {`,
            `  await client.query(sql, params(rows[i]));`,
            `  if ((i + 1) % ${t.batchSize} === 0) { await client.query('COMMIT'); await client.query('BEGIN'); }`,
            `}`,
            `await client.query('COMMIT');`,
          ].join('\n'),
        },
      }],
    };
  },
};
