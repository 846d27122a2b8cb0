import { round3 } from '../intervals';
import { criticalCpuShare } from './span-stats';
import type { Detector, RawFinding } from './types';

/** Hot functions reported at most (the rest are in the report's runtime table). */
const MAX_FINDINGS = 3;

/** Innermost frames whose cost is a known pattern, with the fix for it. */
const KNOWN_COSTS: { frame: RegExp; advice: string; code?: string }[] = [
  {
    frame: /^(NumberFormat|DateTimeFormat|Collator|PluralRules|RelativeTimeFormat|ListFormat|Segmenter|toLocale\w*String)\b/,
    advice: 'Intl formatters are expensive to build (each loads locale data) and toLocaleString builds one per call: create one formatter per locale and options, once, and reuse it.',
    code: ['const formatters = new Map();', 'function formatterFor(currency) {', '  let f = formatters.get(currency);', "  if (!f) formatters.set(currency, (f = new Intl.NumberFormat('de-DE', { style: 'currency', currency })));", '  return f;', '}'].join('\n'),
  },
  { frame: /^RegExp\b/, advice: 'A regular expression is compiled per call: build it once, outside the function.' },
  { frame: /^(parse|stringify)\b/, advice: 'JSON round trips (often a deep clone) per record: copy only the fields needed, or structuredClone once.' },
  { frame: /^(pbkdf2Sync|scryptSync|hashSync|compareSync)\b/, advice: 'A deliberately slow key-derivation function runs per record: cache its result per distinct input, or run it in worker_threads.' },
  { frame: /^(readFileSync|statSync|existsSync|readdirSync|openSync|writeFileSync)\b/, advice: 'Synchronous file-system calls per record block the event loop: read once up front, or use the async API.' },
];

/**
 * Node's module loading, by the innermost frame's function name: resolving, reading package.json files, compiling.
 * Time a job function spends there is start-up (its `require`/`import` of a library runs once), not per record.
 */
const MODULE_LOADING = /^(?:wrapSafe|compileFunction\w*|_resolveFilename|_findPath|resolveExports|tryExtensions|tryFile|tryPackage|toRealPath|realpathSync|internalModuleStat|readPackage\w*|getPackageScopeConfig|Module\._compile|Module\._load|Module\._extensions\.\.js|_compile|_load|finalizeResolution|defaultResolve|compileSourceTextModule|moduleStrategy|loadESMFromCJS)\b/;
/** A function whose attributed time is at least this share (0..1) module loading is start-up, not a hot spot: most of it is then not the function's own work. */
const MODULE_LOADING_SHARE = 0.5;

/**
 * CPU hot spot: one function of the job's own code that takes a large part of the run's CPU, named with file
 * and line from the in-process V8 CPU profile. A function's time here is its "attributed" time: its own samples
 * plus the library and native code it called directly (where `new Intl.NumberFormat` or a regex compile lands),
 * so that the name points at code the user can change.
 *
 * Saving model: the work made to go away (done once instead of per record, cached, hoisted) is the whole cost
 * the function causes: its inclusive time (its own code, the job functions it calls, and the library and native
 * code below them), plus the garbage collection its allocations cause, taken as the run's GC samples in
 * proportion to the function's share of the profile's active (non-idle, non-GC) CPU samples; scaled by the share
 * of the run's CPU time that was on the critical path (exclusive logic time over event-loop busy time: CPU work
 * that ran while I/O was pending would not shorten the run). An upper bound: a fix that makes the function k
 * times faster saves (1 - 1/k) of it.
 */
