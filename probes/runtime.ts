import type * as inspector from 'node:inspector';
import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { faultInjected, safely } from './guard';
import { IO_CLIENT_PACKAGES, packageOf } from './package-name';
import type { CpuProfileRecord, FooterRecord, HotFunction } from './trace-records';
import type { TraceWriter } from './trace-writer';

/**
 * Sampling period of event-loop utilization, ms. 50 ms resolves the busy/idle
 * pattern of a batch loop well enough to split wall time into logic and
 * waiting, at 20 wake-ups a second (negligible cost); the timer is unref'd.
 */
export const ELU_WINDOW_MS = 50;
/** ELU windows buffered before they are handed to the writer. */
const ELU_BATCH = 200;
/**
 * Memory is sampled every MEM_EVERY-th event-loop window (every 100 ms): `process.memoryUsage()` costs ~10-30 µs,
 * so ~0.03% of a core; a heap that grows for a result set or a buffered file stays high for far longer than that.
 */
const MEM_EVERY = 2;
/** PerformanceEntry detail.kind of a full (mark-compact) collection: perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR. */
const GC_MAJOR = 4;
/**
 * Most time between a full collection's end and its entry reaching the observer for the memory read then to count
 * as what the collection left, ms: the job allocates in between (a busy loop delays the entries for longer).
 */
const POST_GC_MAX_DELAY_MS = 50;
/** Numbers per memory sample: time (epoch ms), heapUsed, heapTotal, external, arrayBuffers, rss (bytes). */
export const MEM_FIELDS = 6;
/** Resolution of the event-loop delay histogram, ms (Node's default is 10). */
const DELAY_RESOLUTION_MS = 10;
/** Hot functions kept from the CPU profile (by self time). */
export const HOT_FUNCTIONS_KEPT = 40;
/** Functions of the job's own code kept by attributed time (see HotFunction.attributedMs), besides those. */
export const HOT_USER_FUNCTIONS_KEPT = 20;
/** Libraries kept in the CPU-by-library summary (most CPU first). */
const LIBRARIES_KEPT = 20;

/** Innermost frames kept per job function (where its attributed time was spent). */
const LEAVES_KEPT = 3;

