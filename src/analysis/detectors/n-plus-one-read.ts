import { round3 } from '../intervals';
import type { QueryGroup } from '../query-digest';
import type { Detector, DetectorContext, RawFinding } from './types';
import { mainTable, singleKeyPredicate, verbOf } from './sql-shape';
import { pgKeyLookup } from '../../db/pg-parser';

/**
 * N+1 reads: one SELECT by key, issued once per record of an earlier result,
 * sequentially or concurrently (pool-connect spans in between do not matter:
 * spans are grouped by statement class, not by adjacency).
 *
 * Saving model: the wall time the class's calls occupy on the critical path
 * (the union of their spans, so concurrent calls are not double-counted, less
 * the time other I/O was pending alongside) minus the cost of the
 * batched replacement: ceil(calls / batchSize) round trips at the class's
 * median latency, plus rows x the per-row cost. The per-row cost comes from
 * the run itself (the slowest-per-row multi-row SELECT of the run, i.e. the
 * pessimistic figure) or, failing that, thresholds.defaultPerRowMs.
 * Calls are an upper bound on distinct keys (bind values are not recorded).
 */
export const nPlusOneRead: Detector = {
  id: 'n-plus-one-read',
  detect(trace, ctx) {
    const selects = ctx.queries.filter((g) => verbOf(g.cls.fingerprint) === 'select');
    if (selects.length === 0) return { status: 'no-data', reason: 'no SELECT statements were recorded' };
    const t = ctx.thresholds;
    const perRow = perRowMs(ctx.queries, t.minRepeatedCalls) ?? t.defaultPerRowMs;
    const findings: RawFinding[] = [];
    for (const g of selects) {
      // The plain `where col = $1` form by its shape; anything an ORM wraps (parentheses, qualified and quoted names,
      // casts) through PostgreSQL's own parser when it is loaded (the CLI loads it before analysing).
      const key = singleKeyPredicate(g.cls.fingerprint) ?? (g.cls.system === 'postgresql' ? pgKeyLookup(g.cls.fingerprint) : null);
      if (!key || g.cls.calls < t.minRepeatedCalls || g.cls.totalMs < t.minRepeatedTotalMs) continue;
      const meanRows = g.cls.rows === null ? null : g.cls.rows / g.cls.calls;
      if (meanRows !== null && meanRows > t.maxRowsPerLookup) continue;
      findings.push(buildFinding(g, key, meanRows, perRow, ctx, findSource(ctx.queries, g)));
    }
    void trace;
    return { status: 'ran', findings };
  },
};

/** Per-row cost of the run's multi-row SELECTs (ms/row): the highest seen, so the batch estimate is not optimistic. */
function perRowMs(queries: QueryGroup[], minRows: number): number | null {
  let best: number | null = null;
  for (const g of queries) {
    if (verbOf(g.cls.fingerprint) !== 'select' || g.cls.rows === null || g.cls.rows / g.cls.calls < minRows) continue;
    const v = g.cls.p50Ms / (g.cls.rows / g.cls.calls);
    if (best === null || v > best) best = v;
  }
  return best;
}

/** The query whose rows drive the lookups: started before them and returned at least as many rows as there were calls / 2. */
function findSource(queries: QueryGroup[], g: QueryGroup): QueryGroup | null {
  const firstCall = g.stats.firstStart;
  let best: QueryGroup | null = null;
  for (const q of queries) {
    if (q === g || q.cls.rows === null || q.stats.firstStart > firstCall) continue;
    if (q.cls.rows >= g.cls.calls / 2 && (!best || q.cls.rows > best.cls.rows!)) best = q;
  }
  return best;
}

function buildFinding(g: QueryGroup, key: { column: string; param: string }, meanRows: number | null, perRow: number, ctx: DetectorContext, source: QueryGroup | null): RawFinding {
  const t = ctx.thresholds;
  const occupied = g.stats.soleMs;
  const concurrency = g.stats.maxConcurrency;
  const p50 = g.stats.durations.quantile(0.5);
  const batches = Math.ceil(g.cls.calls / t.batchSize);
  const rows = g.cls.rows ?? g.cls.calls;
  const batchCost = batches * p50 + rows * perRow;
  const saving = Math.max(0, occupied - batchCost);
  const table = mainTable(g.cls.fingerprint) ?? 'the table';
  const pg = /postgres/i.test(g.cls.system);
  const batchedSql = pg
    ? g.cls.fingerprint.replace(new RegExp(`=\\s*\\${key.param}`), '= any($1)')
    : g.cls.fingerprint.replace(/=\s*\?/, 'in (?)');
  const col = key.column.replace(/^.*\./, '').replace(/["`]/g, '');
  const code = [
    `// before: one query per record`,
    `// after: one query per ${t.batchSize} keys`,
    `const keys = [...new Set(records.map((r) => r.${col}))];`,
    `const byKey = new Map();`,
    `for (let i = 0; i < keys.length; i += ${t.batchSize}) {`,
    pg
      ? `  const { rows } = await client.query(${JSON.stringify(batchedSql)}, [keys.slice(i, i + ${t.batchSize})]);`
      : `  const [rows] = await conn.query(${JSON.stringify(batchedSql)}, [keys.slice(i, i + ${t.batchSize})]);`,
    `  for (const row of rows) byKey.set(row.${col}, row);`,
    `}`,
    `// then read byKey.get(record.${col}) where the per-record query was`,
  ].join('\n');
  return {
    id: `n-plus-one-read:${g.cls.id}`,
    kind: 'n-plus-one-read',
    scope: [`query:${g.cls.id}`],
    title: `N+1 reads: ${g.cls.calls} single-key lookups on ${table}`,
    category: 'db',
    estimatedSavingMs: round3(saving),
    confidence: g.cls.calls >= 5 * t.minRepeatedCalls ? 'high' : 'medium',
    savingModel: `time the ${g.cls.calls} calls occupied on the critical path (${round3(occupied)} ms, overlaps counted once) minus ${batches} batched round trip(s) at the median ${round3(p50)} ms and ${rows} rows at ${round3(perRow)} ms/row`,
    evidence: {
      summary: `${g.cls.calls} calls of one SELECT by ${key.column}${meanRows !== null ? `, ${round3(meanRows)} rows per call on average` : ''}, ${concurrency > 1 ? `up to ${concurrency} at once` : 'one after another'}${source ? `, after a query that returned ${source.cls.rows} rows` : ''}`,
      metrics: {
        calls: g.cls.calls, totalMs: g.cls.totalMs, occupiedMs: round3(occupied), p50Ms: round3(p50), p95Ms: g.cls.p95Ms,
        maxConcurrency: concurrency, ...(meanRows !== null ? { rowsPerCall: round3(meanRows) } : {}),
        ...(source ? { sourceRows: source.cls.rows!, sourceQueryClassId: source.cls.id } : {}),
      },
      queryClassId: g.cls.id,
      fingerprint: g.cls.fingerprint,
    },
    recommendation: {
      summary: `Fetch the ${table} rows for many keys at once: ${pg ? '`= any($1)` with an array of keys' : '`IN (?)` with an array of keys'}, ${t.batchSize} keys per query, and look them up in a Map.`,
      code,
    },
  };
}
