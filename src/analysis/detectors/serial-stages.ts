import { round3 } from '../intervals';
import type { CategoryTime } from '../../model/report';
import type { Detector, RawFinding } from './types';

/**
 * Stages that run one after another but wait on different resources: an extract bound by the database
 * followed by an upload bound by FTP could overlap (stream records from one into the other), so the run
 * would take about the longer of the two. Whether the second stage needs all of the first's output before
 * it starts (a sort, a total) only the code can tell: low confidence.
 *
 * Saving model: for consecutive stages with different dominant categories, min(first, second) on the
 * critical path (perfect pipelining), counted once per stage.
 */
export const serialStages: Detector = {
  id: 'serial-stages',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const stages = ctx.stages.filter((s) => s.runs === 1);
    if (stages.length < 2) return { status: 'no-data', reason: 'fewer than two stages that ran once (name them with stage())' };
    const spans = new Map(trace.spans.filter((s) => s.kind === 'stage').map((s) => [String(s.attrs['batch_doctor.stage.name'] ?? s.name), s]));
    const ordered = stages.map((s) => ({ s, span: spans.get(s.name)! })).filter((x) => x.span).sort((a, b) => a.span.start - b.span.start);
    const dominant = (c: CategoryTime[]) => [...c].sort((a, b) => b.ms - a.ms)[0]!;
    const findings: RawFinding[] = [];
    const used = new Set<string>();
    for (let i = 0; i + 1 < ordered.length; i++) {
      const a = ordered[i]!, b = ordered[i + 1]!;
      if (used.has(a.s.name) || b.span.start < a.span.end) continue;
      const da = dominant(a.s.categories), db = dominant(b.s.categories);
      if (da.category === db.category || da.category === 'waiting' || db.category === 'waiting') continue;
      if (da.share < t.minStageDominance || db.share < t.minStageDominance) continue;
      const saving = Math.min(a.s.wallMs, b.s.wallMs);
      if (saving <= 0) continue;
      used.add(a.s.name); used.add(b.s.name);
      findings.push({
        id: `serial-stages:${a.s.name}>${b.s.name}`,
        kind: 'serial-stages',
        title: `Stages "${a.s.name}" (${da.category}) and "${b.s.name}" (${db.category}) run one after the other`,
        category: 'structure',
        scope: [`stage:${a.s.name}`, `stage:${b.s.name}`],
        estimatedSavingMs: round3(saving),
        confidence: 'low',
        savingModel: `pipelined, the two take about the longer one: saving min(${round3(a.s.wallMs)}, ${round3(b.s.wallMs)}) ms; assumes "${b.s.name}" can start on the first records of "${a.s.name}"`,
        evidence: {
          summary: `"${a.s.name}" is ${round3(da.share * 100)}% ${da.category}, "${b.s.name}" is ${round3(db.share * 100)}% ${db.category}; "${b.s.name}" starts after "${a.s.name}" ends`,
          metrics: { firstMs: a.s.wallMs, secondMs: b.s.wallMs, firstShare: da.share, secondShare: db.share },
        },
        recommendation: {
          summary: `Stream records from "${a.s.name}" into "${b.s.name}" (a Node stream pipeline, or a bounded queue between two async loops) so both resources work at once.`,
          code: [
            `const { pipeline } = require('node:stream/promises');`,
            `await pipeline(extractStream(), transform, loadStream);   // each side works while the other waits`,
          ].join('\n'),
        },
      });
    }
    return { status: 'ran', findings };
  },
};
