import { createHash } from 'node:crypto';
import type { ExplainResult, PlanNode } from '../src/model/db';
import { transferLabel, type Finding, type Report } from '../src/model/report';
import { CATEGORY_LABEL, dur, esc, jsonForScript, lineChart, linkify, size, stackedBar } from './html-kit';
import type { Renderer } from './types';
import { coverageLine, findingMemoryText, isRiskOnly, memoryLine } from './format';

/**
 * The HTML report: one self-contained file (no network, no external fonts or scripts) for engineers to open,
 * share and attach to a ticket. Everything is rendered here from the report model and escaped; the report
 * itself is embedded as JSON that no content can break out of. A strict Content-Security-Policy allows only
 * this page's own style and script, by hash. It formats; it never computes.
 */
export const htmlRenderer: Renderer = {
  name: 'html',
  extension: 'html',
  render(report) {
    const cssHash = sha256(CSS);
    const jsHash = sha256(JS);
    const csp = `default-src 'none'; style-src 'sha256-${cssHash}'; script-src 'sha256-${jsHash}'; img-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'`;
    const title = `batch-doctor: ${report.run.command.join(' ')}`;
    return [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8">',
      `<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">`,
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      '<meta name="referrer" content="no-referrer">',
      `<title>${esc(title)}</title>`,
      `<style>${CSS}</style>`,
      '</head><body>',
      `<header><h1>batch-doctor report</h1><p class="cmd"><code>${esc(report.run.command.join(' '))}</code></p></header>`,
      '<main>',
      summary(report),
      findings(report.findings),
      breakdown(report),
      timeline(report),
      memorySection(report),
      queries(report),
      serverView(report),
      explains(report.explains),
      ftp(report),
      runtime(report),
      about(report),
      '</main>',
      `<script type="application/json" id="report-data">${jsonForScript(embedded(report))}</script>`,
      `<script>${JS}</script>`,
      '</body></html>',
      '',
    ].join('\n');
  },
};

/** Rows of the long tables shown (and embedded): the page stays small whatever the run; report.json has them all. */
const MAX_ROWS = 500;

