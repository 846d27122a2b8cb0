import { round3 } from '../intervals';
import type { QueryGroup } from '../query-digest';
import type { Detector, DetectorContext, RawFinding } from './types';
import { keyValues, mainTable, verbOf, type KeyValues } from './sql-shape';
import { clientCpuSaving } from './span-stats';

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
 * The probes count the distinct keys (from hashes of the values, bound or inlined): when the calls use far fewer
 * keys than there are calls (at most half), the same rows are read again and again and the fix is a cache, whose
 * saving is the class's critical-path time minus one lookup per distinct key at the median latency. Without value
 * tracking, calls stand in for distinct keys.
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
      if (g.cls.calls < t.minRepeatedCalls || g.cls.totalMs < t.minRepeatedTotalMs) continue;
      // Read with the engine's grammar: however an ORM wraps the key (parentheses, quoted and qualified names,
      // casts, LIMIT), bound or inlined.
      const key = keyValues(g.cls.fingerprint, g.cls.system, ctx);
      if (!key) continue;
      // A column without an index is no key: when EXPLAIN shows each call scanning the table, the cost is the scan
      // (the missing-index finding), not the round trips.
      const ex = ctx.explains?.find((e) => e.queryClassId === g.cls.id);
      if (ex && (ex.indexAdvice.length > 0 || ex.diagnostics.some((d) => d.kind === 'seq-scan-filter' || d.kind === 'full-scan'))) continue;
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

function buildFinding(g: QueryGroup, kv: KeyValues, meanRows: number | null, perRow: number, ctx: DetectorContext, source: QueryGroup | null): RawFinding {
  const t = ctx.thresholds;
  const occupied = g.stats.soleMs;
  const concurrency = g.stats.maxConcurrency;
  const p50 = g.stats.durations.quantile(0.5);
  const keyCols = kv.lookup.columns.join(', ');
  const table = kv.lookup.table ?? mainTable(g.cls.fingerprint) ?? 'the table';
  // Few keys for many calls: the same rows read again and again; a cache, not a batch.
  if (kv.distinct !== null && kv.distinct <= g.cls.calls / 2) return repeatedLookup(g, kv, table, keyCols, occupied, p50, perRow, ctx);
  const key = { column: kv.lookup.columns[0]! };
  const batches = Math.ceil(g.cls.calls / t.batchSize);
  const rows = g.cls.rows ?? g.cls.calls;
  const batchCost = batches * p50 + rows * perRow;
  const client = clientCpuSaving(ctx, g, g.cls.calls - batches);
  const saving = Math.max(0, occupied - batchCost) + client.ms;
  const pg = /postgres/i.test(g.cls.system);
  const batchedSql = pg ? `select * from ${table} where ${key.column} = any($1)` : `select * from ${table} where ${key.column} in (?)`;
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
    savingModel: `time the ${g.cls.calls} calls occupied on the critical path (${round3(occupied)} ms, overlaps counted once) minus ${batches} batched round trip(s) at the median ${round3(p50)} ms and ${rows} rows at ${round3(perRow)} ms/row${client.model}`,
    evidence: {
      summary: `${g.cls.calls} calls of one SELECT by ${keyCols}${kv.distinct !== null ? ` with about ${kv.distinct} distinct keys` : ''}${meanRows !== null ? `, ${round3(meanRows)} rows per call on average` : ''}, ${concurrency > 1 ? `up to ${concurrency} at once` : 'one after another'}${source ? `, after a query that returned ${source.cls.rows} rows` : ''}`,
      metrics: {
        calls: g.cls.calls, totalMs: g.cls.totalMs, occupiedMs: round3(occupied), p50Ms: round3(p50), p95Ms: g.cls.p95Ms,
        maxConcurrency: concurrency, ...(meanRows !== null ? { rowsPerCall: round3(meanRows) } : {}),
        ...(kv.distinct !== null ? { distinctKeys: kv.distinct } : {}),
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

/**
 * Many lookups of fewer keys (each row read again and again): the distinct rows loaded once, in batches, into a
 * Map; one round trip per `batchSize` distinct keys remains, and the rows at the per-row cost.
 */
function repeatedLookup(g: QueryGroup, kv: KeyValues, table: string, keyCols: string, occupied: number, p50: number, perRow: number, ctx: DetectorContext): RawFinding {
  const distinct = kv.distinct!;
  const t = ctx.thresholds;
  const batches = Math.ceil(distinct / t.batchSize);
  const client = clientCpuSaving(ctx, g, g.cls.calls - batches);
  const saving = Math.max(0, occupied - (batches * p50 + distinct * perRow)) + client.ms;
  const reads = Math.round(g.cls.calls / Math.max(1, distinct));
  return {
    id: `n-plus-one-read:${g.cls.id}`,
    kind: 'n-plus-one-read',
    scope: [`query:${g.cls.id}`],
    title: kv.constant ? `Repeated lookup: the same ${table} row read ${g.cls.calls} times` : `N+1 reads: ${g.cls.calls} lookups of about ${distinct} ${table} rows, each read ${reads} times`,
    category: 'db',
    estimatedSavingMs: round3(saving),
    confidence: 'high',
    savingModel: `time the ${g.cls.calls} calls occupied on the critical path (${round3(occupied)} ms) minus ${batches} batched round trip(s) for the ${distinct} distinct key(s) at the median ${round3(p50)} ms and ${distinct} rows at ${round3(perRow)} ms/row${client.model}`,
    evidence: {
      summary: `${g.cls.calls} calls of one SELECT by ${keyCols} used ${kv.constant ? 'one key' : `about ${distinct} distinct keys`} (counted in the process from hashes of the values)`,
      metrics: { calls: g.cls.calls, distinctKeys: distinct, totalMs: g.cls.totalMs, occupiedMs: round3(occupied), p50Ms: round3(p50) },
      queryClassId: g.cls.id,
      fingerprint: g.cls.fingerprint,
    },
    recommendation: {
      summary: kv.constant
        ? `Read the ${table} row once before the loop and reuse it.`
        : `Load the ${distinct} ${table} rows once, ${t.batchSize} keys per query, into a Map by ${keyCols} (or cache each row after its first read): each is read ${reads} times today.`,
      code: [
        `const cache = new Map();`,
        `async function lookup(key) {`,
        `  let row = cache.get(key);`,
        `  if (row === undefined) { row = await readOne(key); cache.set(key, row); } // readOne: the per-record query`,
        `  return row;`,
        `}`,
      ].join('\n'),
    },
  };
}
