/**
 * The trace file format written by the probes, one JSON record per line
 * (`trace-<pid>.jsonl`): the contract between collection and analysis.
 * Types only: `src/` reads these shapes, `probes/` writes them.
 *
 * Times are Unix epoch milliseconds with sub-millisecond fractions.
 * Version 1; see docs/trace-format.md.
 */

/** First record of every file. */
export interface HeaderRecord {
  type: 'header';
  format: 'batch-doctor-trace';
  version: number;
  pid: number;
  /** The parent process's id; for a worker thread, its own process's id (the main thread is its parent). */
  ppid: number;
  /** A worker thread's `threadId` (its trace is a file of its own); absent in a process's main thread. */
  threadId?: number;
  /** The `BATCH_DOCTOR_RUN_ID` this process inherited. */
  runId: string | null;
  nodeVersion: string;
  platform: string;
  /** Basename of the main script (no arguments: they may carry secrets). */
  script: string | null;
  /** When the probes started, epoch ms. */
  startedAt: number;
  /** performance.timeOrigin: when the process itself started, epoch ms. */
  processStartedAt: number;
  /** True when the user opted in to keep query literals and remote paths. */
  keepLiterals: boolean;
  /**
   * The code cache of the probes' bundle in this process: `hit` (used), `miss` (none yet; written at exit),
   * `rejected` (made for other V8 flags; rewritten at exit), `off` (turned off or no private directory).
   * Absent in traces of older probes.
   */
  codeCache?: 'hit' | 'miss' | 'rejected' | 'off';
}

/** The category of a span, decided inside the probes from its attributes. */
export type SpanKind = 'db' | 'db-connect' | 'ftp' | 'stage' | 'other';

/** One finished span. */
export interface SpanRecord {
  type: 'span';
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  start: number;
  end: number;
  error: boolean;
  /** Sanitized attributes: fingerprints, never raw statements unless opted in. */
  attrs: Record<string, string | number | boolean>;
}

/**
 * The constant part of repeated spans (a database statement class on one
 * server), written once; {@link CompactSpan} lines refer to it by id.
 */
export interface ShapeRecord {
  type: 'shape';
  id: number;
  name: string;
  kind: SpanKind;
  attrs: Record<string, string | number | boolean>;
}

/**
 * A database span in compact form, one JSON array per line:
 * `[shapeId, spanId, parentSpanId | null, startMs, endMs, rows | null, errorType | null]`
 * (`errorType` is '' for a failed span without a code). Batch jobs issue
 * database calls by the ten thousand: this keeps each to a few dozen bytes and
 * about a microsecond of the host's CPU.
 */
export type CompactSpan = [number, string, string | null, number, number, number | null, string | null];

/**
 * The fast-path database spans of one flush, in columns. `cols` is base64 of little-endian float64 quintuples
 * `[shapeId, seq, startMs, endMs, rows]` (`rows` NaN when unknown), `n` rows; a span's id is `f` followed by `seq`
 * in 15 hex digits; `parents` and `errors` list `[row, value]` for the rows that have one (`errors` value as
 * {@link CompactSpan}'s errorType). The same content as n {@link CompactSpan} lines, but the numbers are copied,
 * not formatted: recording a call this way costs the host 0.8-0.95 µs instead of 1.6-3.2 µs (docs/overhead.md).
 */
export interface FastSpanBlockRecord {
  type: 'fast';
  n: number;
  cols: string;
  parents: [number, string][];
  errors: [number, string][];
}

/** Float64 columns per row of a {@link FastSpanBlockRecord}. */
export const FAST_BLOCK_COLUMNS = 5;

/** Event-loop utilization over consecutive windows: flat triples [startMs, endMs, utilization 0..1]. */
export interface RuntimeWindowsRecord {
  type: 'elu';
  windows: number[];
}