export const cpuHotSpot: Detector = {
  id: 'cpu-hot-spot',
  detect(trace, ctx) {
    const profiles = trace.processes.filter((p) => p.cpuProfile !== null);
    if (profiles.length === 0) return { status: 'no-data', reason: 'no CPU profile was recorded (BATCH_DOCTOR_CPU_PROFILE=0, or the process was killed before it wrote one)' };
    const fns = new Map<string, { name: string; url: string; line: number; column: number; ms: number; inclusiveMs: number; spentIn: Map<string, number> }>();
    for (const p of profiles) {
      for (const f of p.cpuProfile!.functions) {
        if (!f.attributedMs) continue;
        const k = `${f.functionName}@${f.url}:${f.line}:${f.column}`;
        let cur = fns.get(k);
        if (!cur) fns.set(k, (cur = { name: f.functionName, url: f.url, line: f.line, column: f.column, ms: 0, inclusiveMs: 0, spentIn: new Map() }));
        cur.ms += f.attributedMs;
        // Inclusive of what it calls, less the module loading it triggered (start-up, not per-record work).
        cur.inclusiveMs += Math.max(f.attributedMs, f.totalMs - (f.loadingMs ?? 0));
        for (const s of f.spentIn ?? []) cur.spentIn.set(s.frame, (cur.spentIn.get(s.frame) ?? 0) + s.ms);
      }
    }
    // Module loading is start-up: a job's `require('knex')` at line 1 runs once, and caching its result per record
    // (the advice below) would be wrong. Such functions are left out.
    for (const [k, f] of fns) {
      const loading = [...f.spentIn].filter(([frame]) => MODULE_LOADING.test(frame)).reduce((a, [, ms]) => a + ms, 0);
      if (f.ms > 0 && loading >= MODULE_LOADING_SHARE * f.ms) fns.delete(k);
    }
    if (fns.size === 0) return { status: 'no-data', reason: "the CPU profile attributes no time to the job's own code beyond loading modules (traces of older probes, or a job that runs only library code)" };
    const t = ctx.thresholds;
    const wall = ctx.breakdown.wallMs;
    const logic = ctx.breakdown.categories.find((c) => c.category === 'logic')?.ms ?? 0;
    const critical = criticalCpuShare(ctx.breakdown);
    const samplesMs = profiles.reduce((a, p) => a + p.cpuProfile!.samples * (p.cpuProfile!.sampleIntervalUs / 1000), 0);
    const gcMs = profiles.reduce((a, p) => a + p.cpuProfile!.gcMs, 0);
    const activeMs = Math.max(1, samplesMs - profiles.reduce((a, p) => a + p.cpuProfile!.idleMs + p.cpuProfile!.gcMs + p.cpuProfile!.programMs, 0));
    const findings: RawFinding[] = [];
    for (const f of [...fns.values()].sort((a, b) => b.ms - a.ms).slice(0, MAX_FINDINGS)) {
      if (f.ms < t.minHotFunctionMs || f.ms < t.minHotFunctionShare * wall) break;
      const file = f.url.replace(/^file:\/\//, '');
      const where = `${file}:${f.line}`;
      // Where its time went, when that is another frame (builtins V8 inlines show as the function's own time).
      const self = `${f.name} ${file.replace(/^.*\//, '')}:${f.line}`;
      const spent = [...f.spentIn].filter(([frame]) => frame !== self).sort((a, b) => b[1] - a[1]);
      const top = spent[0];
      const known = top ? KNOWN_COSTS.find((c) => c.frame.test(top[0])) : undefined;
      const gcShare = gcMs * Math.min(1, f.inclusiveMs / activeMs);
      const causedMs = f.inclusiveMs + gcShare;
      const saving = Math.min(causedMs * critical, logic);
      const fn = f.name === '(anonymous)' ? 'an anonymous function' : `${f.name}()`;
      findings.push({
        id: `cpu-hot-spot:${f.name}@${file.replace(/^.*\//, '')}:${f.line}`,
        kind: 'cpu-hot-spot',
        title: `CPU hot spot: ${fn} at ${where} took ${round3(f.ms / 1000)} s of CPU`,
        category: 'logic',
        scope: [`cpu:${f.name}@${where}`],
        estimatedSavingMs: round3(saving),
        confidence: samplesMs >= 20 * (profiles[0]!.cpuProfile!.sampleIntervalUs / 1000) ? 'medium' : 'low',
        savingModel: `the ${round3(causedMs)} ms of CPU it causes (${round3(f.inclusiveMs)} ms inclusive of what it calls, plus ${round3(gcShare)} ms of the run's ${round3(gcMs)} ms GC in proportion to its share of active CPU) x ${round3(critical)}, the share of the run's CPU time on the critical path (exclusive logic ${round3(logic)} ms / event-loop busy ${round3(ctx.breakdown.busyMs.cpu)} ms); an upper bound: if its work went away`,
        evidence: {
          summary: `${fn} (${where}) accounts for ${round3(f.ms)} ms of CPU, ${round3((100 * f.ms) / Math.max(1, wall))}% of the wall time${top ? `; most of it in ${spent.slice(0, 3).map(([frame, ms]) => `${frame} (${round3(ms)} ms)`).join(', ')}` : ''}`,
          metrics: {
            function: f.name, file, line: f.line, column: f.column, attributedMs: round3(f.ms), inclusiveMs: round3(f.inclusiveMs), gcShareMs: round3(gcShare), criticalShare: round3(critical),
            ...(top ? { spentIn: top[0], spentInMs: round3(top[1]) } : {}),
          },
        },
        recommendation: {
          summary: `${known ? known.advice : 'It runs per record: cache its result per distinct input (a Map), hoist the work that does not depend on the record out of the loop, or spread it over worker_threads.'} Then profile again: ${fn} at ${where}.`,
          ...(known?.code ? { code: known.code } : {}),
        },
      });
    }
    return { status: 'ran', findings };
  },
};
