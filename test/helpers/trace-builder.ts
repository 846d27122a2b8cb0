import type { ProcessTrace, TraceModel, TraceSpan } from '../../src/model/trace';
import { spanSourceOf } from '../../src/collect/span-store';

/** mulberry32: a seeded PRNG so synthetic traces are the same on every run. */
export function prng(seed: number): () => number {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds synthetic trace models for unit tests. Times are ms from a fixed origin. */
export class TraceBuilder {
  readonly t0 = 1_700_000_000_000;
  private spans: TraceSpan[] = [];
  private elu: number[] = [];
  private n = 0;
  private shapes = new Map<string, Record<string, string | number | boolean>>();
  private values: NonNullable<NonNullable<ProcessTrace['footer']>['valueStats']> = [];
  private profile: ProcessTrace['cpuProfile'] = null;
  private cost: NonNullable<ProcessTrace['footer']>['probeCost'] = undefined;
  private sites: NonNullable<NonNullable<ProcessTrace['footer']>['callSites']> = [];
  private rt: Parameters<TraceBuilder['runtime']>[0] | null = null;
  constructor(private readonly wallMs: number) {}

  private id(): string { return (++this.n).toString(16).padStart(16, '0'); }

  /** A database span of statement `fingerprint` from `start` to `end` (ms from t0). */
  db(fingerprint: string, start: number, end: number, o: { rows?: number; system?: string; parent?: string; error?: boolean } = {}): string {
    const system = o.system ?? 'postgresql';
    const key = `${system}|${fingerprint}`;
    if (!this.shapes.has(key)) this.shapes.set(key, { 'db.system': system, 'db.fingerprint': fingerprint, 'server.address': '127.0.0.1', 'server.port': 5432 });
    const spanId = this.id();
    this.spans.push({ spanId, parentSpanId: o.parent ?? null, pid: 1, name: 'pg.query:SELECT', kind: 'db', start: this.t0 + start, end: this.t0 + end,
      error: !!o.error, errorType: null, rows: o.rows ?? null, attrs: this.shapes.get(key)! });
    return spanId;
  }

  /** A database connect span (pg.connect), failed with `errorType` when given. */
  dbConnect(start: number, end: number, o: { errorType?: string } = {}): string {
    const spanId = this.id();
    this.spans.push({ spanId, parentSpanId: null, pid: 1, name: 'pg.connect', kind: 'db-connect', start: this.t0 + start, end: this.t0 + end, error: o.errorType !== undefined, errorType: o.errorType ?? null, rows: null,
      attrs: { 'db.system': 'postgresql', 'server.address': '127.0.0.1', 'server.port': 5432 } });
    return spanId;
  }

  private noFooter = false;
  /** The process died without writing its summary (a SIGKILL): the trace has no footer. */
  killed(): this {
    this.noFooter = true;
    return this;
  }

  /** Runtime figures of the footer (GC, event-loop delay, memory). */
  runtime(r: { gc?: { count: number; totalMs: number; maxMs: number }; eventLoopDelayMs?: { p50: number; p99: number; max: number; mean: number }; maxRss?: number }): this {
    this.rt = r;
    return this;
  }

  /** An FTP span (failed when `error`). */
  ftp(name: string, start: number, end: number, attrs: Record<string, string | number | boolean> = {}, error = false): string {
    const spanId = this.id();
    this.spans.push({ spanId, parentSpanId: null, pid: 1, name, kind: 'ftp', start: this.t0 + start, end: this.t0 + end, error, errorType: null, rows: null,
      attrs: { 'server.address': '127.0.0.1', 'server.port': 21, ...attrs } });
    return spanId;
  }

  /** A user stage. */
  stage(name: string, start: number, end: number): string {
    const spanId = this.id();
    this.spans.push({ spanId, parentSpanId: null, pid: 1, name: 'batch_doctor.stage', kind: 'stage', start: this.t0 + start, end: this.t0 + end, error: false, errorType: null, rows: null,
      attrs: { 'batch_doctor.stage.name': name } });
    return spanId;
  }

  /**
   * What a statement class's value positions did (footer.valueStats): per position in fingerprint order, the
   * distinct values seen (1 means constant), or null for an untracked position.
   */
  valueStats(fingerprint: string, calls: number, distinct: (number | null)[], system: 'postgresql' | 'mysql' = 'postgresql'): this {
    this.values.push({ system, fingerprint, calls, slots: distinct.map((d) => (d === null ? null : { constant: d === 1, distinct: d, exact: d < 32 })) });
    return this;
  }

  /** A CPU profile summary: job functions with their attributed time (ms). */
  cpuProfile(functions: { name: string; url: string; line: number; attributedMs: number; selfMs?: number; spentIn?: { frame: string; ms: number }[] }[], samples = 1000): this {
    this.profile = {
      type: 'cpu-profile', sampleIntervalUs: 10_000, samples, idleMs: 0, gcMs: 0, programMs: 0,
      functions: functions.map((f) => ({ functionName: f.name, url: f.url, line: f.line, column: 1, selfMs: f.selfMs ?? f.attributedMs, totalMs: f.attributedMs, attributedMs: f.attributedMs, ...(f.spentIn ? { spentIn: f.spentIn } : {}) })),
    };
    return this;
  }

  /** Event-loop utilization `u` over [start, end). */
  /** CPU by library (cpuProfile.libraries; creates an empty profile if none) and the library each statement class was issued through (footer.callSites' via). */
  libraryCpu(libraries: { name: string; ms: number }[], via: Record<string, string>): this {
    this.profile ??= { type: 'cpu-profile', sampleIntervalUs: 10_000, samples: 1000, idleMs: 0, gcMs: 0, programMs: 0, functions: [] };
    this.profile.libraries = libraries;
    for (const [fingerprint, lib] of Object.entries(via)) this.sites.push({ kind: 'db', system: 'postgresql', key: fingerprint, calls: 0, sites: [], unattributedCalls: 0, via: lib });
    return this;
  }

  /** The probes' own cost counts (footer.probeCost). */
  probeCost(c: { initMs: number; exitMs?: number; officialDbCalls: number; fastDbCalls: number }): this {
    this.cost = c;
    return this;
  }

  /** Traffic through an uninstrumented client (footer.network): waits as [start, end] pairs relative to the run's start. */
  network(endpoint: string, client: string | null, waits: [number, number][], o: { connections?: number; bytesIn?: number; bytesOut?: number } = {}): this {
    this.net.push({ endpoint, client, connections: o.connections ?? 1, bytesIn: o.bytesIn ?? 0, bytesOut: o.bytesOut ?? 0, roundTrips: waits.length,
      waitMs: waits.reduce((a, [x, y]) => a + y - x, 0), intervals: waits.flatMap(([x, y]) => [this.t0 + x, this.t0 + y]) });
    return this;
  }
  private net: NonNullable<NonNullable<ProcessTrace['footer']>['network']>['endpoints'] = [];

  /** Memory samples (ProcessTrace.memSamples): [time relative to the run's start, heapUsed, rss] (heapTotal, external, arrayBuffers 0). */
  /** Memory samples [ms, heap used, rss, external?]; the heap limit for the footer. */
  memory(samples: ([number, number, number] | [number, number, number, number])[], heapLimit?: number): this {
    this.mem.push(...samples.flatMap(([t, heap, rss, ext]) => [this.t0 + t, heap, heap, ext ?? 0, ext ?? 0, rss]));
    if (heapLimit !== undefined) this.heapLimit = heapLimit;
    return this;
  }
  /** Memory read right after full collections [ms, heap used + external]; the footer then counts them as major GCs. */
  postGc(points: [number, number][]): this {
    this.postGcs.push(...points.flatMap(([t, v]) => [this.t0 + t, v]));
    this.majorGcs = points.length;
    return this;
  }
  /** The young generation's capacity the footer reports (both semi-spaces), bytes. */
  youngGen(bytes: number): this {
    this.young = bytes;
    return this;
  }
  private mem: number[] = [];
  private postGcs: number[] = [];
  private majorGcs: number | undefined;
  private young: number | undefined;
  private heapLimit: number | undefined;

  busy(start: number, end: number, u: number): this {
    this.elu.push(this.t0 + start, this.t0 + end, u);
    return this;
  }

  build(): TraceModel {
    const proc: ProcessTrace = {
      header: { type: 'header', format: 'batch-doctor-trace', version: 1, pid: 1, ppid: 0, runId: null, nodeVersion: 'v20.0.0', platform: 'linux-x64', script: 'job.js',
        startedAt: this.t0, processStartedAt: this.t0, keepLiterals: false },
      // A process that exited normally writes its summary; killed() builds one that did not.
      footer: !this.noFooter ? {
        type: 'footer', endedAt: this.t0 + this.wallMs, exitCode: 0, spansRecorded: this.spans.length, spansDropped: 0, forwardFailures: 0,
        eventLoopDelayMs: this.rt?.eventLoopDelayMs ?? null,
        gc: this.majorGcs !== undefined ? { ...(this.rt?.gc ?? { count: this.majorGcs, totalMs: 0, maxMs: 0 }), major: this.majorGcs } : this.rt?.gc ?? null, records: {},
        memory: { heapUsed: 0, maxRss: this.rt?.maxRss ?? 0, ...(this.heapLimit !== undefined ? { heapLimit: this.heapLimit } : {}), ...(this.young !== undefined ? { youngGenBytes: this.young } : {}) },
        internalErrors: {}, valueStats: this.values, callSites: this.sites, ...(this.cost ? { probeCost: this.cost } : {}),
        ...(this.net.length ? { network: { endpoints: this.net, intervalsDropped: 0 } } : {}),
      } : null,
      cpuProfile: this.profile, eluWindows: this.elu, badLines: 0, ...(this.mem.length ? { memSamples: this.mem } : {}), ...(this.postGcs.length ? { postGc: this.postGcs } : {}),
    };
    const { source, detail } = spanSourceOf(this.spans);
    return {
      run: { command: ['node', 'job.js'], startedAt: this.t0, endedAt: this.t0 + this.wallMs, exitCode: 0, signal: null },
      processes: [proc],
      spans: detail,
      source,
    };
  }
}