/** A summary of the process's V8 CPU profile. */
export interface CpuProfileRecord {
  type: 'cpu-profile';
  sampleIntervalUs: number;
  samples: number;
  /** Milliseconds sampled while idle, in GC, and in V8's "(program)". */
  idleMs: number;
  gcMs: number;
  programMs: number;
  /** Hottest functions by self time. */
  functions: HotFunction[];
  /**
   * CPU by the library the job's code called (the package just inside the job's innermost frame, or the outermost
   * package of a stack without job code), outside the instrumented database and FTP clients and outside module
   * loading: an ORM's query building and row hydration. Absent in traces of older probes.
   */
  libraries?: { name: string; ms: number }[];
}

/** One function of the CPU profile. */
export interface HotFunction {
  functionName: string;
  /** File URL or path of the script (empty for native code). */
  url: string;
  /** 1-based line and column. */
  line: number;
  column: number;
  selfMs: number;
  totalMs: number;
  /**
   * Time of the samples whose innermost frame of the job's own code (outside node_modules and Node's internals;
   * named, if one on the stack is) is this function: its own time plus the library and native code it called
   * directly. What making this function's work go away would save. Absent in traces of older probes.
   */
  attributedMs?: number;
  /** Where the attributed time was spent: the innermost frames (function, file:line), most time first. */
  spentIn?: { frame: string; ms: number }[];
  /**
   * Of totalMs, the time of samples where Node's module loader ran below this function (a require or import it
   * made): start-up, not work; excluded from attributedMs. Absent when none (and in traces of older probes).
   */
  loadingMs?: number;
}

/** One value position of a statement class: whether it kept one value, and about how many it took. */
export interface ValueSlotStats {
  /** Every call had the first call's value. */
  constant: boolean;
  /** Distinct values seen (estimated from a sketch of hashes unless `exact`). */
  distinct: number;
  /** The count is exact (fewer distinct values than the sketch keeps). */
  exact: boolean;
}

/**
 * A repeated statement class's value positions (bind parameters and inlined literals alike, each `?`, `$n` or
 * `(?+)` of the fingerprint in order), from hashes computed in the process: no value or hash is written.
 */
export interface ValueStatsRecord {
  system: 'postgresql' | 'mysql';
  /** The statement's fingerprint (as in the spans' db.fingerprint). */
  fingerprint: string;
  /** Calls seen. */
  calls: number;
  /** Per value position, in order; null where a value could not be hashed (a buffer, a list of parameters). */
  slots: (ValueSlotStats | null)[];
}

/** One frame of the job's own code (a path relative to the job's working directory, 1-based line and column). */
export interface CallSiteFrame {
  file: string;
  line: number;
  column: number;
  /** The function's name, or null for an anonymous one. */
  function: string | null;
  /** Set after the run (never by the probes): the frame's source line is a loop (`for`, `while`, `.forEach(`...). */
  loop?: boolean;
}

/** Where one statement class (or file-transfer kind) is issued in the job's code, from a bounded sample of its calls. */
export interface CallSiteRecord {
  kind: 'db' | 'ftp';
  /** `postgresql`, `mysql`, or `ftp`. */
  system: string;
  /** The statement's fingerprint, or the transfer's span name (`ftp.upload`). */
  key: string;
  /** Calls counted in this process. */
  calls: number;
  /** Each site with the calls its samples stand for, most first; frames innermost first (the call site, then its callers). */
  sites: { frames: CallSiteFrame[]; calls: number }[];
  /** Calls whose samples had no frame of the job's own (issued from a dependency's timer or callback), or beyond the sites kept. */
  unattributedCalls: number;
  /** The package the job's code called to issue them (an ORM, a query builder, or the driver itself), most samples; absent when unknown. */
  via?: string;
}

/**
 * One remote endpoint the job talked to through a client the probes do not instrument (probes/net-watch.ts): TCP
 * connections, bytes each way, round trips, and the time spent waiting for the other side.
 */
