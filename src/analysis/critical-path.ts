import type { TraceModel, TraceSpan } from '../model/trace';
import type { DetectorContext } from './detectors/types';
import type { Interval } from './intervals';
import { soleTimeOf, type LongCall, type RunAggregates } from './sweep';

/**
 * Critical-path ("sole") time: the time during which a chosen set of spans was in flight and no other I/O of the
 * run (database queries and connects, FTP calls, any process) was. Removing work that overlapped other I/O
 * shortens the run only where nothing else was pending: two pipelines running side by side finish when the
 * longer one does. Concurrent spans of the set count once. CPU work is not subtracted: on Node's one thread, CPU
 * work that overlapped a pending call ran while the call was in flight.
 *
 * Each statement class's and connect kind's sole time comes out of the analysis's main pass (sweep.ts); other sets
 * cost one more pass over the run's spans each, so memory never holds the run's spans.
 */
export function soleTimeFunctions(model: TraceModel, agg: RunAggregates): Pick<DetectorContext, 'soleMs' | 'soleOfGroups' | 'soleOfCalls'> {
  const index = new Map<TraceSpan, number>();
  model.spans.forEach((s, i) => index.set(s, i));
  return {
    soleMs(spans) {
      const own = new Set<number>();
      const other: Interval[] = [];
      for (const s of spans) {
        const i = index.get(s);
        if (i !== undefined) own.add(i);
        else other.push([s.start, s.end]);
      }
      if (own.size === 0 && other.length === 0) return 0;
      return soleTimeOf(model.source, (r) => r.detail >= 0 && own.has(r.detail), other);
    },
    soleOfGroups(groups, options = {}) {
      if (groups.length === 0) return 0;
      if (groups.length === 1 && !options.failedOnly) return agg.groups[groups[0]!]?.soleMs ?? 0;
      const set = new Set(groups);
      return soleTimeOf(model.source, (r) => r.group >= 0 && set.has(r.group) && (!options.failedOnly || r.error));
    },
    soleOfCalls(calls: readonly LongCall[]) {
      if (calls.length === 0) return 0;
      const keys = new Set(calls.map((c) => `${c.group}:${c.pid}:${c.start}:${c.end}`));
      const groups = new Set(calls.map((c) => c.group));
      return soleTimeOf(model.source, (r) => groups.has(r.group) && keys.has(`${r.group}:${r.pid}:${r.start}:${r.end}`));
    },
  };
}
