import * as crypto from 'node:crypto';
import type { Report } from '../model/report';
import type { Baseline, Calibration, GateCheck, GateEnvironment, GateResult, RunSample } from '../model/gate';
import { GATE_SCHEMA_VERSION } from '../model/gate';
import { mad, mannWhitneyGreater, median, ratioEstimate } from './stats';

/**
 * The gate's rules, pure functions of run samples. Counters first (they are
 * deterministic: statements per class, rows, files, bytes, connections), then
 * timings with a noise-aware rule, then findings the baseline did not have.
 */

/** Gate thresholds, with units and reasons. */
export interface GateOptions {
  /**
   * Relative increase a counter may show, 0..1. Default 0.05: statement and file counts of a batch job are
   * deterministic for the same input; a retry or a polling loop may add a few percent.
   */
  counterTolerance: number;
  /** Absolute increase a counter may show on top, in its unit. Default 2 (a retried statement or a reconnect). */
  counterSlack: number;
  /**
   * Relative timing threshold, 0..1. Default 0.15 ({@link MIN_TIMING_THRESHOLD}), or from the baseline's
   * calibration when it has one. A
   * slowdown is a regression only when it is statistically clear (one-sided Mann-Whitney p below alpha /
   * number of timings, and the 95% interval of the Hodges-Lehmann ratio above 1) and its estimate exceeds
   * 1 + threshold and the medians differ by more than minTimingMs; it is fine when the whole interval lies
   * below 1 + threshold (or the medians differ by less than minTimingMs); anything else is inconclusive,
   * never a failure.
   */
  timingThreshold: number;
  /** Smallest absolute slowdown of a median that can fail, ms. Default 50 ms: below that, scheduling noise on a CI runner. */
  minTimingMs: number;
  /**
   * Smallest absolute growth of a median peak (heap used, RSS) that can fail, MiB. Default 16 MiB: one semi-space of
   * V8's young generation (16 MiB on 64-bit), the garbage a sampled peak can carry or not from one run to the next.
   */
  minMemoryMiB: number;
  /**
   * One-sided Mann-Whitney p-value below which a slowdown counts as real, for the gate as a whole (divided among
   * the timings compared). Default 0.10: the timings compared (wall, CPU, logic, a stage) move together, so the
   * division is conservative; the relative threshold on the estimate is the main guard against noise.
   */
  alpha: number;
  /** Categories and stages below this share of the wall time are not timed on their own, 0..1. Default 0.05. */
  minShareTimed: number;
  /** A new finding fails the gate when its predicted saving is at least this share of the wall time, 0..1. Default 0.05. */
  newFindingShare: number;
  /** ... and at least this many ms. Default 100 ms. */
  newFindingMinMs: number;
}

/** The defaults documented on {@link GateOptions}. */
export const DEFAULT_GATE_OPTIONS: GateOptions = {
  counterTolerance: 0.05, counterSlack: 2, timingThreshold: 0.15, minTimingMs: 50, minMemoryMiB: 16, alpha: 0.10,
  minShareTimed: 0.05, newFindingShare: 0.05, newFindingMinMs: 100,
};

/** Fewest runs per side for a timing verdict: with fewer, the interval says nothing. */
export const MIN_TIMING_RUNS = 3;

