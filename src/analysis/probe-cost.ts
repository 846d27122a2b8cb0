import { FULL_SPANS_PER_STATEMENT } from '../../probes/fast-path/counter';
import type { TraceModel } from '../model/trace';
import type { ProbeCost } from '../model/report';
import { round3 } from './intervals';
import type { QueryGroup } from './query-digest';

/**
 * The probes' cost per database call, µs of the job's time, by path, as `node bench/per-call-ab.cjs` measured it in
 * one process against pg's own query (15 rounds of 1,000 calls per path, Node 20 and 24, 2026-12-07,
 * docs/overhead.md): the official OpenTelemetry wrapper and its full span, 40-56 µs (45 taken); the fast path, 3-8 µs
 * with a bind parameter and 6-13 µs with the key inlined in the text (6 taken). Nearly all of it runs between the
 * call's start and its end, so it sits inside the spans that savings are computed from.
 */
export const PROBE_CALL_COST_US = { official: 45, fast: 6 } as const;

/** What the probes cost the run: their set-up and exit work per process and the calls on each path, times their measured cost. Null for traces of older probes. */
export function probeCostOf(model: TraceModel, wallMs: number): ProbeCost | null {
  const costs = model.processes.map((p) => p.footer?.probeCost).filter((c): c is NonNullable<typeof c> => !!c);
  if (costs.length === 0) return null;
  const startupMs = costs.reduce((a, c) => a + c.initMs, 0);
  const exits = costs.filter((c) => typeof c.exitMs === 'number');
  const exitMs = exits.reduce((a, c) => a + c.exitMs!, 0);
  const official = costs.reduce((a, c) => a + c.officialDbCalls, 0);
  const fast = costs.reduce((a, c) => a + c.fastDbCalls, 0);
  const callsMs = (official * PROBE_CALL_COST_US.official + fast * PROBE_CALL_COST_US.fast) / 1000;
  return {
    setupMs: round3(startupMs), ...(exits.length ? { exitMs: round3(exitMs) } : {}), officialDbCalls: official, fastDbCalls: fast, perCallUs: { ...PROBE_CALL_COST_US },
    callsMs: round3(callsMs), wallShare: round3(((startupMs + exitMs) / Math.max(1, costs.length) + callsMs) / Math.max(1, wallMs)),
  };
}

/**
 * Takes the probes' own per-call cost out of each statement class's critical-path time before the detectors price
 * their fixes, so that a predicted saving is not inflated by the instrumentation. Each class's first calls (up to
 * FULL_SPANS_PER_STATEMENT) are counted on the official path and the rest on the fast path, scaled so the totals
 * match what the probes counted; never below zero. Mutates the groups' `stats.soleMs`.
 */
export function subtractProbeCost(groups: QueryGroup[], cost: ProbeCost | null): void {
  if (!cost) return;
  const total = cost.officialDbCalls + cost.fastDbCalls;
  if (total === 0) return;
  const firstCalls = groups.reduce((a, g) => a + Math.min(g.cls.calls, FULL_SPANS_PER_STATEMENT), 0);
  const scale = firstCalls > 0 ? Math.min(1, cost.officialDbCalls / firstCalls) : 0;
  const allOfficial = cost.fastDbCalls === 0;
  for (const g of groups) {
    const official = allOfficial ? g.cls.calls : Math.min(g.cls.calls, FULL_SPANS_PER_STATEMENT) * scale;
    const fast = allOfficial ? 0 : g.cls.calls - official;
    const ms = (official * PROBE_CALL_COST_US.official + fast * PROBE_CALL_COST_US.fast) / 1000;
    // Concurrent calls overlap on the critical path: at most the class's time, spread over its concurrency.
    g.stats.soleMs = Math.max(0, g.stats.soleMs - ms / Math.max(1, g.stats.maxConcurrency));
  }
}
