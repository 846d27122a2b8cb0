import type { TraceModel } from '../model/trace';
import type { ProbeCost } from '../model/report';
import { round3 } from './intervals';
import type { QueryGroup } from './query-digest';

/**
 * The probes' cost per database call, µs of the job's time, by path: the official OpenTelemetry wrapper and span
 * (18-28 µs measured in-process, docs/overhead.md "Per call, and the rest": the upper figure) and the fast path
 * (1-4 µs on Node 20, 2-7 µs on Node 24: 3 µs taken), each with the CPU profiler's 1-2 µs per call. Nearly all of it
 * runs between the call's start and its end, so it sits inside the spans that savings are computed from.
 */
export const PROBE_CALL_COST_US = { official: 28, fast: 4 } as const;

/** Calls of a statement class that take the official path before the fast path takes over (probes/fast-path/counter.ts). */
const FULL_SPANS_PER_CLASS = 50;

/** What the probes cost the run: their set-up per process and the calls on each path, times their measured cost. Null for traces of older probes. */
export function probeCostOf(model: TraceModel, wallMs: number): ProbeCost | null {
  const costs = model.processes.map((p) => p.footer?.probeCost).filter((c): c is NonNullable<typeof c> => !!c);
  if (costs.length === 0) return null;
  const startupMs = costs.reduce((a, c) => a + c.initMs, 0);
  const official = costs.reduce((a, c) => a + c.officialDbCalls, 0);
  const fast = costs.reduce((a, c) => a + c.fastDbCalls, 0);
  const callsMs = (official * PROBE_CALL_COST_US.official + fast * PROBE_CALL_COST_US.fast) / 1000;
  return {
    setupMs: round3(startupMs), officialDbCalls: official, fastDbCalls: fast, perCallUs: { ...PROBE_CALL_COST_US },
    callsMs: round3(callsMs), wallShare: round3((startupMs / Math.max(1, costs.length) + callsMs) / Math.max(1, wallMs)),
  };
}

/**
 * Takes the probes' own per-call cost out of each statement class's critical-path time before the detectors price
 * their fixes, so that a predicted saving is not inflated by the instrumentation. Each class's first calls (up to
 * 50) are counted on the official path and the rest on the fast path, scaled so the totals match what the probes
 * counted; never below zero. Mutates the groups' `stats.soleMs`.
 */
export function subtractProbeCost(groups: QueryGroup[], cost: ProbeCost | null): void {
  if (!cost) return;
  const total = cost.officialDbCalls + cost.fastDbCalls;
  if (total === 0) return;
  const firstCalls = groups.reduce((a, g) => a + Math.min(g.cls.calls, FULL_SPANS_PER_CLASS), 0);
  const scale = firstCalls > 0 ? Math.min(1, cost.officialDbCalls / firstCalls) : 0;
  const allOfficial = cost.fastDbCalls === 0;
  for (const g of groups) {
    const official = allOfficial ? g.cls.calls : Math.min(g.cls.calls, FULL_SPANS_PER_CLASS) * scale;
    const fast = allOfficial ? 0 : g.cls.calls - official;
    const ms = (official * PROBE_CALL_COST_US.official + fast * PROBE_CALL_COST_US.fast) / 1000;
    // Concurrent calls overlap on the critical path: at most the class's time, spread over its concurrency.
    g.stats.soleMs = Math.max(0, g.stats.soleMs - ms / Math.max(1, g.stats.maxConcurrency));
  }
}