/** What a report contributes to a comparison. */
export function sampleFromReport(r: Report): RunSample {
  const counters: Record<string, number> = {};
  const labels: Record<string, string> = {};
  let statements = 0;
  for (const q of r.queries) {
    counters[`calls:${q.id}`] = q.calls; labels[`calls:${q.id}`] = `calls of ${q.fingerprint}`;
    if (q.rows !== null) { counters[`rows:${q.id}`] = q.rows; labels[`rows:${q.id}`] = `rows of ${q.fingerprint}`; }
    statements += q.calls;
  }
  counters['db.statements'] = statements; labels['db.statements'] = 'database statements';
  counters['ftp.files'] = r.ftp.files; labels['ftp.files'] = 'FTP files transferred';
  counters['ftp.bytes'] = r.ftp.bytes; labels['ftp.bytes'] = 'FTP bytes transferred';
  counters['ftp.connections'] = r.ftp.connections; labels['ftp.connections'] = 'FTP connections opened';
  const recs = r.stages.filter((s) => s.records !== null);
  return {
    wallMs: r.run.wallMs,
    cpuMs: r.run.cpuMs ?? null,
    categories: Object.fromEntries(r.breakdown.categories.map((c) => [c.category, c.ms])) as RunSample['categories'],
    stages: Object.fromEntries(r.stages.map((s) => [s.name, s.wallMs])),
    counters, counterLabels: labels,
    records: recs.length ? recs.reduce((a, s) => a + s.records!, 0) : null,
    findings: r.findings.map((f) => ({ id: f.id, title: f.title, savingMs: f.estimatedSavingMs,
      ...(f.callSites?.[0] ? { site: { file: f.callSites[0].file, line: f.callSites[0].line } } : {}) })),
    exitCode: r.run.exitCode,
    ...(r.memory ? { peakHeapBytes: r.memory.peakHeapUsedBytes, peakRssBytes: r.memory.peakRssBytes } : {}),
  };
}

/** The environment of a run, from its report and the machine. */
export function environmentOf(r: Report, machine: { platform: string; cpu: string }): GateEnvironment {
  const classes = r.queries.map((q) => q.id).sort().join(',');
  const records = r.stages.filter((s) => s.records !== null).reduce((a, s) => a + s.records!, 0);
  return {
    nodeVersions: r.run.nodeVersions, platform: machine.platform, cpu: machine.cpu,
    databases: [...new Set(r.queries.map((q) => q.system))].sort(),
    dataset: crypto.createHash('sha1').update(`${records}|${classes}`).digest('hex').slice(0, 12),
  };
}

/** Floor of the timing threshold, 0..1. See {@link calibrate}. */
export const MIN_TIMING_THRESHOLD = 0.15;
/**
 * Ceiling of the calibrated timing threshold, 0..1: above it a 30% slowdown could pass unnoticed. A job noisier
 * than that gets inconclusive verdicts (more repeats narrow the interval), not a blind gate.
 */
export const MAX_TIMING_THRESHOLD = 0.2;

/**
 * A/A calibration: the robust relative spread of the baseline's own wall
 * times (1.4826 x MAD / median, the standard deviation for normal noise).
 * Threshold = twice that spread, at least 15% and at most 20%. Why twice and
 * why 15%: the spread within one batch of runs understates the drift between
 * the minute the baseline was recorded and the minute the gate runs; on this
 * project's shared 2-core machines, identical batches a few minutes apart
 * differed by up to about 10% (docs/gate.md). The confidence interval in the
 * timing rule covers the noise of the medians; the threshold is the smallest
 * slowdown worth a red build.
 */