export interface NetworkEndpointRecord {
  /** `address:port` of the remote side. */
  endpoint: string;
  /** The npm package that opened the connections (first package frame on the stack), or null for the job's own code. */
  client: string | null;
  connections: number;
  bytesIn: number;
  bytesOut: number;
  /** Replies received after a request: a write with no reply pending, then the reply's first bytes. */
  roundTrips: number;
  /** Time from each such write to its reply, summed, ms. */
  waitMs: number;
  /** Those waits as flat [start, end] pairs, epoch ms (bounded per process: see MAX_NET_INTERVALS). */
  intervals: number[];
}

/**
 * Memory samples of one process (probes/runtime.ts, every 100 ms while the event loop turns, and at exit): flat
 * groups of six numbers: time (epoch ms), heapUsed, heapTotal, external, arrayBuffers, rss (bytes).
 */
export interface MemoryRecord {
  type: 'mem';
  samples: number[];
}

/**
 * Memory right after full (mark-compact) collections: flat pairs of time (epoch ms, the collection's end) and heap
 * used + external (bytes), read when the collection's entry reached the probes within 50 ms of its end: what the
 * job held live then.
 */
export interface PostGcRecord {
  type: 'post-gc';
  samples: number[];
}

/** Summary written at process exit. */
export interface FooterRecord {
  type: 'footer';
  endedAt: number;
  exitCode: number | null;
  spansRecorded: number;
  spansDropped: number;
  /** Spans the forwarding exporter (OTEL_EXPORTER_OTLP_ENDPOINT) failed to deliver. */
  forwardFailures: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number } | null;
  /** `major`: full (mark-compact) collections among them; absent in older traces. */
  gc: { count: number; totalMs: number; maxMs: number; major?: number } | null;
  /** Record counts reported through `recordCount()`, by stage name ('' when outside a stage). */
  records: Record<string, number>;
  /**
   * Heap used at exit and the peak RSS, bytes; V8's heap limit and its young generation's capacity at exit (both
   * semi-spaces, bytes: garbage up to half of it accumulates between two scavenges), absent in older probes' traces.
   */
  memory: { heapUsed: number; maxRss: number; heapLimit?: number; youngGenBytes?: number };
  /** Errors the probes swallowed (never thrown into the host), by component. */
  internalErrors: Record<string, number>;
  /** CPU time of the process (user + system, all threads) at exit, ms. Absent in traces of older probes. */
  cpuMs?: number | null;
  /** Repeated statement classes with what their values do. Absent in traces of older probes. */
  valueStats?: ValueStatsRecord[];
  /** Where statement classes and transfers are issued in the job's code. Absent in traces of older probes. */
  callSites?: CallSiteRecord[];
  /**
   * What the probes cost this process: their start-up (ms from the preload starting to the probes being in place)
   * and the database calls on each path. Absent in traces of older probes.
   */
  /** `bufferBytes`: the most the trace writer's buffers held (TraceWriter.peakBufferBytes), bytes; absent in older traces. */
  /**
   * The probes' own cost in this process: set-up (`initMs`: their start, plus building the instrumentations when a
   * CommonJS job first requires a client), the exit work before the footer (`exitMs`: stopping and
   * summarising the CPU profile, the value statistics and call sites), the database calls by path, and the most their
   * trace buffers held.
   */
  probeCost?: { initMs: number; exitMs?: number; officialDbCalls: number; fastDbCalls: number; bufferBytes?: number };
  /**
   * What the probes know they did not see: uninstrumented database/file-transfer clients loaded (package names,
   * from the CommonJS module cache) and worker threads started (they run without probes). Absent in older traces.
   */
  coverage?: { uninstrumented: string[]; workerThreads: number };
  /** Traffic through clients the probes do not instrument, by endpoint (probes/net-watch.ts). Absent in older traces. */
  network?: { endpoints: NetworkEndpointRecord[]; intervalsDropped: number };
}

/** Any object record of the trace file (compact spans are arrays). */
export type TraceRecord = HeaderRecord | SpanRecord | ShapeRecord | FastSpanBlockRecord | RuntimeWindowsRecord | MemoryRecord | PostGcRecord | CpuProfileRecord | FooterRecord;
