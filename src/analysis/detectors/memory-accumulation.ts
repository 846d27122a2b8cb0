import { round3 } from '../intervals';
import { fitLine, memoryFloorTrend, streamingSemiSpace } from '../memory';
import { unitKeyOf } from '../../model/trace';
import type { Detector, RawFinding } from './types';

/** Records per chunk the recommendation flushes at: the memory model prices holding one chunk instead of all. */
export const ACCUMULATION_CHUNK_RECORDS = 1000;
/**
 * Share of consecutive floor bins (0..1) that must rise to call the growth steady. 0.7: accumulation adds memory in
 * every stretch of the run (a major collection can flatten one or two bins); one large read rises in one bin only.
 */
const MIN_RISING_SHARE = 0.7;
/** Calls of one repeated statement class (or transfers) in the window before they count as records. */
const MIN_RECORD_CALLS = 100;

const mib = (b: number) => round3(b / 1048576);

/**
 * Results accumulated across records: the floor of a process's memory (what survives collections: heap used plus
 * external) climbs steadily over the run, in step with the records it processes. Typical causes: rows pushed into an
 * array that is written at the end, a Map used as a cache that is never evicted, strings concatenated into one
 * output. The job fits today; a night with more records runs out of memory.
 *
 * Method: the memory right after each full collection (what the job held live; memoryFloorTrend: with only two,
 * their rate and the shape of the lowest sample of each tenth of the run; in older traces those lowest samples
 * alone). The growth is steady when a straight line fits those floors (R² >= minAccumulationFit), most steps rise
 * (MIN_RISING_SHARE), and the fitted line climbs at least minAccumulationBytes between the first floor and the
 * last. The records are the calls of the statement class (or the transfers) issued most often in that process in
 * that span, when there are at least MIN_RECORD_CALLS (otherwise the rate is per second); memory kept per record is
 * the slope of the floors over the records processed by each, which must fit a straight line as well (growth
 * proportional to the records, R² >= minAccumulationFit, when there are more than two floors).
 *
 * Memory model: writing out (or aggregating) per chunk of ACCUMULATION_CHUNK_RECORDS records holds one chunk, so
 * what is live drops from the floor before the records plus all of them to that floor plus one chunk; V8 triggers
 * full collections at a multiple of the live memory (its heap growing factor), so the peak scales with it:
 *   predicted peak = semi-space + (peak - semi-space) x (floor + bytes per record x min(records, chunk))
 *                                                     / (floor + bytes per record x records),
 * with the records all the calls of the class in the process (not only those between collections), and the
 * semi-space the young generation's garbage between two scavenges, which does not scale with what is live
 * (streamingSemiSpace: from the young generation's size the probes read at exit, V8's 16 MiB default without it).
 * Time: none claimed (less live heap makes full
 * collections cheaper, and chunked writes cost about what one big write does). Ranked by the share of the heap limit.
 */