export function calibrate(runs: readonly RunSample[]): Calibration | null {
  if (runs.length < MIN_TIMING_RUNS) return null;
  const walls = runs.map((r) => r.wallMs);
  const relativeNoise = median(walls) > 0 ? (1.4826 * mad(walls)) / median(walls) : 0;
  return { relativeNoise: Math.round(relativeNoise * 10000) / 10000, timingThreshold: Math.round(Math.min(MAX_TIMING_THRESHOLD, Math.max(MIN_TIMING_THRESHOLD, 2 * relativeNoise)) * 10000) / 10000, runs: runs.length };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** A timing-like check (wall time, a category, a stage; or peak memory, in `unit`, where more is `worse`). */
function timingCheck(name: string, base: number[], cur: number[], o: GateOptions, alpha: number, unit = 'ms', worse = 'slower', floor = o.minTimingMs): GateCheck {
  const mb = median(base); const mc = median(cur);
  const diff = mc - mb;
  if (base.length < MIN_TIMING_RUNS || cur.length < MIN_TIMING_RUNS) {
    return { rule: 'timing', name, verdict: 'inconclusive', baseline: r1(mb), current: r1(mc), message: `${name}: ${r1(mb)} ${unit} -> ${r1(mc)} ${unit}; timing needs at least ${MIN_TIMING_RUNS} runs on each side (baseline ${base.length}, current ${cur.length}): use --repeat.` };
  }
  const est = ratioEstimate(base, cur);
  const ratio = est.ratio; const ciLow = est.low; const ciHigh = est.high;
  const p = mannWhitneyGreater(base, cur);
  const thr = o.timingThreshold;
  const stats = { ratio: r3(ratio), ciLow: r3(ciLow), ciHigh: r3(ciHigh), pValue: r3(p), threshold: thr, baselineRuns: base.length, currentRuns: cur.length };
  const pct = (x: number) => `${((x - 1) * 100).toFixed(1)}%`;
  const head = `${name}: median ${r1(mb)} ${unit} -> ${r1(mc)} ${unit} (change ${ratio >= 1 ? '+' : ''}${pct(ratio)}, 95% interval ${pct(ciLow)} .. ${pct(ciHigh)}, p = ${r3(p)})`;
  // Fail: clearly slower (the rank test, corrected for the number of timings compared, and the interval agree)
  // and by more than both floors (the relative threshold on the estimate, the absolute one on the medians).
  if (p < alpha && ciLow > 1 && ratio > 1 + thr && diff > floor) {
    return { rule: 'timing', name, verdict: 'fail', baseline: r1(mb), current: r1(mc), stats, message: `${head}: ${worse} by more than the ${(thr * 100).toFixed(0)}% threshold.` };
  }
  if (ciHigh < 1 + thr || diff <= floor) {
    return { rule: 'timing', name, verdict: 'pass', baseline: r1(mb), current: r1(mc), stats, message: `${head}: within the ${(thr * 100).toFixed(0)}% threshold.` };
  }
  return { rule: 'timing', name, verdict: 'inconclusive', baseline: r1(mb), current: r1(mc), stats, message: `${head}: neither clearly ${worse} nor clearly within ${(thr * 100).toFixed(0)}%; run more repeats to decide.` };
}

/** Compares current runs with a baseline. Pure. */
export function compareRuns(baseline: Baseline, current: readonly RunSample[], currentEnv: GateEnvironment, opts: Partial<GateOptions> = {}, toolVersion = '0'): GateResult {
  const o: GateOptions = { ...DEFAULT_GATE_OPTIONS, ...(baseline.calibration ? { timingThreshold: baseline.calibration.timingThreshold } : {}), ...opts };
  const checks: GateCheck[] = [];
  const base = baseline.runs;

  // ---- environment
  const be = baseline.environment;
  const diffs: string[] = [];
  if (be.nodeVersions.join() !== currentEnv.nodeVersions.join()) diffs.push(`Node ${be.nodeVersions.join(', ')} -> ${currentEnv.nodeVersions.join(', ')}`);
  if (be.platform !== currentEnv.platform) diffs.push(`platform ${be.platform} -> ${currentEnv.platform}`);
  if (be.cpu !== currentEnv.cpu) diffs.push(`CPU ${be.cpu} -> ${currentEnv.cpu}`);
  if (be.databases.join() !== currentEnv.databases.join()) diffs.push(`databases ${be.databases.join(', ')} -> ${currentEnv.databases.join(', ')}`);
  if (be.dataset !== currentEnv.dataset) diffs.push('the dataset (records declared or statement classes) differs');
  if (diffs.length) checks.push({ rule: 'environment', name: 'environment', verdict: 'info', baseline: null, current: null, message: `The current runs were measured in another environment than the baseline (${diffs.join('; ')}): timing differences may come from that.` });

  // ---- counters (medians over runs, per record when both sides declared records)
  const recB = base.every((r) => r.records) ? median(base.map((r) => r.records!)) : null;
  const recC = current.every((r) => r.records) ? median(current.map((r) => r.records!)) : null;
  const perRecord = recB !== null && recC !== null && recB > 0 && recC > 0;
  const keys = new Set([...base.flatMap((r) => Object.keys(r.counters)), ...current.flatMap((r) => Object.keys(r.counters))]);
  const labels = Object.assign({}, ...base.map((r) => r.counterLabels), ...current.map((r) => r.counterLabels)) as Record<string, string>;
  for (const k of [...keys].sort()) {
    const b = median(base.map((r) => r.counters[k] ?? 0));
    const c = median(current.map((r) => r.counters[k] ?? 0));
    const bn = perRecord ? b / recB : b; const cn = perRecord ? c / recC : c;
    const slack = perRecord ? o.counterSlack / recC : o.counterSlack;
    const limit = bn * (1 + o.counterTolerance) + slack;
    const label = labels[k] ?? k;
    const unit = perRecord ? ' per record' : '';
    const show = (x: number) => (perRecord ? r3(x) : Math.round(x));
    if (cn > limit) {
      checks.push({ rule: 'counter', name: label, verdict: 'fail', baseline: show(bn), current: show(cn),
        message: b === 0 ? `${label}: new, ${show(cn)}${unit} (the baseline had none).` : `${label}: ${show(bn)} -> ${show(cn)}${unit} (+${(((cn - bn) / Math.max(bn, 1e-9)) * 100).toFixed(0)}%, allowed ${Math.round(o.counterTolerance * 100)}% + ${o.counterSlack}).` });
    } else if (k === 'db.statements' || k.startsWith('ftp.') || cn !== bn) {
      checks.push({ rule: 'counter', name: label, verdict: 'pass', baseline: show(bn), current: show(cn), message: `${label}: ${show(bn)} -> ${show(cn)}${unit}.` });
    }
  }

  // ---- timings: wall, CPU, categories and stages that matter
  const metrics: { name: string; get: (r: RunSample) => number }[] = [{ name: 'wall time', get: (r) => r.wallMs }];
  if ([...base, ...current].every((r) => typeof r.cpuMs === 'number')) metrics.push({ name: 'CPU time', get: (r) => r.cpuMs! });
  const wall = median(base.map((r) => r.wallMs));
  for (const cat of ['db', 'ftp', 'network', 'logic', 'waiting'] as const) {
    if (median(base.map((r) => r.categories[cat] ?? 0)) >= o.minShareTimed * wall) metrics.push({ name: `category ${cat}`, get: (r) => r.categories[cat] ?? 0 });
  }
  for (const s of [...new Set(base.flatMap((r) => Object.keys(r.stages)))].sort()) {
    if (median(base.map((r) => r.stages[s] ?? 0)) >= o.minShareTimed * wall) metrics.push({ name: `stage ${s}`, get: (r) => r.stages[s] ?? 0 });
  }
  // Peak memory, like a timing (noise-aware, the same threshold): a change that doubles the job's peak is caught.
  const mib = (b: number) => b / 1048576;
  const memMetrics: { name: string; get: (r: RunSample) => number }[] = [];
  if ([...base, ...current].every((r) => typeof r.peakHeapBytes === 'number')) memMetrics.push({ name: 'peak heap used', get: (r) => mib(r.peakHeapBytes!) });
  if ([...base, ...current].every((r) => typeof r.peakRssBytes === 'number')) memMetrics.push({ name: 'peak RSS', get: (r) => mib(r.peakRssBytes!) });
  // Bonferroni: several timings are tested at once; each gets alpha / count so that the gate as a whole keeps alpha.
  const tests = metrics.length + memMetrics.length;
  for (const m of metrics) checks.push(timingCheck(m.name, base.map(m.get), current.map(m.get), o, o.alpha / tests));
  // Their absolute floor is in MiB (minMemoryMiB), not the timings' ms: a 30 MiB job doubling its peak must be able to fail.
  for (const m of memMetrics) checks.push(timingCheck(m.name, base.map(m.get), current.map(m.get), o, o.alpha / tests, 'MiB', 'larger', o.minMemoryMiB));

  // ---- findings the baseline did not have (in most current runs, and big enough to matter)
  const known = new Set(base.flatMap((r) => r.findings.map((f) => f.id)));
  const seen = new Map<string, { title: string; savings: number[]; site?: { file: string; line: number } }>();
  for (const r of current) for (const f of r.findings) {
    if (known.has(f.id)) continue;
    const e = seen.get(f.id) ?? { title: f.title, savings: [] };
    e.savings.push(f.savingMs); e.site ??= f.site; seen.set(f.id, e);
  }
  const curWall = median(current.map((r) => r.wallMs));
  for (const [id, e] of seen) {
    if (e.savings.length * 2 <= current.length) continue;
    const s = median(e.savings);
    const big = s >= o.newFindingMinMs && s >= o.newFindingShare * curWall;
    checks.push({ rule: 'finding', name: e.title, verdict: big ? 'fail' : 'info', baseline: null, current: r1(s),
      message: `New finding ${big ? '' : '(small) '}"${e.title}" [${id}]${e.site ? ` at ${e.site.file}:${e.site.line}` : ''}: its fix would save ${r1(s)} ms of ${r1(curWall)} ms.`,
      ...(e.site ? { location: e.site } : {}) });
  }

  return finish(checks, baseline.job, perRecord, toolVersion);
}

function finish(checks: GateCheck[], job: string, perRecord: boolean, toolVersion: string): GateResult {
  const order = { fail: 0, inconclusive: 1, info: 2, pass: 3 } as const;
  checks.sort((a, b) => order[a.verdict] - order[b.verdict]);
  const count = (v: GateCheck['verdict']) => checks.filter((c) => c.verdict === v).length;
  return {
    schemaVersion: GATE_SCHEMA_VERSION, tool: { name: 'batch-doctor', version: toolVersion }, job,
    status: count('fail') > 0 ? 'regression' : 'pass', checks,
    summary: { failed: count('fail'), inconclusive: count('inconclusive'), passed: count('pass'), info: count('info') },
    normalizedPerRecord: perRecord,
  };
}

/** True when a result has a timing failure that a second batch of runs could confirm or refute. */
export function needsTimingConfirmation(r: GateResult): boolean {
  return r.checks.some((c) => c.rule === 'timing' && c.verdict === 'fail');
}

/**
 * Confirms timing failures with a second, independent batch of runs compared with the same baseline. Shared
 * machines slow down for a minute at a time; a slowdown the code causes shows in both batches, a slow minute
 * in one. A timing check stays failed only when it fails in both; otherwise it becomes inconclusive, saying
 * so. Counter and finding verdicts are deterministic and kept as they are.
 */
export function confirmTimings(first: GateResult, second: GateResult): GateResult {
  const checks = first.checks.map((c): GateCheck => {
    if (c.rule !== 'timing' || c.verdict !== 'fail') return c;
    const again = second.checks.find((x) => x.rule === 'timing' && x.name === c.name);
    if (again?.verdict === 'fail') return { ...c, message: `${c.message} Confirmed by a second batch (${again.stats ? `x${again.stats.ratio}` : 'failed again'}).` };
    return { ...c, verdict: 'inconclusive', message: `${c.message} It did not reproduce in a second batch of runs (${again?.stats ? `x${again.stats.ratio}` : again?.verdict ?? 'not measured'}): treated as a slow spell of the machine, not a regression.` };
  });
  return finish(checks, first.job, first.normalizedPerRecord, first.tool.version);
}