/** A profile node's frame, classified once (see summarizeProfile). */
interface Frame {
  /** The function, shared by every node of the same function. */
  f: HotFunction;
  /** The job's own code (isJobCode). */
  job: boolean;
  /** Inside an instrumented database or FTP client (IO_CLIENT_FRAME). */
  client: boolean;
  /** Node's module loader. */
  loader: boolean;
  /** Its package, for frames outside the job's code. */
  pkg: string | null;
  /** The function has a name. */
  named: boolean;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

/**
 * Summarizes a V8 CPU profile: self and total time per function (a function
 * called from many places is summed over its call sites; recursion is counted
 * once per stack for total time).
 */
export function summarizeProfile(profile: { nodes: ProfileNode[]; samples?: number[]; startTime: number; endTime: number }, intervalUs: number): CpuProfileRecord {
  // Node ids are small integers (V8 numbers them from 1): arrays indexed by id.
  const byId: (ProfileNode | undefined)[] = [];
  for (const n of profile.nodes) byId[n.id] = n;
  const parent: (number | undefined)[] = [];
  for (const n of profile.nodes) for (const c of n.children ?? []) parent[c] = n.id;
  const samples = profile.samples ?? [];
  // Sample counts are more reliable than hitCount across Node versions.
  const hits = new Map<number, number>();
  for (const s of samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const total = samples.length;
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = total > 0 ? durationMs / total : intervalUs / 1000;
  const fns = new Map<string, HotFunction>();
  // What each node's frame is, worked out once per node (a node is on the stack of many samples): this runs at the
  // job's exit, cold, so per-frame string and regular-expression work is what it would spend its time on.
  const frames: (Frame | undefined)[] = [];
  const frameOf = (n: ProfileNode): Frame => {
    let fr = frames[n.id];
    if (fr) return fr;
    const cf = n.callFrame;
    const k = `${cf.functionName}\u0000${cf.url}\u0000${cf.lineNumber}\u0000${cf.columnNumber}`;
    let f = fns.get(k);
    if (!f) {
      f = { functionName: cf.functionName || '(anonymous)', url: cf.url, line: cf.lineNumber + 1, column: cf.columnNumber + 1, selfMs: 0, totalMs: 0, attributedMs: 0 };
      fns.set(k, f);
    }
    const job = isJobCode(cf.url);
    fr = { f, job, client: IO_CLIENT_FRAME.test(cf.url), loader: cf.url.startsWith('node:internal/modules/'), pkg: job ? null : packageOf(cf.url), named: cf.functionName !== '' };
    frames[n.id] = fr;
    return fr;
  };
  const leaves = new Map<HotFunction, Map<string, number>>();
  /** Charges a sample to a job function, and remembers the innermost frame the time was spent in. */
  const attribute = (f: HotFunction, leaf: ProfileNode, ms: number) => {
    f.attributedMs! += ms;
    let m = leaves.get(f);
    if (!m) leaves.set(f, (m = new Map()));
    const name = `${leaf.callFrame.functionName || '(anonymous)'}${leaf.callFrame.url ? ` ${leaf.callFrame.url.replace(/^.*\//, '')}:${leaf.callFrame.lineNumber + 1}` : ''}`;
    m.set(name, (m.get(name) ?? 0) + ms);
  };
  // Marks the functions already counted on the current stack (recursion counts once per stack for total time).
  const counted = new Map<HotFunction, number>();
  let stack = 0;
  let idle = 0, gc = 0, program = 0;
  const libs = new Map<string, number>();
  for (const [id, count] of hits) {
    const node = byId[id];
    if (!node) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)') { idle += count; continue; }
    if (name === '(garbage collector)') gc += count;
    if (name === '(program)') program += count;
    stack++;
    let cur: number | undefined = id;
    let selfDone = false;
    // The innermost frame of the job's own code (named, if one is) takes the sample's "attributed" time.
    let firstUser: HotFunction | undefined;
    // CPU inside an instrumented client library belongs to its database or FTP call (inside that call's span,
    // where the I/O findings count it), not to the job function that made the call.
    let attributed = false, inClient = false;
    // Module loading (Node's loader frames, node:internal/modules/...) between the innermost frame and a function:
    // that function's time on this sample is start-up (a require or import it made), not its work.
    let loading = false;
    const ms = count * msPerSample;
    // The library the job called (package of the frame just inside its innermost frame), for `libraries`.
    let pkg: string | null = null, lib: string | null = null, userSeen = false;
    while (cur !== undefined) {
      const n = byId[cur];
      if (!n || n.callFrame.functionName === '(root)') break;
      const fr = frameOf(n);
      const f = fr.f;
      if (!selfDone) { f.selfMs += ms; selfDone = true; }
      if (counted.get(f) !== stack) { f.totalMs += ms; if (loading) f.loadingMs = (f.loadingMs ?? 0) + ms; counted.set(f, stack); }
      if (fr.loader) loading = true;
      if (!attributed && !inClient && fr.client) inClient = true;
      if (!userSeen) {
        if (fr.job) { userSeen = true; lib = pkg; }
        else if (fr.pkg) pkg = fr.pkg;
      }
      if (!attributed && !inClient && fr.job) {
        firstUser ??= f;
        if (fr.named) { if (!loading) attribute(f, node, ms); attributed = true; }
      }
      cur = parent[cur];
    }
    if (!attributed && !inClient && firstUser && !loading) attribute(firstUser, node, ms);
    // Without job code on the stack (a library's own continuation), the outermost package ran it.
    const via = userSeen ? lib : pkg;
    if (via && !inClient && !loading && name !== '(garbage collector)') libs.set(via, (libs.get(via) ?? 0) + ms);
  }
  // The probes' own frames (this bundle, the inspector) are not the job's hot spots.
  const candidates = [...fns.values()].filter((f) => f.functionName !== '(idle)' && !isOwnFrame(f.url) && !isInspectorDispatch(f));
  const bySelf = candidates.filter((f) => f.selfMs > 0).sort((a, b) => b.selfMs - a.selfMs).slice(0, HOT_FUNCTIONS_KEPT);
  const byAttributed = candidates.filter((f) => f.attributedMs! > 0).sort((a, b) => b.attributedMs! - a.attributedMs!).slice(0, HOT_USER_FUNCTIONS_KEPT);
  const functions = [...new Set([...bySelf, ...byAttributed])]
    .map((f) => {
      const spentIn = [...(leaves.get(f) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, LEAVES_KEPT).map(([frame, ms]) => ({ frame, ms: round(ms) }));
      return { ...f, selfMs: round(f.selfMs), totalMs: round(f.totalMs), attributedMs: round(f.attributedMs!), ...(f.loadingMs ? { loadingMs: round(f.loadingMs) } : {}), ...(spentIn.length ? { spentIn } : {}) };
    });
  const libraries = [...libs].sort((a, b) => b[1] - a[1]).slice(0, LIBRARIES_KEPT).map(([n, v]) => ({ name: n, ms: round(v) }));
  return { type: 'cpu-profile', sampleIntervalUs: intervalUs, samples: total, idleMs: round(idle * msPerSample), gcMs: round(gc * msPerSample), programMs: round(program * msPerSample), functions, libraries };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

const OWN_FILE = __filename;
const OWN_URL = `file://${__filename}`;
/** True for frames of the probes themselves (the bundle or its unbundled modules) and of node:inspector. */
function isOwnFrame(url: string): boolean {
  return url === OWN_FILE || url === OWN_URL || url.startsWith('node:inspector') || /\/dist\/probes\//.test(url);
}

/** Frames of the database and FTP clients the probes instrument. */
const IO_CLIENT_FRAME = new RegExp(`/node_modules/(${IO_CLIENT_PACKAGES.join('|')})/`);

/**
 * True for the job's own code: a script file outside node_modules, not Node's internals, not native code and not
 * the probes. Library and native time is charged to the job's function that called it.
 */
function isJobCode(url: string): boolean {
  return url !== '' && !url.startsWith('node:') && !url.includes('/node_modules/') && !isOwnFrame(url);
}

/** The inspector's native `dispatch`: the sample taken while our own Profiler.stop runs. */
const isInspectorDispatch = (f: HotFunction) => f.functionName === 'dispatch' && f.url === '';

/**
 * Runtime signals of the logic stage: event-loop utilization windows, the
 * event-loop delay histogram, GC pauses and an in-process V8 CPU profile.
 */
export class RuntimeMonitor {
  private eluTimer: NodeJS.Timeout | null = null;
  private lastElu = performance.eventLoopUtilization();
  private lastAt = performance.timeOrigin + performance.now();
  private windows: number[] = [];
  private mem: number[] = [];
  private postGc: number[] = [];
  private ticks = 0;
  private delay: IntervalHistogram | null = null;
  private gcObserver: PerformanceObserver | null = null;
  private gc = { count: 0, totalMs: 0, maxMs: 0, major: 0 };
  private session: inspector.Session | null = null;
  private profiling = false;

  constructor(private readonly writer: TraceWriter, private readonly cpuProfile: boolean, private readonly cpuIntervalUs: number, private readonly memory = true) {}

  start(): void {
    safely('runtime', () => {
      this.eluTimer = setInterval(() => this.sampleElu(), ELU_WINDOW_MS);
      this.eluTimer.unref();
    });
    safely('runtime', () => {
      this.delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
      this.delay.enable();
    });
    safely('runtime', () => {
      this.gcObserver = new PerformanceObserver((list) => {
        let majorEnd = 0;
        for (const e of list.getEntries()) {
          this.gc.count++;
          this.gc.totalMs += e.duration;
          if (e.duration > this.gc.maxMs) this.gc.maxMs = e.duration;
          if ((e as { detail?: { kind?: number } }).detail?.kind === GC_MAJOR) { this.gc.major++; majorEnd = Math.max(majorEnd, e.startTime + e.duration); }
        }
        // What a full collection left is what the job holds live: read right after it (the entries arrive a little
        // later, so only when that is soon enough to be the same heap). Guarded: this runs in the host's event loop,
        // and process.memoryUsage() can throw (it reads RSS, which fails when the process is out of descriptors).
        if (this.memory && majorEnd > 0 && performance.now() - majorEnd <= POST_GC_MAX_DELAY_MS) {
          safely('memory', () => {
            if (faultInjected('memory')) throw new Error('injected memory fault');
            const m = process.memoryUsage();
            this.postGc.push(Math.round((performance.timeOrigin + majorEnd) * 10) / 10, m.heapUsed + m.external);
          });
        }
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    });
    if (this.cpuProfile) {
      safely('cpu-profile', () => {
        // Loaded only when profiling (the module costs ~0.4 ms of start-up).
        const { Session } = require('node:inspector') as typeof import('node:inspector');
        const s = new Session();
        s.connect();
        // In-process inspector sessions answer synchronously, so these run in order.
        s.post('Profiler.enable');
        s.post('Profiler.setSamplingInterval', { interval: this.cpuIntervalUs });
        s.post('Profiler.start', (err) => { this.profiling = !err; });
        this.session = s;
      });
    }
  }

  private sampleElu(): void {
    safely('runtime', () => {
      const now = performance.timeOrigin + performance.now();
      const cur = performance.eventLoopUtilization();
      const d = performance.eventLoopUtilization(cur, this.lastElu);
      this.windows.push(this.lastAt, now, Math.round(d.utilization * 1000) / 1000);
      this.lastElu = cur;
      this.lastAt = now;
      if (++this.ticks % MEM_EVERY === 0 && this.memory) safely('memory', () => this.sampleMemory(now));
      if (this.windows.length >= ELU_BATCH * 3) this.flushWindows();
    });
  }

  private sampleMemory(now: number): void {
    if (faultInjected('memory')) throw new Error('injected memory fault');
    const m = process.memoryUsage();
    this.mem.push(Math.round(now * 10) / 10, m.heapUsed, m.heapTotal, m.external, m.arrayBuffers, m.rss);
  }

  private flushWindows(): void {
    if (this.windows.length > 0) {
      this.writer.write({ type: 'elu', windows: this.windows });
      this.windows = [];
    }
    if (this.mem.length > 0) {
      this.writer.write({ type: 'mem', samples: this.mem });
      this.mem = [];
    }
    if (this.postGc.length > 0) {
      this.writer.write({ type: 'post-gc', samples: this.postGc });
      this.postGc = [];
    }
  }

  /** Stops sampling and writes the CPU profile; returns the footer's runtime part. Synchronous (runs from `exit`). */
  stop(): Pick<FooterRecord, 'eventLoopDelayMs' | 'gc'> {
    if (this.eluTimer) clearInterval(this.eluTimer);
    this.sampleElu();
    if (this.memory) safely('memory', () => this.sampleMemory(performance.timeOrigin + performance.now()));
    this.flushWindows();
    safely('runtime', () => this.gcObserver?.disconnect());
    if (this.session && this.profiling) {
      safely('cpu-profile', () => {
        this.session!.post('Profiler.stop', (err, res) => {
          if (!err && res?.profile) this.writer.write(summarizeProfile(res.profile as never, this.cpuIntervalUs));
        });
        this.session!.disconnect();
      });
    }
    let eventLoopDelayMs: FooterRecord['eventLoopDelayMs'] = null;
    safely('runtime', () => {
      const h = this.delay;
      if (!h) return;
      h.disable();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      eventLoopDelayMs = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) };
    });
    return { eventLoopDelayMs, gc: { count: this.gc.count, totalMs: round(this.gc.totalMs), maxMs: round(this.gc.maxMs), major: this.gc.major } };
  }
}
