import type { Breakdown, Finding, WhatIf } from '../model/report';
import { round3 } from './intervals';
import type { RawFinding } from './detectors/types';

/** Ranks findings by estimated saving (ties: higher confidence first, then id for a stable order). */
export function rankFindings(raw: RawFinding[]): Finding[] {
  const conf = { high: 0, medium: 1, low: 2 } as const;
  return [...raw]
    .sort((a, b) => b.estimatedSavingMs - a.estimatedSavingMs || conf[a.confidence] - conf[b.confidence] || a.id.localeCompare(b.id))
    .map((f, i) => ({ ...f, rank: i + 1 }));
}

/**
 * Predicted wall time with the top 1, top 3 and all fixes applied. Savings of
 * one category cannot exceed that category's exclusive time (two fixes of the
 * same database time are not counted twice), and the total cannot exceed the
 * wall time.
 */
export function whatIf(findings: Finding[], breakdown: Breakdown): WhatIf {
  const cap = new Map(breakdown.categories.map((c) => [c.category as string, c.ms]));
  const predicted = (n: number) => {
    const used = new Map<string, number>();
    let saved = 0;
    for (const f of findings.slice(0, n)) {
      const limit = cap.get(f.category) ?? breakdown.wallMs;
      const u = used.get(f.category) ?? 0;
      const s = Math.max(0, Math.min(f.estimatedSavingMs, limit - u));
      used.set(f.category, u + s);
      saved += s;
    }
    return round3(Math.max(0, breakdown.wallMs - saved));
  };
  return { currentMs: breakdown.wallMs, top1Ms: predicted(1), top3Ms: predicted(3), allMs: predicted(findings.length) };
}
