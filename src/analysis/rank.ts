import type { Breakdown, Finding, WhatIf } from '../model/report';
import { round3 } from './intervals';
import type { RawFinding } from './detectors/types';

/**
 * Ranks findings by estimated saving: time first. Findings that save no time (risks) follow, the memory ones by the
 * share of the heap limit they are about, most first (a risk without a memory model after them). Ties: higher
 * confidence first, then id for a stable order.
 */
export function rankFindings(raw: RawFinding[]): Finding[] {
  const conf = { high: 0, medium: 1, low: 2 } as const;
  const riskOf = (f: RawFinding) => (f.memory ? (f.memory.shareOfLimit ?? 0) + 1 : 0);
  return [...raw]
    .sort((a, b) => b.estimatedSavingMs - a.estimatedSavingMs || riskOf(b) - riskOf(a) || conf[a.confidence] - conf[b.confidence] || a.id.localeCompare(b.id))
    .map((f, i) => ({ ...f, rank: i + 1 }));
}

/**
 * Predicted wall time with the top 1, top 3 and all fixes applied. Never counts one piece of time twice:
 * - findings with a scope in common (two fixes of the same statement class, e.g. a missing index on an N+1
 *   lookup) count with the larger saving only;
 * - the savings of one category cannot exceed that category's exclusive time (each detector already computes
 *   its saving on the critical path, so overlapped work is not counted);
 * - the total cannot exceed the wall time.
 */
export function whatIf(findings: Finding[], breakdown: Breakdown): WhatIf {
  const cap = new Map(breakdown.categories.map((c) => [c.category as string, c.ms]));
  const predicted = (n: number) => {
    const used = new Map<string, number>();
    const claimed = new Map<string, number>();
    let saved = 0;
    for (const f of findings.slice(0, n)) {
      // Ranked by saving: a later finding sharing a scope is at most as large; count only what it adds.
      const prior = Math.max(0, ...(f.scope ?? []).map((s) => claimed.get(s) ?? 0));
      const own = Math.max(0, f.estimatedSavingMs - prior);
      const limit = cap.get(f.category) ?? breakdown.wallMs;
      const u = used.get(f.category) ?? 0;
      const s = Math.max(0, Math.min(own, limit - u));
      used.set(f.category, u + s);
      for (const sc of f.scope ?? []) claimed.set(sc, Math.max(claimed.get(sc) ?? 0, f.estimatedSavingMs));
      saved += s;
    }
    return round3(Math.max(0, breakdown.wallMs - Math.min(saved, breakdown.wallMs)));
  };
  return { currentMs: breakdown.wallMs, top1Ms: predicted(1), top3Ms: predicted(3), allMs: predicted(findings.length) };
}
