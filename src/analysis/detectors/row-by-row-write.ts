import { round3 } from '../intervals';
import type { Detector, RawFinding } from './types';
import { insertColumns, keyValues, mainTable, verbOf } from './sql-shape';
import { clientCpuSaving } from './span-stats';

/**
 * Row-by-row writes: a single-row INSERT (or an UPDATE/DELETE by key) repeated
 * per record, each its own statement and, under autocommit, its own commit.
 *
 * Saving model: time the calls occupied on the critical path (union of their
 * spans less the time other I/O was pending alongside) minus
 * ceil(calls / batchSize) statements at the class's median latency plus
 * rows x thresholds.defaultPerRowMs of server work. Under autocommit the
 * per-row commit (a log flush) goes away too; it is inside the measured
 * latency, so the model needs no separate term.
 */
export const rowByRowWrite: Detector = {
  id: 'row-by-row-write',
  detect(_trace, ctx) {
    const writes = ctx.queries.filter((g) => ['insert', 'update', 'delete', 'replace'].includes(verbOf(g.cls.fingerprint)));
    if (writes.length === 0) return { status: 'no-data', reason: 'no INSERT, UPDATE or DELETE statements were recorded' };
    const t = ctx.thresholds;
    const findings: RawFinding[] = [];
    for (const g of writes) {
      const verb = verbOf(g.cls.fingerprint);
      if (g.cls.calls < t.minRepeatedCalls || g.cls.totalMs < t.minRepeatedTotalMs) continue;
      const rowsPerCall = g.cls.rows === null ? null : g.cls.rows / g.cls.calls;
      if (rowsPerCall !== null && rowsPerCall > 1.5) continue;
      if (verb === 'insert' || verb === 'replace') { if (!/\bvalues\s*\(\?\+\)/.test(g.cls.fingerprint) || /\bselect\b/.test(g.cls.fingerprint)) continue; }
      else {
        const key = keyValues(g.cls.fingerprint, g.cls.system, ctx);
        if (!key || key.lookup.form !== 'eq') continue;
        // The same row every time is a progress counter (chatty-progress), not a row-by-row write of many rows.
        if (key.constant) continue;
      }
      const occupied = g.stats.soleMs;
      const p50 = g.stats.durations.quantile(0.5);
      const batches = Math.ceil(g.cls.calls / t.batchSize);
      const rows = g.cls.rows ?? g.cls.calls;
      const client = clientCpuSaving(ctx, g, g.cls.calls - batches);
      const saving = Math.max(0, occupied - (batches * p50 + rows * t.defaultPerRowMs)) + client.ms;
      const table = mainTable(g.cls.fingerprint) ?? 'the table';
      const pg = /postgres/i.test(g.cls.system);
      findings.push({
        id: `row-by-row-write:${g.cls.id}`,
        kind: 'row-by-row-write',
        scope: [`query:${g.cls.id}`],
        title: `Row-by-row ${verb.toUpperCase()}: ${g.cls.calls} single-row statements on ${table}`,
        category: 'db',
        estimatedSavingMs: round3(saving),
        confidence: 'medium',
        savingModel: `time the ${g.cls.calls} statements occupied on the critical path (${round3(occupied)} ms) minus ${batches} multi-row statement(s) at the median ${round3(p50)} ms and ${rows} rows at ${t.defaultPerRowMs} ms/row${client.model}`,
        evidence: {
          summary: `${g.cls.calls} ${verb.toUpperCase()} statements of ${rowsPerCall === null ? 'one row each (by shape)' : `${round3(rowsPerCall)} row(s) each`}, median ${round3(p50)} ms`,
          metrics: { calls: g.cls.calls, totalMs: g.cls.totalMs, occupiedMs: round3(occupied), p50Ms: round3(p50), ...(rowsPerCall !== null ? { rowsPerCall: round3(rowsPerCall) } : {}) },
          queryClassId: g.cls.id,
          fingerprint: g.cls.fingerprint,
        },
        recommendation: recommend(verb, table, insertColumns(g.cls.fingerprint), pg, t.batchSize),
      });
    }
    return { status: 'ran', findings };
  },
};

function recommend(verb: string, table: string, cols: string[] | null, pg: boolean, batch: number): RawFinding['recommendation'] {
  if (verb !== 'insert' && verb !== 'replace') {
    return {
      summary: `Apply the ${verb.toUpperCase()}s in sets of ${batch} in one statement inside one transaction: ${pg ? '`UPDATE ... FROM (SELECT * FROM unnest($1::int[], $2::text[])) AS v(...)`' : '`INSERT ... ON DUPLICATE KEY UPDATE` with many rows'}.`,
    };
  }
  const c = cols ?? ['col1', 'col2'];
  if (pg) {
    return {
      summary: `Insert ${batch} rows per statement (or stream them with COPY) inside one transaction.`,
      code: [
        `// one statement per ${batch} rows: one array parameter per column`,
        `await client.query(`,
        `  'INSERT INTO ${table} (${c.join(', ')}) SELECT * FROM unnest(${c.map((_, i) => `$${i + 1}::text[]`).join(', ')})',`,
        `  [${c.map((x) => `rows.map((r) => r.${x.replace(/["`]/g, '')})`).join(', ')}]);`,
        `// adjust the ::text[] casts to the column types; for millions of rows use COPY (pg-copy-streams)`,
      ].join('\n'),
    };
  }
  return {
    summary: `Insert ${batch} rows per statement inside one transaction (or LOAD DATA LOCAL INFILE for very large loads).`,
    code: [
      `// mysql2 expands a nested array into (..), (..), ...: use query(), not execute()`,
      `await conn.beginTransaction();`,
      `for (let i = 0; i < rows.length; i += ${batch}) {`,
      `  await conn.query('INSERT INTO ${table} (${c.join(', ')}) VALUES ?', [rows.slice(i, i + ${batch}).map((r) => [${c.map((x) => `r.${x.replace(/["`]/g, '')}`).join(', ')}])]);`,
      `}`,
      `await conn.commit();`,
    ].join('\n'),
  };
}
