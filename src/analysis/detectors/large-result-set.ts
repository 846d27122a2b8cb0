import { round3 } from '../intervals';
import { verbOf } from './sql-shape';
import type { FindingMemory } from '../../model/report';
import type { Detector, RawFinding } from './types';
import { heapGrowthDuring, streamingSemiSpace } from '../memory';

/** Rows per batch the recommended cursor reads (the code in the recommendation uses it): the memory model assumes it. */
export const CURSOR_BATCH_ROWS = 10_000;
/** Batches live at once in a streaming loop: the one being handled and the next arriving. */
const LIVE_BATCHES = 2;

/**
 * Large result sets read whole into memory: a SELECT returning hundreds of thousands of rows in one call.
 * The driver builds every row as an object before the job sees the first one: memory grows with the input
 * (a job that fits today runs out of memory next quarter) and the heap the GC must walk grows with it.
 *
 * Saving model, when the job shows it keeps few of the rows (what it writes afterwards, as rows of INSERT/UPDATE/
 * DELETE statements started after the read, is under half of them; a job that writes nothing and uploads nothing
 * keeps none: it reduces the rows to a summary): filtering or aggregating in SQL ships only the kept rows, so the
 * time the read occupied on the critical path (the server's sending, the transfer, and the driver building an
 * object per row, which happens inside the call) and the GC those objects cause outside the read (the run's GC
 * time in proportion to this read's share of all rows the run read and to the share of the run outside the read:
 * GC during the read is already in its time) shrink by the share of rows not kept:
 *   saving = (read critical-path time + GC share) x (1 - kept / rows).
 * The server's own scan stays, and is inside the read time: an upper bound, medium confidence. When the job
 * uses the rows (writes about as many, or uploads a file) no time is claimed: the finding is then about memory
 * (stream or page through it).
 *
 * Memory model (both cases, when the probes sampled memory): the heap's growth while the rows arrived (the highest
 * heap used during the read and the second after it, minus the last sample before it), and the peak with a cursor
 * of CURSOR_BATCH_ROWS rows: the heap before the read, plus two batches' share of the growth (the batch being
 * handled is still referenced while the next one arrives: `rows` holds it until `await cursor.read()` returns the
 * next, and a stream's buffer fills while the consumer works), plus the garbage a
 * streaming loop leaves between two scavenges: every batch's rows, strings and parse buffers become garbage in
 * V8's young generation, which is collected only when one semi-space is full, so heap used saw-tooths up to one
 * semi-space above what is live. The semi-space is the one a streaming loop works with (streamingSemiSpace, from the
 * young generation's capacity the probes read at exit; V8's 16 MiB default when not reported):
 *   predicted peak = base + growth x 2 x batch / rows + the streaming loop's semi-space.
 * Rows promoted to the old generation before they die add to it until the next full collection: it stays an
 * estimate (see the test of the whole/cursor pair, test/e2e/memory.test.ts, for how close it comes).
 */
