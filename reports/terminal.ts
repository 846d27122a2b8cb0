import Table from 'cli-table3';
import { transferLabel, type Report } from '../src/model/report';
import { escapeControl } from '../probes/sanitize';
import { bar, bytes, clip as clipRaw, coverageLine, findingMemoryText, isRiskOnly, memoryLine, ms, pct } from './format';

/** Data shortened for a cell, its control characters made visible (nothing from a job reaches the terminal raw). */
const clip = (text: unknown, max: number) => clipRaw(escapeControl(text, true), max);
/** Data on a line of its own, control characters made visible. */
const txt = (text: unknown) => escapeControl(text, true);
import type { Renderer, RenderOptions } from './types';

/** Short names of the server-side sources, for a narrow column. */
const SOURCE: Record<string, string> = { 'mysql-slow-log': 'slow log', 'postgresql-log': 'pg log', pg_stat_statements: 'pg_stat_st.', performance_schema: 'perf_schema' };
const LABEL: Record<string, string> = { db: 'database', ftp: 'FTP', network: 'network (uninstrumented)', logic: 'logic (CPU)', waiting: 'waiting' };

function table(head: string[], color: boolean, colAligns?: ('left' | 'right')[]): Table.Table {
  return new Table({ head, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] }, ...(colAligns ? { colAligns } : {}) });
}