export const memoryAccumulation: Detector = {
  id: 'memory-accumulation',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const procs = trace.processes.filter((p) => (p.memSamples?.length ?? 0) > 0);
    if (procs.length === 0) return { status: 'no-data', reason: 'no memory samples were recorded (older probes, or an OpenTelemetry trace)' };
    const findings: RawFinding[] = [];
    let judged = 0;
    for (const p of procs) {
      const trend = memoryFloorTrend(p.memSamples!, p.postGc, typeof p.footer?.gc?.major === 'number');
      if (!trend) continue;
      judged++;
      if (trend.growthBytes < t.minAccumulationBytes || trend.r2 < t.minAccumulationFit || trend.risingShare < MIN_RISING_SHARE) continue;
      // The records: the most repeated statement class (or the transfers, key -2) of this process within the span,
      // counted per interval between floors, so the floors can be set against the records processed by then.
      const key = unitKeyOf(p.header);
      const fl = trend.floors;
      const perFloor = new Map<number, number[]>();
      // Every call of each class in the process, and those before the span: the live memory at the end of the
      // records is priced from all of them (below).
      const all = new Map<number, { total: number; before: number }>();
      const count = (g: number, start: number) => {
        let a = all.get(g);
        if (!a) all.set(g, (a = { total: 0, before: 0 }));
        a.total++;
        if (start < trend.from) a.before++;
        if (start < fl[0]!.t || start > trend.to) return;
        let i = 1;
        while (i < fl.length && fl[i]!.t < start) i++;
        if (i >= fl.length) return;
        let arr = perFloor.get(g);
        if (!arr) perFloor.set(g, (arr = new Array<number>(fl.length).fill(0)));
        arr[i]!++;
      };
      trace.source.forEach((row) => {
        if (row.pid !== key) return;
        if (row.kind === 'db' && row.group >= 0) count(row.group, row.start);
        else if (row.kind === 'ftp' && row.detail >= 0 && /download|upload|append/i.test(trace.spans[row.detail]!.name)) count(-2, row.start);
      });
      let recGroup = -1, recCalls = 0;
      for (const [g, arr] of perFloor) { const n = arr.reduce((a, x) => a + x, 0); if (n > recCalls) { recGroup = g; recCalls = n; } }
      const q = recGroup >= 0 ? ctx.queries.find((x) => x.group === recGroup) : undefined;
      const usable = recCalls >= MIN_RECORD_CALLS && (recGroup === -2 || q) ? { n: recCalls, what: recGroup === -2 ? 'file transfers' : `calls of ${q!.cls.fingerprint.slice(0, 80)}` } : null;
      const seconds = Math.max(0.001, (trend.to - trend.from) / 1000);
      // Memory kept per record: the slope of the floors over the records processed by each (least squares). Growth
      // proportional to the records is a straight line here too; a job whose records stop while memory still grows
      // (or the reverse) is not accumulating per record.
      let perRecord: number | null = null, recordFit: number | null = null;
      if (usable) {
        const cum: number[] = [];
        let c = 0;
        for (const x of perFloor.get(recGroup)!) cum.push((c += x));
        const fit = fitLine(cum, fl.map((f) => f.bytes));
        if (fit.slope > 0) {
          perRecord = fit.slope;
          recordFit = fit.r2 ?? 1;
        }
        if (trend.method !== 'post-gc-pair' && recordFit !== null && recordFit < t.minAccumulationFit) continue;
      }
      const limit = typeof p.footer?.memory?.heapLimit === 'number' ? p.footer.memory.heapLimit : null;
      const share = limit ? trend.peakBytes / limit : null;
      // V8 starts the next full collection when the heap reaches a multiple of what the last one left live (its heap
      // growing factor), so the peak scales with the live memory: live at the end of the records, and live with one
      // chunk held. Both are priced from the records: the floor before the first record (the line at the span's start
      // less what the records before it kept) plus what each record keeps, times all the records the process handled
      // or times one chunk. The floors' line over time would make them depend on when V8 happened to collect: a full
      // collection during the job's final write counts the output as live, and one early in the run leaves the
      // records after the last collection out.
      const recs = usable ? all.get(recGroup)! : null;
      const base = perRecord !== null && recs ? Math.max(0, trend.startBytes - perRecord * recs.before) : 0;
      const liveNow = perRecord !== null && recs ? base + perRecord * recs.total : 0;
      const liveAfter = perRecord !== null && recs ? base + perRecord * Math.min(recs.total, ACCUMULATION_CHUNK_RECORDS) : null;
      // The young generation's garbage does not scale with what is live: up to one semi-space between scavenges,
      // the semi-space a bounded loop works with (streamingSemiSpace, from the young generation the held run reached).
      const young = p.footer?.memory?.youngGenBytes;
      const semi = Math.min(trend.peakBytes, streamingSemiSpace(typeof young === 'number' ? young : null));
      const predicted = liveAfter !== null && liveNow > 0 ? Math.round(semi + (trend.peakBytes - semi) * (liveAfter / liveNow)) : null;
      const rate = perRecord !== null ? `${round3(perRecord / 1024)} KiB kept per record (${usable!.n} ${usable!.what}${trend.method === 'post-gc' ? ' between the first and the last full collection' : ''})` : `${mib(trend.growthBytes / seconds)} MiB kept per second`;
      const headroom = limit && limit > trend.peakBytes
        ? perRecord !== null
          ? ` At this rate the heap limit (${mib(limit)} MiB) is reached after about ${Math.round((limit - trend.peakBytes) / perRecord)} more records (${round3((limit - trend.peakBytes) / trend.growthBytes + 1)}x this run's input).`
          : ` At this rate the heap limit (${mib(limit)} MiB) is reached ${round3((limit - trend.peakBytes) / (trend.growthBytes / seconds))} s later than this run ended.`
        : '';
      const who = p.header.script ?? `pid ${p.header.pid}`;
      findings.push({
        id: `memory-accumulation:${p.header.pid}${p.header.threadId ? `-t${p.header.threadId}` : ''}`,
        kind: 'memory-accumulation',
        title: `Memory kept across records in ${who}: +${mib(trend.growthBytes)} MiB over the run, ${rate}`,
        category: 'logic',
        scope: [`memory:${key}`],
        estimatedSavingMs: 0,
        confidence: usable && trend.method !== 'bins' ? 'medium' : 'low',
        savingModel: 'no time saving claimed: the cost is memory (fewer live objects make full collections cheaper; chunked writes cost about what one write at the end does)',
        risk: `The memory that survives collections grew steadily by ${mib(trend.growthBytes)} MiB in ${round3(seconds)} s (${rate}), to a peak of ${mib(trend.peakBytes)} MiB${limit ? ` of a ${mib(limit)} MiB heap limit` : ''}: it grows with the input.${headroom}`,
        memory: {
          peakBytes: trend.peakBytes, predictedPeakBytes: predicted, heapLimitBytes: limit, shareOfLimit: share !== null ? round3(share) : null,
          model: perRecord !== null
            ? `one semi-space of young garbage (${mib(semi)} MiB) + the rest of the peak x live memory with one chunk held / live memory at the end of the records (${mib(liveAfter!)} / ${mib(liveNow)} MiB; the floor before the records + ${round3(perRecord / 1024)} KiB per record x ${ACCUMULATION_CHUNK_RECORDS} / ${recs!.total} records): V8 sizes the old generation as a multiple of what is live`
            : 'no prediction: no repeated call to count records by',
        },
        evidence: {
          summary: `${trend.method === 'post-gc' ? `memory (heap used + external) right after each of ${trend.floors.length} full collections` : trend.method === 'post-gc-pair' ? 'memory (heap used + external) right after the run\'s two full collections' : 'lowest memory (heap used + external) per tenth of the run'}: ${trend.floors.slice(0, 12).map((f) => mib(f.bytes)).join(', ')}${trend.floors.length > 12 ? ', ...' : ''} MiB; ${trend.method === 'post-gc-pair' ? '; the lowest sample of each tenth of the run: a straight line fits them' : 'a straight line fits them'} with R² ${round3(trend.r2)}, ${Math.round(trend.risingShare * 100)}% of the steps rise`,
          metrics: {
            method: trend.method, growthBytes: Math.round(trend.growthBytes), peakBytes: trend.peakBytes, r2: round3(trend.r2), risingShare: round3(trend.risingShare), seconds: round3(seconds),
            ...(usable && perRecord !== null ? { records: usable.n, bytesPerRecord: Math.round(perRecord), ...(recordFit !== null ? { recordFit: round3(recordFit) } : {}) } : {}),
            ...(limit ? { heapLimitBytes: limit } : {}), ...(predicted !== null ? { predictedPeakBytes: predicted } : {}),
          },
          ...(q && usable && usable.what.startsWith('calls') ? { queryClassId: q.cls.id, fingerprint: q.cls.fingerprint } : {}),
        },
        recommendation: {
          summary: `Do not keep every record's result until the end: write (or aggregate) per chunk of ${ACCUMULATION_CHUNK_RECORDS} records and let the chunk go, stream the output to the file, or bound the cache (an LRU with a size limit). The per-stage memory in the report shows which stage the growth belongs to.`,
          code: [
            '// before: every result kept until the end',
            'const results = [];',
            'for (const rec of records) results.push(await enrich(rec));',
            'await writeAll(results);',
            '// after: one chunk at a time',
            'let chunk = [];',
            'for (const rec of records) {',
            '  chunk.push(await enrich(rec));',
            `  if (chunk.length === ${ACCUMULATION_CHUNK_RECORDS}) { await append(chunk); chunk = []; }`,
            '}',
            'if (chunk.length) await append(chunk);',
          ].join('\n'),
        },
      });
    }
    if (judged === 0) return { status: 'no-data', reason: 'no process ran two full garbage collections (or, in older traces, sampled memory for 2 s): too few to tell memory kept from garbage not yet collected' };
    return { status: 'ran', findings };
  },
};
