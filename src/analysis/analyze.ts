import { attachCallSites, mergeCallSites } from './call-sites';
import { joinServerView, type ServerDigest } from './server-view';
import type { DeepDive, DetectorStatus, Report } from '../model/report';
import { REPORT_SCHEMA_VERSION } from '../model/report';
import type { TraceModel } from '../model/trace';
import type { FtpBenchReport } from '../model/ftp-bench';
import type { ExplainResult } from '../model/db';
import { computeBreakdown, computeStages, stageRuns, summarizeProcesses, summarizeTimeline, Timeline } from './breakdown';
import { DETECTORS, type DetectorContext, type RawFinding } from './detectors/index';
import type { MergedValueStats } from './detectors/types';
import { soleTimeFunctions } from './critical-path';
import { summarizeFtp } from './ftp-summary';
import { groupConnects, groupQueries, type QueryGroup } from './query-digest';
import { sweepRun } from './sweep';
import { clientCpuModel } from './client-cpu';
import { criticalCpuShare } from './detectors/span-stats';
import { probeCostOf, subtractProbeCost } from './probe-cost';
import { coverageOf, networkWaits } from './coverage';
import { attributeGrowth, GROWTH_METHOD, summarizeMemory } from './memory';
import { unexplainedClasses } from './unexplained';
import { overlapWith, totalLength, union, type Interval } from './intervals';
import { rankFindings, whatIf } from './rank';
import { summarizeRuntime } from './runtime-summary';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds';

/** Owners of the memory growth listed in the report (the rest are small). */
const MAX_GROWTH_OWNERS = 8;

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /** Detector thresholds. Default: {@link DEFAULT_THRESHOLDS}. */
  thresholds?: Partial<Thresholds>;
  /** batch-doctor's version, written into the report. */
  toolVersion: string;
  /** An FTP benchmark of the job's server (profile --ftp-bench): measured evidence for the FTP detectors. Default none. */
  ftpBench?: FtpBenchReport | null;
  /** EXPLAIN results of the run's top statement classes (profile's post-run EXPLAIN). Default none. */
  explains?: ExplainResult[] | null;
  /** Thresholds per user stage (stage name to overrides of the job's), from the thresholds file. Default none. */
  stageThresholds?: Record<string, Partial<Thresholds>>;
  /** The thresholds file the values came from, shown in the report. Default none. */
  thresholdsFile?: string | null;
  /** The Clinic.js deep dive of this run (profile --clinic), to link from the report. Default none. */
  deepDive?: DeepDive | null;
  /** Warnings from collection to carry into the report. */
  warnings?: string[];
  /** What the database server recorded during the run (profile --slow-log, --db), joined with the run's classes. Default none. */
  serverDigests?: ServerDigest[];
}

/**
 * Turns a trace model into the report model: deterministic, no clock, writes nothing. It reads the model's span
 * source in one main pass (plus one per extra critical-path question a detector asks), so memory holds
 * aggregates, not spans.
 */
