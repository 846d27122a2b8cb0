import type { RuntimeSummary } from '../model/report';
import type { TraceModel } from '../model/trace';
import { round3 } from './intervals';

/** Hot functions listed in the report. */
const HOT_FUNCTIONS_SHOWN = 15;

/** Runtime signals of all processes: ELU, event-loop delay, GC and the hottest functions. */
export function summarizeRuntime(model: TraceModel): RuntimeSummary {
  let busy = 0, span = 0;
  for (const p of model.processes) {
    const w = p.eluWindows;
    for (let i = 0; i + 2 < w.length; i += 3) { busy += (w[i + 1]! - w[i]!) * w[i + 2]!; span += w[i + 1]! - w[i]!; }
  }
  const footers = model.processes.map((p) => p.footer).filter((f) => f !== null);
  const delays = footers.map((f) => f.eventLoopDelayMs).filter((d) => d !== null);
  const gcs = footers.map((f) => f.gc).filter((g) => g !== null);
  const fnMap = new Map<string, RuntimeSummary['hotFunctions'][number]>();
  let samples = 0;
  for (const p of model.processes) {
    if (!p.cpuProfile) continue;
    samples += p.cpuProfile.samples;
    for (const f of p.cpuProfile.functions) {
      if (f.functionName.startsWith('(') && f.functionName !== '(anonymous)') continue; // (program), (garbage collector)
      const location = f.url ? `${f.url.replace(/^file:\/\//, '')}:${f.line}:${f.column}` : '(native)';
      const key = `${f.functionName}@${location}`;
      const cur = fnMap.get(key) ?? { functionName: f.functionName, location, selfMs: 0, totalMs: 0, attributedMs: 0 };
      cur.selfMs = round3(cur.selfMs + f.selfMs); cur.totalMs = round3(cur.totalMs + f.totalMs);
      cur.attributedMs = round3(cur.attributedMs + (f.attributedMs ?? 0));
      fnMap.set(key, cur);
    }
  }
  return {
    eventLoopUtilization: span > 0 ? round3(busy / span) : null,
    eventLoopDelayMs: delays.length ? delays.reduce((a, d) => (d.max > a.max ? d : a)) : null,
    gc: gcs.length ? { count: gcs.reduce((a, g) => a + g.count, 0), totalMs: round3(gcs.reduce((a, g) => a + g.totalMs, 0)), maxMs: Math.max(...gcs.map((g) => g.maxMs)) } : null,
    hotFunctions: [...fnMap.values()].filter((f) => f.selfMs > 0).sort((a, b) => b.selfMs - a.selfMs).slice(0, HOT_FUNCTIONS_SHOWN),
    cpuProfileSamples: samples,
  };
}
