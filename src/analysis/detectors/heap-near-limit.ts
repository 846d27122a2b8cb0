import { round3 } from '../intervals';
import type { Detector, RawFinding } from './types';

/**
 * A heap close to its limit: V8 stops the process with "JavaScript heap out of memory" when the old generation
 * cannot grow past `--max-old-space-size` (or the default the machine's memory sets), and well before that it
 * spends more and more time in full collections trying to make room. A batch job whose heap peaked at a large share
 * of its limit runs out on a night with more input.
 *
 * Saving model: none claimed (the GC time, if high, is the gc-pressure finding's); reported for the risk, ranked by
 * the share of the limit used. Needs the probes' memory samples and V8's heap limit (probes of 2026-12-06 on).
 */
export const heapNearLimit: Detector = {
  id: 'heap-near-limit',
  detect(_trace, ctx) {
    const mem = ctx.memory;
    const procs = (mem?.processes ?? []).filter((p) => p.heapLimitBytes !== null && p.heapLimitBytes > 0);
    if (procs.length === 0) return { status: 'no-data', reason: 'no memory samples with a heap limit were recorded' };
    const share = ctx.thresholds.heapNearLimitShare;
    const findings: RawFinding[] = [];
    for (const p of procs) {
      const used = p.peakHeapUsedBytes / p.heapLimitBytes!;
      if (used < share) continue;
      const mib = (b: number) => round3(b / 1048576);
      const who = p.name ?? `pid ${p.pid}`;
      findings.push({
        id: `heap-near-limit:${p.pid}${p.threadId ? `-t${p.threadId}` : ''}`,
        kind: 'heap-near-limit',
        title: `Heap at ${Math.round(used * 100)}% of its limit in ${who}: ${mib(p.heapLimitBytes! - p.peakHeapUsedBytes)} MiB left`,
        category: 'logic',
        estimatedSavingMs: 0,
        confidence: 'high',
        savingModel: 'no time saving claimed: the risk is running out of memory on a larger input',
        memory: { peakBytes: p.peakHeapUsedBytes, predictedPeakBytes: null, heapLimitBytes: p.heapLimitBytes!, shareOfLimit: round3(used), model: 'no fix modelled here: the findings about what the process holds (result sets, buffered files, accumulation) predict their own peaks' },
        risk: `The heap peaked at ${mib(p.peakHeapUsedBytes)} MiB of a ${mib(p.heapLimitBytes!)} MiB limit (${round3(used * 100)}%), ${round3(p.peakHeapAtMs / 1000)} s into the run: an input ${round3(1 / used)}x as large (if the heap grows with it) stops the job with "JavaScript heap out of memory".`,
        evidence: {
          summary: `peak heap used ${mib(p.peakHeapUsedBytes)} MiB, heap limit ${mib(p.heapLimitBytes!)} MiB, peak RSS ${mib(p.peakRssBytes)} MiB (${mem!.method})`,
          metrics: { peakHeapUsedBytes: p.peakHeapUsedBytes, heapLimitBytes: p.heapLimitBytes!, shareOfLimit: round3(used), peakHeapAtMs: round3(p.peakHeapAtMs), peakRssBytes: p.peakRssBytes },
        },
        recommendation: {
          summary: 'Bound what is held at once: read with a cursor or stream, process and write in chunks, and do not accumulate results across records (the large-result-set finding and the heap growth per stage in the report say where). Raising --max-old-space-size only moves the limit, and only as far as the machine\'s or container\'s memory allows.',
        },
      });
    }
    return { status: 'ran', findings };
  },
};
