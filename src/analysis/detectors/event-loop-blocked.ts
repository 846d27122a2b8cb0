import { round3 } from '../intervals';
import type { Detector } from './types';

/**
 * Event loop blocked for long stretches: synchronous work that holds the thread for seconds. In a batch job
 * the time itself is the CPU hot spot's (which names the function); the risk is what waits meanwhile:
 * database and FTP keep-alives, lock timeouts, timers, and every other concurrent task of the job.
 *
 * Saving model: none claimed (the time is counted by cpu-hot-spot); reported for the risk.
 */
export const eventLoopBlocked: Detector = {
  id: 'event-loop-blocked',
  detect(trace, ctx) {
    const delays = trace.processes.map((p) => p.footer?.eventLoopDelayMs).filter((d): d is NonNullable<typeof d> => !!d);
    if (delays.length === 0) return { status: 'no-data', reason: 'no event-loop delay histogram was recorded' };
    const t = ctx.thresholds;
    const worst = delays.reduce((a, d) => (d.max > a.max ? d : a));
    if (worst.max < t.maxEventLoopBlockMs) return { status: 'ran', findings: [] };
    return {
      status: 'ran',
      findings: [{
        id: 'event-loop-blocked',
        kind: 'event-loop-blocked',
        title: `Event loop blocked for up to ${round3(worst.max / 1000)} s at a time`,
        category: 'logic',
        scope: ['cpu:event-loop'],
        estimatedSavingMs: 0,
        confidence: 'high',
        savingModel: 'no time saving claimed here: the CPU time is in the CPU hot spot findings',
        risk: `Nothing else runs meanwhile: connection keep-alives, server timeouts (FTP idle, lock waits) and the job's other tasks wait up to ${round3(worst.max / 1000)} s.`,
        evidence: {
          summary: `event-loop delay: max ${round3(worst.max)} ms, p99 ${round3(worst.p99)} ms, mean ${round3(worst.mean)} ms`,
          metrics: { maxMs: round3(worst.max), p99Ms: round3(worst.p99), meanMs: round3(worst.mean) },
        },
        recommendation: {
          summary: 'Split the synchronous work into chunks that yield (await setImmediate between batches of records), or move it to worker_threads; the CPU hot spot findings name the functions.',
        },
      }],
    };
  },
};