/** The terminal summary (cli-table3): breakdown, stages, findings, queries, FTP. */
export const terminalRenderer: Renderer = {
  name: 'table',
  extension: 'txt',
  render(report: Report, options: RenderOptions = {}): string {
    const color = !!options.color;
    const width = options.width ?? 100;
    const out: string[] = [];
    const r = report.run;
    out.push(`batch-doctor ${txt(report.tool.version)}: ${clip(r.command.join(' '), width - 30)}`);
    out.push(`wall time ${ms(r.wallMs)}, exit ${txt(r.signal ?? r.exitCode ?? '?')}, ${report.collection.processes} Node process(es)${report.collection.workerThreads ? ` and ${report.collection.workerThreads} worker thread(s)` : ''}`);

    const b = table(['where the time went', 'time', 'share', ''], color, ['left', 'right', 'right', 'left']);
    for (const c of report.breakdown.categories) b.push([LABEL[c.category] ?? txt(c.category), ms(c.ms), pct(c.share), bar(c.share)]);
    out.push(b.toString());

    if (report.stages.length) {
      const s = table(['stage', 'runs', 'wall', 'db', 'FTP', 'logic', 'waiting', 'records'], color, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
      for (const st of report.stages) {
        const by = Object.fromEntries(st.categories.map((c) => [c.category, c.ms]));
        s.push([clip(st.name, 30), st.runs, ms(st.wallMs), ms(by['db'] ?? 0), ms(by['ftp'] ?? 0), ms(by['logic'] ?? 0), ms(by['waiting'] ?? 0), txt(st.records ?? '-')]);
      }
      out.push(s.toString());
    }

    const timed = report.findings.filter((x) => !isRiskOnly(x));
    const risks = report.findings.filter(isRiskOnly);
    const row = (x: (typeof report.findings)[number], last: string) => {
      const risk = x.risk ? `\nrisk: ${clip(x.risk, width - 46)}` : '';
      const mem = findingMemoryText(x);
      const at = x.callSites?.length ? `\nat ${clip(x.callSites.slice(0, 3).map((c) => `${c.file}:${c.line}${x.callSites!.length > 1 ? ` (${pct(c.share)})` : ''}`).join(', '), width - 43)}` : '';
      return [x.rank, `${clip(x.title, width - 40)}${at}\n${clip(x.recommendation.summary, width - 40)}${risk}${mem ? `\nmemory: ${clip(mem, width - 48)}` : ''}`, last, txt(x.confidence)];
    };
    if (timed.length) {
      const f = table(['#', 'bottleneck', 'saves', 'confidence'], color, ['right', 'left', 'right', 'left']);
      for (const x of timed.slice(0, 10)) f.push(row(x, ms(x.estimatedSavingMs)));
      out.push(f.toString());
    }
    if (risks.length) {
      // Risks that save no time, in their own table, the memory ones by the share of the heap limit.
      const f = table(['#', 'risk (no time saved)', 'of limit', 'confidence'], color, ['right', 'left', 'right', 'left']);
      for (const x of risks.slice(0, 10)) f.push(row(x, x.memory?.shareOfLimit != null ? pct(x.memory.shareOfLimit) : '-'));
      out.push(f.toString());
    }
    if (report.findings.length) {
      const w = report.whatIf;
      out.push(`predicted wall time: ${ms(w.currentMs)} now, ${ms(w.top1Ms)} with the top fix, ${ms(w.top3Ms)} with the top 3, ${ms(w.allMs)} with all`);
      const pc = report.collection.probeCost;
      if (pc) out.push(`the probes' own cost: about ${ms(pc.setupMs + (pc.exitMs ?? 0) + pc.callsMs)} (${pct(pc.wallShare)} of the wall: set-up ${ms(pc.setupMs)}${pc.exitMs !== undefined ? `, exit ${ms(pc.exitMs)}` : ''}, ${pc.officialDbCalls + pc.fastDbCalls} database calls ${ms(pc.callsMs)}); the calls' part taken out of the statements' time before pricing the fixes`);
    } else {
      out.push('no bottleneck found by the detectors that had data');
    }
    const cov = coverageLine(report.collection.coverage);
    if (cov) out.push(txt(cov));
    const mem = memoryLine(report.memory);
    if (mem) out.push(txt(mem));

    if (report.queries.length) {
      const q = table(['statement class', 'calls', 'total', 'mean', 'p95', 'rows'], color, ['left', 'right', 'right', 'right', 'right', 'right']);
      for (const c of report.queries.slice(0, 10)) q.push([clip(c.fingerprint, width - 50), c.calls, ms(c.totalMs), ms(c.meanMs), ms(c.p95Ms), txt(c.rows ?? '-')]);
      out.push(q.toString());
    }

    const sv = report.serverView;
    if (sv) {
      out.push(`what the server saw: ${sv.sources.map((x) => `${txt(x.source)} (${txt(x.origin)}) ${x.statements} statements, ${ms(x.totalMs)}`).join('; ')}${sv.otherClasses ? `; ${sv.otherClasses} other classes (${ms(sv.otherMs)}) not from the profiled clients` : ''}`);
      if (sv.classes.length) {
        const t = table(['statement class', 'source', 'job calls', 'server calls', 'server time', 'rows examined', 'lock wait', 'temp tables'], color, ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right']);
        for (const c of sv.classes.slice(0, 10)) {
          t.push([clip(c.fingerprint, Math.max(30, width - 82)), SOURCE[c.source] ?? txt(c.source), c.jobCalls, c.serverCalls, ms(c.serverMs), c.rowsExamined ?? '-', c.lockMs === null ? '-' : ms(c.lockMs),
            c.tmpTables === null ? '-' : `${c.tmpTables}${c.tmpDiskTables ? ` (${c.tmpDiskTables} disk)` : ''}`]);
        }
        out.push(t.toString());
      }
    }

    for (const e of report.explains ?? []) {
      const lines = [`EXPLAIN ${e.mode === 'analyze' ? 'ANALYZE ' : ''}${clip(e.fingerprint, width - 20)}`];
      for (const d of e.diagnostics.filter((x) => x.severity !== 'info').slice(0, 3)) lines.push(`  [${txt(d.severity)}] ${clip(d.message, width - 14)}`);
      for (const a of e.indexAdvice) lines.push(`  ${a.confirmed ? 'index (confirmed by the planner)' : 'index (unconfirmed)'}: ${txt(a.createStatement)}`);
      if (e.note) lines.push(`  note: ${clip(e.note, width - 10)}`);
      out.push(lines.join('\n'));
    }

    if (report.ftp.files) {
      const f = report.ftp;
      out.push(`${transferLabel(f.protocols)}: ${f.files} transfers, ${bytes(f.bytes)} in ${ms(f.transferMs)} (${f.throughput === null ? '-' : bytes(f.throughput) + '/s'}), ${f.connections} connection(s), at most ${f.maxParallel} at once`);
    }
    const hot = report.runtime.hotFunctions.slice(0, 5);
    if (hot.length) out.push('hottest functions (self time): ' + hot.map((h) => `${txt(h.functionName)} ${ms(h.selfMs)}`).join(', '));
    if (report.deepDive?.report) out.push(`deep dive (${txt(report.deepDive.tool)}): ${txt(report.deepDive.report)}`);
    for (const w of report.warnings) out.push(`warning: ${txt(w)}`);
    return out.join('\n') + '\n';
  },
};