export const largeResultSet: Detector = {
  id: 'large-result-set',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const selects = ctx.queries.filter((g) => verbOf(g.cls.fingerprint) === 'select' && g.cls.rows !== null);
    if (selects.length === 0) return { status: 'no-data', reason: 'no SELECT with a row count was recorded' };
    const peak = Math.max(0, ...trace.processes.map((p) => p.footer?.memory.maxRss ?? 0));
    const gcMs = trace.processes.reduce((a, p) => a + (p.footer?.gc?.totalMs ?? 0), 0);
    const rowsRead = selects.reduce((a, q) => a + (q.cls.rows ?? 0), 0);
    const findings: RawFinding[] = [];
    for (const g of selects) {
      const biggest = g.stats.maxRows;
      if (biggest < t.largeResultRows) continue;
      const pg = /postgres/i.test(g.cls.system);
      const start = g.stats.firstStart;
      const rows = g.cls.rows ?? biggest;
      // The memory model: what the heap grew by while the rows arrived, and the peak with a cursor holding one batch
      // of CURSOR_BATCH_ROWS rows at a time instead of all of them (the rest of the heap stays as it was).
      const growth = heapGrowthDuring(trace, g.stats.firstStart, g.stats.lastEnd);
      const semiSpace = streamingSemiSpace(growth?.youngGenBytes ?? null);
      const mem = growth && growth.growthBytes > 0 ? {
        heapGrowthBytes: growth.growthBytes, peakHeapBytes: growth.peakBytes, garbageHeadroomBytes: Math.round(semiSpace),
        predictedPeakHeapBytes: Math.round(growth.baseBytes + growth.growthBytes * Math.min(1, (LIVE_BATCHES * CURSOR_BATCH_ROWS) / Math.max(1, biggest)) + semiSpace),
      } : null;
      const findingMemory: FindingMemory | null = mem && growth ? {
        peakBytes: mem.peakHeapBytes, predictedPeakBytes: mem.predictedPeakHeapBytes, heapLimitBytes: growth.heapLimitBytes,
        shareOfLimit: growth.heapLimitBytes ? round3(mem.peakHeapBytes / growth.heapLimitBytes) : null,
        model: `heap before the read + the growth while the rows arrived x ${LIVE_BATCHES} x ${CURSOR_BATCH_ROWS} / ${biggest} rows (the batch handled and the next arriving) + one semi-space of garbage between scavenges (${round3(semiSpace / 1048576)} MiB); time: ${Math.ceil(biggest / CURSOR_BATCH_ROWS)} fetches instead of one, a round trip each, small next to the read (it can be slightly slower)`,
      } : null;
      const memText = mem ? ` The heap grew by ${round3(mem.heapGrowthBytes / 1048576)} MiB while the rows arrived (to ${round3(mem.peakHeapBytes / 1048576)} MiB); read ${CURSOR_BATCH_ROWS} rows at a time, the heap would peak at about ${round3(mem.predictedPeakHeapBytes / 1048576)} MiB (the heap before the read, two batches' share of the growth, and up to ${round3(semiSpace / 1048576)} MiB of garbage between two young-generation collections; sampled every 100 ms: an estimate).` : '';
      // What the job does with the rows afterwards: writes (rows of later write statements) or uploads.
      const written = ctx.queries
        .filter((q) => q !== g && q.stats.firstStart >= start && ['insert', 'update', 'delete', 'replace', 'copy'].includes(verbOf(q.cls.fingerprint)))
        .reduce((a, q) => a + (q.cls.rows ?? q.cls.calls), 0);
      const uploads = trace.spans.some((s) => s.kind === 'ftp' && s.start >= start && /upload|append/i.test(s.name));
      const kept = uploads ? rows : Math.min(rows, written);
      const keptShare = kept / Math.max(1, rows);
      const readMs = g.stats.soleMs;
      // GC during the read is already inside its time (the driver builds the rows on the event loop while the call is
      // in flight); only the GC outside it is added, taken as spread evenly over the run's time.
      const wall = Math.max(1, ctx.breakdown.wallMs);
      const gcShare = rowsRead > 0 ? gcMs * Math.min(1, rows / rowsRead) * Math.max(0, 1 - readMs / wall) : 0;
      if (keptShare < 0.5) {
        const saving = Math.max(0, (readMs + gcShare) * (1 - keptShare));
        findings.push({
          id: `large-result-set:${g.cls.id}`,
          kind: 'large-result-set',
          title: `${rows} rows read to keep ${kept === 0 ? 'none' : `about ${kept}`}: filter in SQL`,
          category: 'db',
          scope: [`query:${g.cls.id}`],
          estimatedSavingMs: round3(saving),
          confidence: 'medium',
          savingModel: `(${round3(readMs)} ms the read occupied on the critical path + ${round3(gcShare)} ms of the run's ${round3(gcMs)} ms GC for its share of the rows read, outside the read) x (1 - ${kept} kept / ${rows} read); the server's scan is inside the read time and stays: an upper bound`,
          risk: `Memory grows with the input: ${biggest} rows are held as objects at once${peak ? ` (peak RSS ${round3(peak / 1048576)} MiB)` : ''}.${memText}`,
          ...(findingMemory ? { memory: findingMemory } : {}),
          evidence: {
            summary: `up to ${biggest} rows per call, ${g.cls.calls} call(s); ${kept === 0 ? 'the job wrote and uploaded nothing afterwards: it reduced the rows in JavaScript' : `the job wrote about ${kept} rows afterwards`}`,
            metrics: { rows, maxRows: biggest, calls: g.cls.calls, keptRows: kept, readMs: round3(readMs), gcShareMs: round3(gcShare), ...(peak ? { peakRssBytes: peak } : {}), ...(mem ?? {}) },
            queryClassId: g.cls.id,
            fingerprint: g.cls.fingerprint,
          },
          recommendation: {
            summary: 'Move the filter (or the aggregation) the job does in JavaScript into the statement\'s WHERE / GROUP BY, so only the rows it keeps leave the server.',
            code: [`// before: every row to the client, filtered there`, `const rows = (await db.query('SELECT * FROM t')).rows.filter((r) => r.status === 'open');`, `// after: the server filters (and an index on the filter column can serve it)`, `const { rows } = await db.query('SELECT * FROM t WHERE status = $1', ['open']);`].join('\n'),
          },
        });
        continue;
      }
      findings.push({
        id: `large-result-set:${g.cls.id}`,
        kind: 'large-result-set',
        title: `${biggest} rows read at once into memory`,
        category: 'db',
        scope: [`query:${g.cls.id}`],
        estimatedSavingMs: 0,
        confidence: 'high',
        savingModel: 'no time saving claimed: the cost is memory (GC time, if high, is in the gc-pressure finding)',
        risk: `Memory grows with the input: ${biggest} rows are held as objects at once${peak ? ` (peak RSS ${round3(peak / 1048576)} MiB)` : ''}; a larger input will run out of memory.${memText}`,
        ...(findingMemory ? { memory: findingMemory } : {}),
        evidence: {
          summary: `up to ${biggest} rows per call, ${g.cls.calls} call(s)`,
          metrics: { maxRows: biggest, calls: g.cls.calls, totalMs: g.cls.totalMs, ...(peak ? { peakRssBytes: peak } : {}), ...(mem ?? {}) },
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