/** The report as embedded in the page: long lists cut to MAX_ROWS (marked), everything else as is. */
function embedded(r: Report): Report & { truncated?: Record<string, number> } {
  const truncated: Record<string, number> = {};
  if (r.queries.length > MAX_ROWS) truncated['queries'] = r.queries.length;
  if (r.ftp.transfers.length > MAX_ROWS) truncated['ftp.transfers'] = r.ftp.transfers.length;
  if (!Object.keys(truncated).length) return r;
  return { ...r, queries: r.queries.slice(0, MAX_ROWS), ftp: { ...r.ftp, transfers: r.ftp.transfers.slice(0, MAX_ROWS) }, truncated };
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64');

function summary(r: Report): string {
  const w = r.whatIf;
  const top = r.findings.slice(0, 3);
  const status = r.run.signal ? `killed by ${r.run.signal}` : `exit code ${r.run.exitCode ?? '?'}`;
  return `<section id="summary" class="summary">
<div class="cards">
<div class="card"><div class="k">wall time</div><div class="v">${esc(dur(r.run.wallMs))}</div><div class="s">${esc(status)}</div></div>
<div class="card"><div class="k">with the top fix</div><div class="v">${esc(dur(w.top1Ms))}</div><div class="s">${esc(pct(w.currentMs - w.top1Ms, w.currentMs))} faster</div></div>
<div class="card"><div class="k">with the top 3</div><div class="v">${esc(dur(w.top3Ms))}</div><div class="s">${esc(pct(w.currentMs - w.top3Ms, w.currentMs))} faster</div></div>
<div class="card"><div class="k">with all fixes</div><div class="v">${esc(dur(w.allMs))}</div><div class="s">${esc(pct(w.currentMs - w.allMs, w.currentMs))} faster</div></div>
</div>
${top.length ? `<ol class="top">${top.map((f) => `<li><a href="#f-${f.rank}">${esc(f.title)}</a> <span class="save">saves ${esc(savingText(f))}</span> <span class="conf c-${esc(f.confidence)}">${esc(f.confidence)}</span></li>`).join('')}</ol>` : '<p>No bottleneck found by the detectors that had data.</p>'}
${stackedBar(r.breakdown.categories, r.breakdown.wallMs)}
${legend(r.breakdown.categories, r.breakdown.wallMs)}
${r.warnings.length ? `<ul class="warnings">${r.warnings.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
</section>`;
}

const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : '0%');
const savingText = (f: Finding) => (f.risk && f.estimatedSavingMs === 0 ? 'no time (risk)' : dur(f.estimatedSavingMs));

function legend(parts: { category: string; ms: number }[], total: number): string {
  return `<p class="legend">${parts.map((p) => `<span class="sw c-${esc(p.category)}"></span>${esc(CATEGORY_LABEL[p.category] ?? p.category)} ${esc(dur(p.ms))} (${esc(pct(p.ms, total))})`).join(' ')}</p>`;
}

/** Where the job issues the calls: each site with its share, and its stack of the job's own frames (the loop marked). */
function sites(list: Finding['callSites']): string {
  if (!list?.length) return '';
  const frame = (x: { file: string; line: number; column: number; function: string | null; loop?: boolean }) =>
    `<li${x.loop ? ' class="loop"' : ''}><code>${esc(x.file)}:${esc(x.line)}:${esc(x.column)}</code>${x.function ? ` in <code>${esc(x.function)}</code>` : ''}${x.loop ? ' <strong>(the loop)</strong>' : ''}</li>`;
  return `<div class="sites"><strong>Called from:</strong><ul>${list.map((c) => `<li><code>${esc(c.file)}:${esc(c.line)}</code>${c.function ? ` in <code>${esc(c.function)}</code>` : ''}: ${esc(pct(c.share, 1))} of the calls<ol class="stack">${c.stack.map(frame).join('')}</ol></li>`).join('')}</ul></div>`;
}

function findings(all: Finding[]): string {
  if (all.length === 0) return '';
  const card = (f: Finding) => {
    const metrics = Object.entries(f.evidence.metrics);
    return `<details id="f-${f.rank}" class="finding"${f.rank <= 3 ? ' open' : ''}>
<summary><span class="rank">${f.rank}</span> <span class="ftitle">${esc(f.title)}</span> <span class="save">${esc(savingText(f))}</span> <span class="conf c-${esc(f.confidence)}">${esc(f.confidence)}</span> <span class="cat cat-${esc(f.category)}">${esc(f.category)}</span></summary>
${f.risk ? `<p class="risk"><strong>Risk:</strong> ${esc(f.risk)}</p>` : ''}
${f.memory ? `<p class="memory"><strong>Memory:</strong> ${esc(findingMemoryText(f))}. <span class="model">${esc(f.memory.model)}</span></p>` : ''}
<p><strong>Evidence:</strong> ${linkify(f.evidence.summary)}</p>
${f.evidence.fingerprint ? `<pre class="sql">${esc(f.evidence.fingerprint)}</pre>` : ''}
${sites(f.callSites)}
${metrics.length ? `<table class="kv"><tbody>${metrics.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>` : ''}
<p><strong>Fix:</strong> ${linkify(f.recommendation.summary)}</p>
${f.recommendation.code ? `<pre class="code">${esc(f.recommendation.code)}</pre>` : ''}
<p class="model"><strong>Saving model:</strong> ${esc(f.savingModel)}</p>
</details>`;
  };
  const timed = all.filter((f) => !isRiskOnly(f)), risks = all.filter(isRiskOnly);
  return `<section id="findings"><h2>Bottlenecks, by the time their fix saves</h2><p class="actions"><button type="button" id="expand">expand all</button></p>${timed.length ? timed.map(card).join('\n') : '<p>No finding saves time.</p>'}</section>
${risks.length ? `<section id="risks"><h2>Risks that save no time: memory first, by the share of the heap limit</h2>${risks.map(card).join('\n')}</section>` : ''}`;
}

function breakdown(r: Report): string {
  const stages = r.stages;
  const max = Math.max(1, ...stages.map((s) => s.wallMs));
  return `<section id="breakdown"><h2>Where the time went</h2>
${stages.length ? `<table class="stages"><thead><tr><th>stage</th><th class="n">runs</th><th class="n">wall</th><th class="bar-col">database / FTP / logic / waiting</th><th class="n">records</th></tr></thead><tbody>
${stages.map((s) => `<tr><td>${esc(s.name)}</td><td class="n">${s.runs}</td><td class="n">${esc(dur(s.wallMs))}</td><td class="bar-col">${stackedBar(s.categories, max, 1000, 18)}</td><td class="n">${esc(s.records ?? '-')}</td></tr>`).join('\n')}
</tbody></table>` : '<p>No stages: name them with <code>stage(\'extract\', fn)</code> to see the split per stage.</p>'}
</section>`;
}

function timeline(r: Report): string {
  const t = r.timeline;
  if (!t || t.db.length === 0) return '';
  const W = 1000, H = 110, n = t.db.length, bw = W / n;
  const cols: string[] = [];
  for (let i = 0; i < n; i++) {
    let y = H;
    for (const [cat, v] of [['db', t.db[i]!], ['ftp', t.ftp[i]!], ['network', t.network?.[i] ?? 0], ['logic', t.logic[i]!]] as const) {
      if (v <= 0) continue;
      const h = Math.min(1, v / t.binMs) * H;
      y -= h;
      cols.push(`<rect class="c-${cat}" x="${(i * bw).toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.5, bw).toFixed(2)}" height="${h.toFixed(2)}"><title>${esc(dur(i * t.binMs))}: ${esc(CATEGORY_LABEL[cat])} ${esc(dur(v))}</title></rect>`);
    }
  }
  // Heap used as a line over the bars, scaled to its own peak (the peak is in the title and the About table).
  const peakMem = t.memory ? Math.max(...t.memory) : 0;
  if (t.memory && peakMem > 0) {
    const pts = t.memory.map((v, i) => `${((i + 0.5) * bw).toFixed(2)},${(H - (v / peakMem) * (H - 4)).toFixed(2)}`).filter((_, i) => t.memory![i]! > 0);
    cols.push(`<polyline class="mem-line" points="${pts.join(' ')}"><title>heap used, peak ${esc(size(peakMem))}</title></polyline>`);
  }
  const wall = t.binMs * n;
  const names = [...new Set(t.stages.map((s) => s.name))].slice(0, 12);
  const laneH = 16;
  const lanes = t.stages.filter((s) => names.includes(s.name)).map((s) => {
    const y = H + 12 + names.indexOf(s.name) * (laneH + 4);
    return `<rect class="stage" x="${((s.startMs / wall) * W).toFixed(2)}" y="${y}" width="${Math.max(1, ((s.endMs - s.startMs) / wall) * W).toFixed(2)}" height="${laneH}"><title>${esc(s.name)}: ${esc(dur(s.startMs))} to ${esc(dur(s.endMs))}</title></rect>`;
  });
  const labels = names.map((name, i) => `<text class="lane" x="4" y="${H + 12 + i * (laneH + 4) + 12}">${esc(name)}</text>`);
  const totalH = H + 16 + names.length * (laneH + 4);
  return `<section id="timeline"><h2>Timeline</h2>
<svg class="timeline" viewBox="0 0 ${W} ${totalH}" preserveAspectRatio="none" role="img" aria-label="activity over the run">${cols.join('')}${lanes.join('')}${labels.join('')}</svg>
<p class="axis-labels"><span>0</span><span>${esc(dur(wall / 2))}</span><span>${esc(dur(wall))}</span></p>
<p class="note">Each column is ${esc(dur(t.binMs))}: the share of it spent in database calls, FTP and CPU (the rest is waiting)${t.memory ? '; the dashed line is heap used, scaled to its peak' : ''}. Bars below are stage runs.</p>
</section>`;
}

function queries(r: Report): string {
  if (r.queries.length === 0) return '';
  const rows = r.queries.slice(0, MAX_ROWS).map((q) => `<tr><td><code>${esc(q.fingerprint)}</code></td><td>${esc(q.system)}</td><td class="n" data-v="${q.calls}">${q.calls}</td><td class="n" data-v="${q.totalMs}">${esc(dur(q.totalMs))}</td><td class="n" data-v="${q.meanMs}">${esc(dur(q.meanMs))}</td><td class="n" data-v="${q.p95Ms}">${esc(dur(q.p95Ms))}</td><td class="n" data-v="${q.rows ?? -1}">${esc(q.rows ?? '-')}</td><td class="n" data-v="${q.errors}">${q.errors}</td><td class="n" data-v="${q.share}">${esc(pct(q.share, 1))}</td></tr>`);
  return `<section id="queries"><h2>Statement classes</h2><p class="note">Literals are replaced by <code>?</code>. Click a column to sort.</p>
<table class="sortable"><thead><tr><th data-sort="text">statement</th><th data-sort="text">system</th><th data-sort="num" class="n">calls</th><th data-sort="num" class="n">total</th><th data-sort="num" class="n">mean</th><th data-sort="num" class="n">p95</th><th data-sort="num" class="n">rows</th><th data-sort="num" class="n">errors</th><th data-sort="num" class="n">share</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>${r.queries.length > MAX_ROWS ? `<p class="note">The ${MAX_ROWS} classes with the most time of ${r.queries.length}; report.json has all.</p>` : ''}</section>`;
}

/** What the database server recorded during the run (profile --slow-log, --db), beside the job's classes. */
function serverView(r: Report): string {
  const v = r.serverView;
  if (!v) return '';
  const num = (x: number | null) => (x === null ? '-' : String(x));
  // Every value escaped, numbers too: `report` re-renders a report.json that may not be ours.
  const cell = (x: unknown, shown: string) => `<td class="n" data-v="${esc(x ?? -1)}">${esc(shown)}</td>`;
  const rows = v.classes.slice(0, MAX_ROWS).map((c) => `<tr><td><code>${esc(c.fingerprint)}</code></td><td>${esc(c.source)}</td>${cell(c.jobCalls, String(c.jobCalls))}${cell(c.serverCalls, String(c.serverCalls))}${cell(c.serverMs, dur(c.serverMs))}${cell(c.rowsSent, num(c.rowsSent))}${cell(c.rowsExamined, num(c.rowsExamined))}${cell(c.lockMs, c.lockMs === null ? '-' : dur(c.lockMs))}${cell(c.tmpTables, c.tmpTables === null ? '-' : `${c.tmpTables}${c.tmpDiskTables ? ` (${c.tmpDiskTables} on disk)` : ''}`)}</tr>`);
  const sources = v.sources.map((s) => `${esc(s.source)} (${esc(s.origin)}): ${esc(s.statements)} statements, ${esc(dur(s.totalMs))}${s.badRecords ? `, ${esc(s.badRecords)} unreadable records` : ''}`).join('; ');
  return `<section id="server"><h2>What the database server saw</h2><p class="note">${sources}. Server time excludes the network and the client; the server counts every session's calls in the run's window.${v.otherClasses ? ` ${esc(v.otherClasses)} other classes (${esc(dur(v.otherMs))}) ran on the server in that window without passing through the profiled job's clients.` : ''}</p>
<table class="sortable"><thead><tr><th data-sort="text">statement</th><th data-sort="text">source</th><th data-sort="num" class="n">job calls</th><th data-sort="num" class="n">server calls</th><th data-sort="num" class="n">server time</th><th data-sort="num" class="n">rows sent</th><th data-sort="num" class="n">rows examined</th><th data-sort="num" class="n">lock wait</th><th data-sort="num" class="n">temp tables</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function explains(list: ExplainResult[]): string {
  if (!list.length) return '';
  const one = (e: ExplainResult) => {
    const diagAt = new Map<string, string[]>();
    for (const d of e.diagnostics) {
      const k = d.nodePath.join('.');
      if (!diagAt.has(k)) diagAt.set(k, []);
      diagAt.get(k)!.push(`<li class="diag sev-${esc(d.severity)}">${esc(d.message)}</li>`);
    }
    const node = (n: PlanNode, path: number[]): string => {
      const k = path.join('.');
      const flagged = diagAt.has(k);
      const bits = [
        n.relation ? `on ${n.relation}` : '', n.index ? `using ${n.index}` : '',
        n.totalCost !== null ? `cost ${n.totalCost}` : '', n.planRows !== null ? `${n.planRows} rows est.` : '',
        n.actualRows !== null ? `${n.actualRows} rows` : '', n.actualTotalMs !== null ? dur(n.actualTotalMs) : '',
      ].filter(Boolean).join(', ');
      return `<li class="${flagged ? 'flagged' : ''}"><span class="pnode">${esc(n.nodeType)}</span> <span class="pmeta">${esc(bits)}</span>${n.filter ? `<div class="pfilter">filter: <code>${esc(n.filter)}</code></div>` : ''}${flagged ? `<ul class="diags">${diagAt.get(k)!.join('')}</ul>` : ''}${n.children.length ? `<ul>${n.children.map((c, i) => node(c, [...path, i])).join('')}</ul>` : ''}</li>`;
    };
    return `<details class="explain"><summary><code>${esc(e.fingerprint)}</code> <span class="pmeta">${esc(e.system)}, ${esc(e.mode)}${e.diagnostics.length ? `, ${e.diagnostics.length} diagnostic(s)` : ''}</span></summary>
${e.plan ? `<ul class="plan">${node(e.plan, [])}</ul>` : `<p>${esc(e.note ?? 'no plan')}</p>`}
${e.indexAdvice.map((a) => `<p class="advice">${a.confirmed ? 'Confirmed by the planner' : 'Unconfirmed'}: <code>${esc(a.createStatement)}</code> ${esc(a.basis)}</p>`).join('')}
</details>`;
  };
  return `<section id="explain"><h2>Query plans</h2>${list.map(one).join('\n')}</section>`;
}

function ftp(r: Report): string {
  const f = r.ftp;
  if (f.files === 0 && !r.ftpBench) return '';
  const rows = f.transfers.slice(0, MAX_ROWS).map((t) => `<tr><td>${esc(t.direction)}</td><td>${esc(t.server)}</td><td>${esc(t.file)}</td><td class="n" data-v="${t.bytes ?? -1}">${t.bytes === null ? '-' : esc(size(t.bytes))}</td><td class="n" data-v="${t.ms}">${esc(dur(t.ms))}</td><td class="n" data-v="${t.throughput ?? -1}">${t.throughput === null ? '-' : `${esc(size(t.throughput))}/s`}</td><td>${esc(t.mode ?? '-')}</td><td>${t.error ? 'failed' : ''}</td></tr>`);
  let chart = '';
  if (r.ftpBench) {
    const groups = new Map<string, [number, number][]>();
    for (const c of r.ftpBench.cells) {
      const k = `${c.workload} ${c.direction}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push([c.streams, c.throughput]);
    }
    chart = `<h3>Benchmark of the server: throughput against streams</h3>${lineChart([...groups].map(([name, points]) => ({ name, points })), { xLabel: 'streams', yLabel: 'throughput', fmtX: (x) => String(x), fmtY: (y) => `${size(y)}/s` })}`;
  }
  return `<section id="ftp"><h2>${esc(transferLabel(f.protocols))}</h2><p>${f.files} transfers, ${esc(size(f.bytes))} in ${esc(dur(f.transferMs))}${f.throughput ? ` (${esc(size(f.throughput))}/s)` : ''}, ${f.connections} connection(s), at most ${f.maxParallel} at once.</p>
${rows.length ? `<table class="sortable"><thead><tr><th data-sort="text">direction</th><th data-sort="text">server</th><th data-sort="text">file</th><th data-sort="num" class="n">size</th><th data-sort="num" class="n">time</th><th data-sort="num" class="n">throughput</th><th data-sort="text">mode</th><th data-sort="text"></th></tr></thead><tbody>${rows.join('\n')}</tbody></table>${f.transfers.length > MAX_ROWS ? `<p class="note">The first ${MAX_ROWS} of ${f.transfers.length} transfers.</p>` : ''}` : ''}
${chart}</section>`;
}

function runtime(r: Report): string {
  const rt = r.runtime;
  const rows = rt.hotFunctions.map((h) => `<tr><td><code>${esc(h.functionName)}</code></td><td><code>${esc(h.location)}</code></td><td class="n" data-v="${h.selfMs}">${esc(dur(h.selfMs))}</td><td class="n" data-v="${h.attributedMs}">${esc(dur(h.attributedMs))}</td><td class="n" data-v="${h.totalMs}">${esc(dur(h.totalMs))}</td></tr>`);
  return `<section id="runtime"><h2>Runtime</h2>
<p>Event-loop utilization ${rt.eventLoopUtilization === null ? '-' : esc(pct(rt.eventLoopUtilization, 1))}${rt.eventLoopDelayMs ? `; event-loop delay p50 ${esc(dur(rt.eventLoopDelayMs.p50))}, p99 ${esc(dur(rt.eventLoopDelayMs.p99))}, max ${esc(dur(rt.eventLoopDelayMs.max))}` : ''}${rt.gc ? `; GC ${rt.gc.count} pauses, ${esc(dur(rt.gc.totalMs))}, longest ${esc(dur(rt.gc.maxMs))}` : ''}; ${rt.cpuProfileSamples} CPU profile samples.</p>
${rows.length ? `<table class="sortable"><thead><tr><th data-sort="text">function</th><th data-sort="text">where</th><th data-sort="num" class="n">self</th><th data-sort="num" class="n">own + callees outside your code</th><th data-sort="num" class="n">total</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>` : ''}
</section>`;
}

/** Memory per process and per stage, and what the memory grew during on its way to the peak. */
function memorySection(r: Report): string {
  const m = r.memory;
  if (!m) return '';
  const procs = m.processes.map((p) => `<tr><td>${esc(p.name ?? '-')}</td><td class="n" data-v="${p.pid}">${p.pid}${p.threadId ? ` t${p.threadId}` : ''}</td><td class="n" data-v="${p.peakHeapUsedBytes}">${esc(size(p.peakHeapUsedBytes))}</td><td class="n" data-v="${p.peakHeapAtMs}">${esc(dur(p.peakHeapAtMs))}</td><td class="n" data-v="${p.peakExternalBytes}">${esc(size(p.peakExternalBytes))}</td><td class="n" data-v="${p.peakRssBytes}">${esc(size(p.peakRssBytes))}</td><td class="n" data-v="${p.heapLimitBytes ?? -1}">${p.heapLimitBytes === null ? '-' : esc(size(p.heapLimitBytes))}</td></tr>`);
  const stages = m.stages.map((st) => `<tr><td>${esc(st.name)}</td><td class="n" data-v="${st.peakHeapUsedBytes}">${esc(size(st.peakHeapUsedBytes))}</td><td class="n" data-v="${st.heapGrowthBytes}">${st.heapGrowthBytes < 0 ? '-' : '+'}${esc(size(Math.abs(st.heapGrowthBytes)))}</td></tr>`);
  const g = m.growth;
  const owners = (g?.owners ?? []).map((o) => `<tr><td>${esc(o.kind)}</td><td>${o.kind === 'query' ? `<code>${esc(o.label)}</code>` : esc(o.label)}</td><td class="n" data-v="${o.bytes}">+${esc(size(o.bytes))}</td><td class="n" data-v="${o.share}">${esc((o.share * 100).toFixed(0))}%</td></tr>`);
  return `<section id="memory"><h2>Memory</h2>
<table class="sortable"><thead><tr><th data-sort="text">process</th><th data-sort="num" class="n">pid</th><th data-sort="num" class="n">peak heap used</th><th data-sort="num" class="n">at</th><th data-sort="num" class="n">peak outside the heap</th><th data-sort="num" class="n">peak RSS</th><th data-sort="num" class="n">heap limit</th></tr></thead><tbody>${procs.join('')}</tbody></table>
${stages.length ? `<table class="sortable"><thead><tr><th data-sort="text">stage</th><th data-sort="num" class="n">peak heap used</th><th data-sort="num" class="n">heap growth</th></tr></thead><tbody>${stages.join('')}</tbody></table>` : ''}
${g && owners.length ? `<h3>What it grew during, toward its peak (${esc(size(g.baseBytes))} to ${esc(size(g.peakBytes))})</h3><table class="sortable"><thead><tr><th data-sort="text">kind</th><th data-sort="text">what</th><th data-sort="num" class="n">growth</th><th data-sort="num" class="n">share</th></tr></thead><tbody>${owners.join('')}</tbody></table><p class="note">${esc(g.method)}</p>` : ''}
<p class="note">${esc(m.method)}${m.probeBufferBytes ? ` The probes' own buffers held at most ${esc(size(m.probeBufferBytes))} (the V8 CPU profiler's native buffers not included).` : ''}</p>
</section>`;
}

function about(r: Report): string {
  const rows: [string, string][] = [
    ['command', r.run.command.join(' ')], ['started', r.run.startedAt], ['ended', r.run.endedAt],
    ['Node', r.run.nodeVersions.join(', ')], ['batch-doctor', r.tool.version], ['report format', String(r.schemaVersion)],
    ['spans', `${r.collection.spansRecorded} recorded, ${r.collection.spansDropped} dropped, ${r.collection.processes} process(es)`],
    ...(r.run.cpuMs !== null && r.run.cpuMs !== undefined ? [['CPU time', dur(r.run.cpuMs)] as [string, string]] : []),
    ...(r.collection.probeCost ? [["the probes' own cost", `about ${dur(r.collection.probeCost.setupMs + (r.collection.probeCost.exitMs ?? 0) + r.collection.probeCost.callsMs)} (set-up ${dur(r.collection.probeCost.setupMs)}${r.collection.probeCost.exitMs !== undefined ? `, exit ${dur(r.collection.probeCost.exitMs)}` : ''}; ${r.collection.probeCost.officialDbCalls} full spans at ${r.collection.probeCost.perCallUs.official} µs, ${r.collection.probeCost.fastDbCalls} fast-path calls at ${r.collection.probeCost.perCallUs.fast} µs), taken out of the statements' time before pricing the fixes`] as [string, string]] : []),
    ...(memoryLine(r.memory) ? [['memory', `${memoryLine(r.memory)!.replace(/^memory: /, '')}. ${r.memory!.method}`] as [string, string]] : []),
    ...(coverageLine(r.collection.coverage) ? [['coverage', coverageLine(r.collection.coverage)!.replace(/^coverage: /, '')] as [string, string]] : []),
    ...(r.thresholds?.file ? [['thresholds file', r.thresholds.file] as [string, string]] : []),
    ...(r.deepDive ? [[r.deepDive.tool, r.deepDive.report ?? r.deepDive.problem ?? ''] as [string, string]] : []),
  ];
  const procs = (r.processes ?? []).map((p) => `<tr><td class="n" data-v="${p.pid}">${p.pid}</td><td class="n" data-v="${p.ppid}">${p.ppid || '-'}</td><td>${esc(p.name ?? '-')}</td><td class="n" data-v="${p.spans}">${p.spans}</td><td class="n" data-v="${p.dbMs}">${esc(dur(p.dbMs))}</td><td class="n" data-v="${p.ftpMs}">${esc(dur(p.ftpMs))}</td><td class="n" data-v="${p.cpuMs ?? -1}">${p.cpuMs === null ? '-' : esc(dur(p.cpuMs))}</td></tr>`);
  const det = r.detectors.map((d) => `<tr><td>${esc(d.id)}</td><td>${d.status === 'ran' ? `${d.findings} finding(s)` : `no data: ${esc(d.reason ?? '')}`}</td></tr>`);
  return `<section id="about"><h2>About this run</h2><table class="kv"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
${procs.length > 1 ? `<h3>Processes</h3><table class="sortable"><thead><tr><th data-sort="num" class="n">pid</th><th data-sort="num" class="n">parent</th><th data-sort="text">script</th><th data-sort="num" class="n">spans</th><th data-sort="num" class="n">database</th><th data-sort="num" class="n">FTP</th><th data-sort="num" class="n">CPU</th></tr></thead><tbody>${procs.join('')}</tbody></table>` : ''}
<details><summary>What each detector concluded</summary><table class="kv"><tbody>${det.join('')}</tbody></table></details></section>`;
}

/** The page's style: system fonts, light and dark, no external resource. */
const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--mut:#5b6570;--line:#d8dee4;--card:#f6f8fa;--db:#3b82f6;--ftp:#f59e0b;--logic:#10b981;--network:#ec4899;--waiting:#cbd5e1;--risk:#b42318;--stage:#8b5cf6}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mut:#9aa5b1;--line:#30363d;--card:#161b22;--waiting:#3b4350}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main{max-width:1200px;margin:0 auto;padding:0 20px}header{padding-top:16px}h1{font-size:22px;margin:0}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px}
code,pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;white-space:pre-wrap;word-break:break-word}
.cmd{color:var(--mut);margin:4px 0 0;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin:16px 0}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}.card .k{color:var(--mut);font-size:12px;text-transform:uppercase;letter-spacing:.04em}.card .v{font-size:24px;font-weight:600}.card .s{color:var(--mut)}
.top{padding-left:20px}.top li{margin:4px 0}.save{font-weight:600;white-space:nowrap}
.conf{font-size:11px;border-radius:10px;padding:1px 7px;border:1px solid var(--line);color:var(--mut)}.conf.c-high{border-color:var(--logic)}.conf.c-low{border-style:dashed}
.cat{font-size:11px;color:var(--mut)}.cat-db{color:var(--db)}.cat-ftp{color:var(--ftp)}.cat-logic{color:var(--logic)}.cat-network{color:var(--network)}
svg.bar{width:100%;height:26px;display:block;border-radius:4px;margin:8px 0}td svg.bar{height:16px;margin:0}
.c-db{fill:var(--db);background:var(--db)}.c-ftp{fill:var(--ftp);background:var(--ftp)}.c-logic{fill:var(--logic);background:var(--logic)}.c-network{fill:var(--network);background:var(--network)}.c-waiting{fill:var(--waiting);background:var(--waiting)}
.legend{color:var(--mut)}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}
.warnings li{color:var(--risk)}
div.sites ol.stack{margin:2px 0 6px 18px;padding-left:12px}div.sites li.loop{font-weight:600}details.finding{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:6px 12px}details.finding>summary{cursor:pointer;list-style:none;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.rank{display:inline-block;min-width:24px;text-align:center;font-weight:700;border-radius:12px;background:var(--card)}.ftitle{flex:1 1 400px;font-weight:600}
.risk{color:var(--risk)}.model{color:var(--mut);font-size:13px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}td.n,th.n{text-align:right;white-space:nowrap}
table.kv{width:auto}table.kv th{color:var(--mut);font-weight:normal}
table.sortable th[data-sort]{cursor:pointer;user-select:none}table.sortable th[data-sort]:hover{text-decoration:underline}
td.bar-col,th.bar-col{width:50%}
svg.timeline{width:100%;height:auto;display:block;background:var(--card);border-radius:6px}.mem-line{fill:none;stroke:var(--fg);stroke-width:1.5;stroke-dasharray:4 2;vector-effect:non-scaling-stroke}.stage{fill:var(--stage);opacity:.75}.lane{font-size:11px;fill:var(--fg)}
.axis-labels{display:flex;justify-content:space-between;color:var(--mut);margin:2px 0}.note{color:var(--mut);font-size:13px}
ul.plan,ul.plan ul{list-style:none;padding-left:18px;border-left:1px dotted var(--line)}ul.plan{padding-left:4px;border:0}.pnode{font-weight:600}.pmeta{color:var(--mut)}.pfilter{color:var(--mut)}
li.flagged>.pnode{color:var(--risk)}.diags{list-style:disc;border:0}.diag{color:var(--risk)}.diag.sev-info{color:var(--mut)}
details.explain{margin:6px 0}details.explain>summary{cursor:pointer}.advice{margin-left:18px}
svg.chart{width:100%;max-width:720px;height:auto}.axis{stroke:var(--mut)}.tick,.legend text{font-size:11px;fill:var(--mut)}
.series{stroke-width:2}.s0{stroke:var(--db);fill:var(--db)}.s1{stroke:var(--ftp);fill:var(--ftp)}.s2{stroke:var(--logic);fill:var(--logic)}.s3{stroke:var(--stage);fill:var(--stage)}.s4{stroke:var(--risk);fill:var(--risk)}.s5{stroke:var(--mut);fill:var(--mut)}
polyline.series{fill:none}text.legend{font-size:12px;stroke:none}
button{font:inherit;background:var(--card);color:var(--fg);border:1px solid var(--line);border-radius:6px;padding:2px 10px;cursor:pointer}.actions{margin:0}
`;

/** The page's only script: sortable tables and "expand all". No network, no eval, no HTML from data. */
const JS = `
(function(){
  var tables=document.querySelectorAll('table.sortable');
  for(var t=0;t<tables.length;t++)(function(table){
    var ths=table.querySelectorAll('th[data-sort]');
    for(var i=0;i<ths.length;i++)(function(th,col){
      th.addEventListener('click',function(){
        var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
        var num=th.getAttribute('data-sort')==='num';
        /* numbers: largest first on the first click; text: A to Z first; each click turns it round */
        var first=!th.getAttribute('data-dir');var down=first?num:th.getAttribute('data-dir')!=='down';
        th.setAttribute('data-dir',down?'down':'up');var sign=down?1:-1;
        rows.sort(function(a,b){var x=a.cells[col],y=b.cells[col];
          if(num){return sign*((parseFloat(y.getAttribute('data-v'))||0)-(parseFloat(x.getAttribute('data-v'))||0));}
          return sign*(y.textContent.localeCompare(x.textContent));});
        for(var r=0;r<rows.length;r++)body.appendChild(rows[r]);
      });
    })(ths[i],Array.prototype.indexOf.call(th_parent(ths[i]).children,ths[i]));
  })(tables[t]);
  function th_parent(th){return th.parentNode;}
  var b=document.getElementById('expand');
  if(b)b.addEventListener('click',function(){var d=document.querySelectorAll('details.finding');var open=b.textContent==='expand all';for(var i=0;i<d.length;i++)d[i].open=open;b.textContent=open?'collapse all':'expand all';});
})();
`;
