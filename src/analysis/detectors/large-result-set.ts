import { round3 } from '../intervals';
import { verbOf } from './sql-shape';
import type { Detector, RawFinding } from './types';

/**
 * Large result sets read whole into memory: a SELECT returning hundreds of thousands of rows in one call.
 * The driver builds every row as an object before the job sees the first one: memory grows with the input
 * (a job that fits today runs out of memory next quarter) and the heap the GC must walk grows with it.
 *
 * Saving model: none claimed for time (GC time is the gc-pressure finding's); reported for the risk.
 */
export const largeResultSet: Detector = {
  id: 'large-result-set',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const selects = ctx.queries.filter((g) => verbOf(g.cls.fingerprint) === 'select' && g.cls.rows !== null);
    if (selects.length === 0) return { status: 'no-data', reason: 'no SELECT with a row count was recorded' };
    const peak = Math.max(0, ...trace.processes.map((p) => p.footer?.memory.maxRss ?? 0));
    const findings: RawFinding[] = [];
    for (const g of selects) {
      const biggest = g.stats.maxRows;
      if (biggest < t.largeResultRows) continue;
      const pg = /postgres/i.test(g.cls.system);
      findings.push({
        id: `large-result-set:${g.cls.id}`,
        kind: 'large-result-set',
        title: `${biggest} rows read at once into memory`,
        category: 'db',
        scope: [`query:${g.cls.id}`],
        estimatedSavingMs: 0,
        confidence: 'high',
        savingModel: 'no time saving claimed: the cost is memory (GC time, if high, is in the gc-pressure finding)',
        risk: `Memory grows with the input: ${biggest} rows are held as objects at once${peak ? ` (peak RSS ${round3(peak / 1048576)} MiB)` : ''}; a larger input will run out of memory.`,
        evidence: {
          summary: `up to ${biggest} rows per call, ${g.cls.calls} call(s)`,
          metrics: { maxRows: biggest, calls: g.cls.calls, totalMs: g.cls.totalMs, ...(peak ? { peakRssBytes: peak } : {}) },
          queryClassId: g.cls.id,
          fingerprint: g.cls.fingerprint,
        },
        recommendation: pg
          ? {
            summary: 'Read it in batches with a cursor (pg-cursor) or stream it (pg-query-stream), and process each batch before fetching the next.',
            code: [`const Cursor = require('pg-cursor');`, `const cursor = client.query(new Cursor(sql, params));`, `for (let rows; (rows = await cursor.read(10000)).length; ) await handle(rows);`, `await cursor.close();`].join('\n'),
          }
          : {
            summary: 'Stream the rows (mysql2: connection.query(sql).stream()) and process them as they arrive.',
            code: [`const stream = conn.query(sql, params).stream({ highWaterMark: 1000 });`, `for await (const row of stream) await handle(row);`].join('\n'),
          },
      });
    }
    return { status: 'ran', findings };
  },
};