export function analyze(model: TraceModel, options: AnalyzeOptions): Report {
  const thresholds: Thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
  const stageSets = Object.entries(options.stageThresholds ?? {});
  const stageUnionList = stageSets.length ? [...stageRuns(model)].map(([name, ivs]) => [name, union(ivs)] as const) : [];
  // One pass over every span: the timeline's unions, the per-class and per-process aggregates, the long calls.
  const timeline = new Timeline(model);
  const agg = sweepRun(model.source, {
    onDbInterval: (a, b) => timeline.addDb(a, b),
    onFtpInterval: (a, b) => timeline.addFtp(a, b),
    stageUnions: stageUnionList.map(([, u]) => u),
    minLongMs: Math.min(thresholds.minOverlapQueryMs, ...stageSets.map(([, o]) => o.minOverlapQueryMs ?? thresholds.minOverlapQueryMs)),
    maxRetryGapMs: thresholds.maxRetryGapMs,
  });
  for (const [a, b] of networkWaits(model)) timeline.addNet(a, b);
  timeline.finish(model);
  const breakdown = computeBreakdown(model, timeline, agg);
  const groups = groupQueries(model, agg);
  // The probes' own per-call cost is taken out of each class's time before any saving is priced on it.
  const probeCost = probeCostOf(model, breakdown.wallMs);
  subtractProbeCost(groups, probeCost);
  const connects = groupConnects(model, agg);
  const ftp = summarizeFtp(model);
  const values = mergeValueStats(model);
  const mergedSites = mergeCallSites(model);
  const clientCpu = clientCpuModel(model, groups, mergedSites, criticalCpuShare(breakdown));
  const stages = computeStages(model, timeline);
  const sole = soleTimeFunctions(model, agg);
  const memory = summarizeMemory(model, stageRuns(model));
  if (memory) {
    const classOf = new Map(groups.map((g) => [g.group, g.cls.id]));
    const fingerprintOf = new Map(groups.map((g) => [g.cls.id, g.cls.fingerprint]));
    const growth = attributeGrowth(model, (group) => classOf.get(group) ?? null);
    const label = (o: { kind: string; key: string }) => (o.kind === 'query' ? fingerprintOf.get(o.key) ?? o.key : o.kind === 'transfer' ? o.key : o.key ? `job code in stage ${o.key}` : 'job code (no call in flight)');
    if (growth) memory.growth = { method: GROWTH_METHOD, pid: growth.processPid, baseBytes: growth.baseBytes, peakBytes: growth.peakBytes, owners: growth.owners.slice(0, MAX_GROWTH_OWNERS).map((o) => ({ ...o, label: label(o) })) };
  }
  const ctxWith = (t: Thresholds): DetectorContext => ({
    queries: groups, connects, run: agg, breakdown, ftp, stages, memory, thresholds: t, ftpBench: options.ftpBench ?? null, explains: options.explains ?? null,
    ...sole,
    valueStats: (system, fingerprint) => values.get(classKey(system, fingerprint)) ?? null,
    clientCpu,
  });
  const keep = (f: RawFinding, t: Thresholds) => f.risk !== undefined || (f.estimatedSavingMs > 0 && f.estimatedSavingMs >= t.minSavingMs);
  const base = runDetectors(model, ctxWith(thresholds));
  let raw = base.findings.filter((f) => keep(f, thresholds));
  // Every class some detector spoke of, kept or not (a stage's thresholds may tolerate it): explained.
  const spoken = [...base.findings];
  // Stages with their own thresholds: their findings come from a run of the detectors with those thresholds.
  if (stageSets.length) {
    const stageOf = findingStage(model, groups, stageUnionList);
    const overridden = new Set(stageSets.map(([name]) => name));
    raw = raw.filter((f) => !overridden.has(stageOf(f) ?? ''));
    for (const [name, over] of stageSets) {
      const t = { ...thresholds, ...over };
      const staged = runDetectors(model, ctxWith(t)).findings.filter((f) => stageOf(f) === name);
      spoken.push(...staged);
      raw.push(...staged.filter((f) => keep(f, t)));
    }
  }
  // The run's biggest costs are never left without a word: a dominant class no finding covers says what is known.
  raw.push(...unexplainedClasses(groups, spoken, breakdown.wallMs, options.explains ?? null));
  const detectors = base.statuses;
  // Where the job issues the calls behind each class and finding (the probes' bounded stack samples).
  const sited = attachCallSites(groups.map((g) => g.cls), rankFindings(raw), mergedSites);
  const findings = sited.findings;
  const footers = model.processes.map((p) => p.footer);
  const otlpPids = new Set(model.processes.filter((p) => p.source === 'otlp').map((p) => p.header.pid));
  let otlpSpans = 0;
  for (const pid of otlpPids) otlpSpans += agg.processes.get(pid)?.spans ?? 0;
  const spansRecorded = footers.reduce((a, f) => a + (f?.spansRecorded ?? 0), 0) + otlpSpans;
  const spansDropped = footers.reduce((a, f) => a + (f?.spansDropped ?? 0), 0);
  const forwardFailures = footers.reduce((a, f) => a + (f?.forwardFailures ?? 0), 0);
  const internal: Record<string, number> = {};
  for (const f of footers) for (const [k, v] of Object.entries(f?.internalErrors ?? {})) internal[k] = (internal[k] ?? 0) + v;
  const badLines = model.processes.reduce((a, p) => a + p.badLines, 0);
  const warnings: string[] = [...(options.warnings ?? [])];
  // What the data covers: a client the probes do not instrument, or worker threads, is said, never silent.
  const cov = coverageOf(model, breakdown);
  warnings.push(...cov.warnings);
  if (spansDropped > 0) warnings.push(`${spansDropped} spans were dropped by the probes; totals are lower bounds.`);
  if (forwardFailures > 0) warnings.push(`${forwardFailures} spans could not be forwarded to OTEL_EXPORTER_OTLP_ENDPOINT (the local report is complete).`);
  if (model.processes.some((p) => p.source === 'otlp')) {
    warnings.push('Spans from OpenTelemetry SDKs carry no event-loop or CPU signals: in their processes, time outside database and FTP calls shows as waiting, not logic.');
  }
  if (model.processes.some((p) => p.source !== 'otlp' && p.footer === null && p.header.threadId)) warnings.push('A worker thread ended without writing its summary (terminated by the job with worker.terminate()?): its last second of spans may be missing.');
  if (model.processes.some((p) => p.source !== 'otlp' && p.footer === null && !p.header.threadId)) warnings.push('A profiled process ended without writing its summary (killed by a signal?): its last second of spans and its CPU profile may be missing.');
  if (badLines > 0) warnings.push(`${badLines} unreadable lines in the trace files were skipped.`);
  if (Object.keys(internal).length) warnings.push(`The probes swallowed internal errors (${Object.entries(internal).map(([k, v]) => `${k}: ${v}`).join(', ')}); the pipeline was not affected.`);
  const mains = model.processes.filter((p) => !p.header.threadId);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'batch-doctor', version: options.toolVersion },
    run: {
      command: model.run.command,
      startedAt: new Date(model.run.startedAt).toISOString(),
      endedAt: new Date(model.run.endedAt).toISOString(),
      wallMs: breakdown.wallMs,
      exitCode: model.run.exitCode,
      signal: model.run.signal,
      nodeVersions: [...new Set(model.processes.map((p) => p.header.nodeVersion))],
      // A process's CPU time includes its worker threads': the main threads' footers are summed.
      cpuMs: mains.length && mains.every((p) => typeof p.footer?.cpuMs === 'number') ? mains.reduce((a, p) => a + p.footer!.cpuMs!, 0) : null,
    },
    breakdown,
    processes: summarizeProcesses(model, agg),
    timeline: summarizeTimeline(model, timeline),
    ...(memory ? { memory } : {}),
    stages,
    queries: sited.queries,
    ftp,
    runtime: summarizeRuntime(model),
    findings,
    detectors,
    whatIf: whatIf(findings, breakdown),
    collection: {
      method: 'trace-file', traceFiles: model.processes.length, processes: mains.length, workerThreads: model.processes.length - mains.length,
      spansRecorded, spansDropped, forwardFailures, badLines, probeInternalErrors: internal, ...(probeCost ? { probeCost } : {}), coverage: cov.coverage,
    },
    ftpBench: options.ftpBench ?? null,
    explains: options.explains ?? [],
    deepDive: options.deepDive ?? null,
    ...(options.serverDigests?.length ? { serverView: joinServerView(groups.map((g) => g.cls), options.serverDigests) } : {}),
    thresholds: { file: options.thresholdsFile ?? null, job: { ...thresholds }, stages: (options.stageThresholds ?? {}) as Record<string, Record<string, number>> },
    warnings,
  };
}

