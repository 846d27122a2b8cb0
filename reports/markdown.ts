import type { Finding, Report } from '../src/model/report';
import { escapeControl } from '../probes/sanitize';
import type { Renderer } from './types';
import { coverageLine, findingMemoryText, isRiskOnly, memoryLine } from './format';

/** Escapes text for a Markdown table cell or line: pipes, backticks, HTML, line breaks and control characters cannot break out. */
function md(s: unknown): string {
  return escapeControl(String(s ?? '').replace(/\r?\n/g, ' '), true).replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n|\u2028|\u2029/g, ' ');
}
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);

/** The report as Markdown, for CI summaries and tickets (GitHub-flavoured tables). */
export const markdownRenderer: Renderer = {
  name: 'md',
  extension: 'md',
  render(r: Report) {
    const out: string[] = [];
    const w = r.whatIf;
    out.push(`## batch-doctor: ${md(r.run.command.join(' '))}`, '');
    out.push(`Wall time **${ms(r.run.wallMs)}**; predicted ${ms(w.top1Ms)} with the top fix, ${ms(w.top3Ms)} with the top 3, ${ms(w.allMs)} with all.`, '');
    out.push('| category | time | share |', '|---|---:|---:|');
    for (const c of r.breakdown.categories) out.push(`| ${md(c.category)} | ${ms(c.ms)} | ${(c.share * 100).toFixed(1)}% |`);
    out.push('');
    const timed = r.findings.filter((f) => !isRiskOnly(f));
    const risks = r.findings.filter(isRiskOnly);
    const at = (f: Finding) => (f.callSites?.length ? ` at ${f.callSites.slice(0, 3).map((c) => `${md(c.file)}:${md(c.line)}`).join(', ')}` : '');
    if (timed.length) {
      out.push('| # | bottleneck | saves | confidence | fix |', '|---:|---|---:|---|---|');
      for (const f of timed.slice(0, 20)) {
        out.push(`| ${f.rank} | ${md(f.title)}${at(f)}${f.risk ? ` (risk: ${md(f.risk)})` : ''} | ${ms(f.estimatedSavingMs)} | ${md(f.confidence)} | ${md(f.recommendation.summary)} |`);
      }
    } else out.push('No bottleneck found by the detectors that had data.');
    out.push('');
    if (risks.length) {
      out.push('### Risks (no time saved)', '', '| # | risk | memory | confidence | fix |', '|---:|---|---|---|---|');
      for (const f of risks.slice(0, 20)) out.push(`| ${f.rank} | ${md(f.title)}${at(f)}: ${md(f.risk)} | ${md(findingMemoryText(f) ?? '-')} | ${md(f.confidence)} | ${md(f.recommendation.summary)} |`);
      out.push('');
    }
    if (r.stages.length) {
      out.push('| stage | runs | wall | db | ftp | logic | waiting |', '|---|---:|---:|---:|---:|---:|---:|');
      for (const s of r.stages) {
        const by = Object.fromEntries(s.categories.map((c) => [c.category, c.ms]));
        out.push(`| ${md(s.name)} | ${s.runs} | ${ms(s.wallMs)} | ${ms(by['db'] ?? 0)} | ${ms(by['ftp'] ?? 0)} | ${ms(by['logic'] ?? 0)} | ${ms(by['waiting'] ?? 0)} |`);
      }
      out.push('');
    }
    if (r.queries.length) {
      out.push('| statement class | calls | total | mean | p95 |', '|---|---:|---:|---:|---:|');
      for (const q of r.queries.slice(0, 10)) out.push(`| ${md(q.fingerprint.slice(0, 120))} | ${q.calls} | ${ms(q.totalMs)} | ${ms(q.meanMs)} | ${ms(q.p95Ms)} |`);
      out.push('');
    }
    if (r.serverView?.classes.length) {
      out.push('| statement class (as the server saw it) | job calls | server calls | server time | rows examined |', '|---|---:|---:|---:|---:|');
      for (const c of r.serverView.classes.slice(0, 10)) out.push(`| ${md(c.fingerprint.slice(0, 120))} | ${c.jobCalls} | ${c.serverCalls} | ${ms(c.serverMs)} | ${c.rowsExamined ?? '-'} |`);
      out.push('');
    }
    const cov = coverageLine(r.collection.coverage);
    if (cov) out.push(md(cov), '');
    const mem = memoryLine(r.memory);
    if (mem) out.push(md(mem), '');
    for (const x of r.warnings) out.push(`> warning: ${md(x)}`);
    return out.join('\n') + '\n';
  },
};
