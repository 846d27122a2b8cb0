import { createHash } from 'node:crypto';
import type { QueryClass } from '../model/report';
import type { TraceModel } from '../model/trace';
import { round3 } from './intervals';
import { sweepRun, type GroupStats, type RunAggregates } from './sweep';

/** Stable id of a statement class: first 16 hex digits of SHA-1 over system and fingerprint. */
export function queryClassId(system: string, fingerprint: string): string {
  return createHash('sha1').update(`${system}\u0000${fingerprint}`).digest('hex').slice(0, 16);
}

/** A statement class with the aggregates of its calls, for detectors. */
export interface QueryGroup {
  cls: QueryClass;
  /** Index of the class in the trace's span source groups. */
  group: number;
  stats: GroupStats;
}

/** A kind of database connect (pg.connect, pg-pool.connect, ...) with the aggregates of its spans. */
export interface ConnectGroup {
  name: string;
  system: string;
  group: number;
  stats: GroupStats;
}

/**
 * The run's statement classes (system + fingerprint), ordered by total time. Reads the aggregates of a sweep
 * (one is run when none is given).
 */
export function groupQueries(model: TraceModel, agg: RunAggregates = sweepRun(model.source)): QueryGroup[] {
  let allMs = 0;
  const out: QueryGroup[] = [];
  model.source.groups.forEach((info, group) => {
    const st = agg.groups[group]!;
    if (info.kind !== 'db' || st.calls === 0) return;
    allMs += st.totalMs;
    const d = st.durations;
    out.push({
      group, stats: st,
      cls: {
        id: queryClassId(info.system, info.fingerprint), system: info.system, fingerprint: info.fingerprint, parsed: info.parsed,
        calls: st.calls, errors: st.errors, totalMs: round3(st.totalMs), meanMs: round3(st.totalMs / st.calls),
        p50Ms: round3(d.quantile(0.5)), p95Ms: round3(d.quantile(0.95)), maxMs: round3(d.max),
        rows: st.rowsCalls ? st.rowsSum : null, share: 0,
      },
    });
  });
  for (const g of out) g.cls.share = allMs > 0 ? round3(g.cls.totalMs / allMs) : 0;
  return out.sort((a, b) => b.cls.totalMs - a.cls.totalMs);
}

/** The run's kinds of database connect with their aggregates, in order of first appearance. */
export function groupConnects(model: TraceModel, agg: RunAggregates): ConnectGroup[] {
  const out: ConnectGroup[] = [];
  model.source.groups.forEach((info, group) => {
    const st = agg.groups[group]!;
    if (info.kind === 'db-connect' && st.calls > 0) out.push({ name: info.name, system: info.system, group, stats: st });
  });
  return out;
}
