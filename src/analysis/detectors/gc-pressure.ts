import { round3 } from '../intervals';
import { criticalCpuShare } from './span-stats';
import type { Detector } from './types';

/**
 * GC pressure: garbage collection pauses take a large share of the run. A batch job that builds every
 * record as objects, keeps whole result sets or concatenates big strings makes V8 copy (scavenge) and mark
 * its heap over and over; the pauses stop the job's thread.
 *
 * Saving model: the pauses' time, scaled by the share of the run's CPU on the critical path (as for CPU hot
 * spots): an upper bound, reached if the allocation went away. Raising the young generation
 * (--max-semi-space-size) removes part of it without code changes.
 */
export const gcPressure: Detector = {
  id: 'gc-pressure',
  detect(trace, ctx) {
    const gcs = trace.processes.map((p) => p.footer?.gc).filter((g): g is NonNullable<typeof g> => !!g);
    if (gcs.length === 0) return { status: 'no-data', reason: 'no GC statistics were recorded (the processes did not exit normally)' };
    const t = ctx.thresholds;
    const total = gcs.reduce((a, g) => a + g.totalMs, 0);
    const count = gcs.reduce((a, g) => a + g.count, 0);
    const max = Math.max(...gcs.map((g) => g.maxMs));
    const wall = ctx.breakdown.wallMs;
    if (total < t.minGcShare * wall) return { status: 'ran', findings: [] };
    const logic = ctx.breakdown.categories.find((c) => c.category === 'logic')?.ms ?? 0;
    const critical = criticalCpuShare(ctx.breakdown);
    const saving = Math.min(total * critical, logic);
    const peak = Math.max(0, ...trace.processes.map((p) => p.footer?.memory.maxRss ?? 0));
    return {
      status: 'ran',
      findings: [{
        id: 'gc-pressure',
        kind: 'gc-pressure',
        title: `GC pressure: ${count} collections paused the job for ${round3(total / 1000)} s (${round3((100 * total) / wall)}% of the run)`,
        category: 'logic',
        scope: ['cpu:gc'],
        estimatedSavingMs: round3(saving),
        confidence: 'low',
        savingModel: `${round3(total)} ms of GC pauses x ${round3(critical)} (share of CPU on the critical path); an upper bound: if the allocation went away`,
        evidence: {
          summary: `${count} GC pauses, ${round3(total)} ms in all, longest ${round3(max)} ms; peak RSS ${round3(peak / 1048576)} MiB`,
          metrics: { gcCount: count, gcMs: round3(total), gcMaxMs: round3(max), share: round3(total / wall), peakRssBytes: peak },
        },
        recommendation: {
          summary: max >= 100
            ? 'Long pauses mean a big old generation: stream the input (a cursor or a stream of rows) instead of holding it all, and write output as you go.'
            : 'Many short pauses mean many short-lived objects: reuse buffers, avoid building intermediate arrays per record, and try NODE_OPTIONS=--max-semi-space-size=64 (MiB) to give the young generation room.',
        },
      }],
    };
  },
};