/** Every detector over one context: their findings, and what each concluded. */
function runDetectors(model: TraceModel, ctx: DetectorContext): { findings: RawFinding[]; statuses: DetectorStatus[] } {
  const findings: RawFinding[] = [];
  const statuses: DetectorStatus[] = [];
  for (const d of DETECTORS) {
    const r = d.detect(model, ctx);
    if (r.status === 'ran') { findings.push(...r.findings); statuses.push({ id: d.id, status: 'ran', findings: r.findings.length }); }
    else statuses.push({ id: d.id, status: 'no-data', findings: 0, reason: r.reason });
  }
  return { findings, statuses };
}

/**
 * The user stage a finding belongs to: the stage whose runs cover most of the time of the spans in its scope,
 * if they cover at least half of it; null for findings without spans (CPU profile) or outside any stage.
 * Statement classes' overlaps with the stages come from the main pass; FTP transfers are kept whole.
 */
function findingStage(model: TraceModel, groups: QueryGroup[], stageUnions: readonly (readonly [string, Interval[]])[]): (f: RawFinding) => string | null {
  const byClass = new Map(groups.map((g) => [`query:${g.cls.id}`, g]));
  const transfers = model.spans.filter((s) => s.kind === 'ftp' && (s.name === 'ftp.upload' || s.name === 'ftp.download'));
  const transferUnion = union(transfers.map((s) => [s.start, s.end] as Interval));
  return (f) => {
    let total = 0;
    const perStage = new Float64Array(stageUnions.length);
    let any = false;
    for (const sc of f.scope ?? []) {
      if (sc === 'ftp:transfers') {
        any = true;
        total += totalLength(transferUnion);
        stageUnions.forEach(([, u], i) => { for (const [a, b] of transferUnion) perStage[i]! += overlapWith(a, b, u); });
        continue;
      }
      const g = byClass.get(sc);
      if (!g) continue;
      any = true;
      total += g.stats.unionMs;
      for (let i = 0; i < perStage.length; i++) perStage[i]! += g.stats.stageOverlapMs[i] ?? 0;
    }
    if (!any) return null;
    let best: string | null = null, bestLen = 0;
    stageUnions.forEach(([name], i) => { if (perStage[i]! > bestLen) { best = name; bestLen = perStage[i]!; } });
    return total > 0 && bestLen >= total / 2 ? best : null;
  };
}

/** The probes write 'postgresql' and 'mysql'; spans may say 'mariadb' for the same client. */
const classKey = (system: string, fingerprint: string) => `${/postgres/i.test(system) ? 'postgresql' : 'mysql'}\u0000${fingerprint}`;

/**
 * Per statement class, its value positions over all processes: constant where every process saw one value,
 * distinct values summed (each process's are an estimate; processes may share values, so the sum is an upper
 * bound, capped at the calls). Unknown in any process makes the position unknown.
 */
function mergeValueStats(model: TraceModel): Map<string, MergedValueStats> {
  const out = new Map<string, MergedValueStats>();
  for (const p of model.processes) {
    for (const c of p.footer?.valueStats ?? []) {
      const k = classKey(c.system, c.fingerprint);
      const cur = out.get(k);
      if (!cur) { out.set(k, { calls: c.calls, slots: c.slots.map((s) => (s ? { constant: s.constant, distinct: s.distinct } : null)) }); continue; }
      cur.calls += c.calls;
      cur.slots = cur.slots.map((s, i) => {
        const o = c.slots[i];
        return s && o ? { constant: s.constant && o.constant, distinct: Math.min(cur.calls, s.distinct + o.distinct) } : null;
      });
    }
  }
  return out;
}
