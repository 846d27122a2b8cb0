import { createHash } from 'node:crypto';
import type { QueryClass } from '../model/report';
import type { TraceModel, TraceSpan } from '../model/trace';
import { quantile, round3, sortedDurations } from './intervals';

/** Stable id of a statement class: first 16 hex digits of SHA-1 over system and fingerprint. */
export function queryClassId(system: string, fingerprint: string): string {
  return createHash('sha1').update(`${system}\u0000${fingerprint}`).digest('hex').slice(0, 16);
}

/** A statement class with its spans, for detectors. */
export interface QueryGroup {
  cls: QueryClass;
  spans: TraceSpan[];
}

/** Groups the run's database spans by statement class (system + fingerprint), ordered by total time. */
export function groupQueries(model: TraceModel): QueryGroup[] {
  const groups = new Map<string, TraceSpan[]>();
  for (const s of model.spans) {
    if (s.kind !== 'db') continue;
    const fp = String(s.attrs['db.fingerprint'] ?? `<${s.name}>`);
    const key = `${String(s.attrs['db.system'] ?? '')}\u0000${fp}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s);
  }
  let allMs = 0;
  const out: QueryGroup[] = [];
  for (const spans of groups.values()) {
    const first = spans[0]!;
    const system = String(first.attrs['db.system'] ?? '');
    const fingerprint = String(first.attrs['db.fingerprint'] ?? `<${first.name}>`);
    const d = sortedDurations(spans);
    const total = d.reduce((a, b) => a + b, 0);
    allMs += total;
    const withRows = spans.filter((s) => s.rows !== null);
    out.push({
      spans,
      cls: {
        id: queryClassId(system, fingerprint), system, fingerprint, parsed: first.attrs['db.fingerprint.unparsed'] !== true,
        calls: spans.length, errors: spans.filter((s) => s.error).length, totalMs: round3(total), meanMs: round3(total / spans.length),
        p50Ms: round3(quantile(d, 0.5)), p95Ms: round3(quantile(d, 0.95)), maxMs: round3(d[d.length - 1]!),
        rows: withRows.length ? withRows.reduce((a, s) => a + s.rows!, 0) : null, share: 0,
      },
    });
  }
  for (const g of out) g.cls.share = allMs > 0 ? round3(g.cls.totalMs / allMs) : 0;
  return out.sort((a, b) => b.cls.totalMs - a.cls.totalMs);
}
