import type { CpuProfileRecord, FooterRecord, HeaderRecord, SpanKind } from '../../probes/trace-records';

export type { SpanKind, HotFunction } from '../../probes/trace-records';

/** One span of the run, from any process, with the shape's attributes resolved. */
export interface TraceSpan {
  spanId: string;
  parentSpanId: string | null;
  /** Process (or worker thread: see {@link unitKeyOf}) that recorded it. */
  pid: number;
  name: string;
  kind: SpanKind;
  /** Epoch ms. */
  start: number;
  end: number;
  error: boolean;
  errorType: string | null;
  /** Rows returned or affected, when the client reported it. */
  rows: number | null;
  /** Sanitized attributes (shared between spans of one shape: do not mutate). */
  attrs: Readonly<Record<string, string | number | boolean>>;
}

/** What one profiled process reported. */
export interface ProcessTrace {
  header: HeaderRecord;
  footer: FooterRecord | null;
  cpuProfile: CpuProfileRecord | null;
  /** Flat triples [startMs, endMs, utilization]. */
  eluWindows: number[];
  /** Memory samples, flat groups of six (see MemoryRecord): absent in traces of older probes and OTLP. */
  memSamples?: number[];
  /** Memory right after full collections, flat pairs [epoch ms, heap used + external] (see PostGcRecord): absent in older traces. */
  postGc?: number[];
  /** Lines that could not be parsed. */
  badLines: number;
  /** Where it came from: batch-doctor's probes (default) or an OpenTelemetry SDK over OTLP (no runtime signals, no summary). */
  source?: 'probes' | 'otlp';
  /** Call sites read from the spans' `code.*` attributes (OTLP from other SDKs); the probes' are in the footer. */
  callSites?: import('../../probes/trace-records').CallSiteRecord[];
}

/** The run as the profiler saw it from outside. */
export interface RunInfo {
  /** The command, with credentials redacted. */
  command: string[];
  /** Epoch ms when the command was started and when it exited. */
  startedAt: number;
  endedAt: number;
  exitCode: number | null;
  signal: string | null;
}

/**
 * What spans of one statement class (kind 'db') or one kind of connect (kind 'db-connect') share: the key the
 * analysis aggregates them by. Database spans are kept only as rows of a {@link SpanSource} and these groups.
 */
export interface SpanGroupInfo {
  kind: 'db' | 'db-connect';
  /** Database system as the span said it ('postgresql', 'mysql', 'mariadb', ...); '' when unknown. */
  system: string;
  /** Normalized statement (db) or '' (db-connect). */
  fingerprint: string;
  /** Span name of the group's first span. */
  name: string;
  /** False when the statement could not be parsed and the fingerprint is a best effort. */
  parsed: boolean;
}

/**
 * One span as the analysis streams it: numbers and table indexes only. The object passed to a
 * {@link SpanSource.forEach} callback is reused for the next row: copy what you keep.
 */
export interface SpanRow {
  start: number;
  end: number;
  pid: number;
  kind: SpanKind;
  error: boolean;
  /** Error code or class, when the span failed and said why. */
  errorType: string | null;
  /** Rows returned or affected, null when unknown. */
  rows: number | null;
  /** Index into {@link SpanSource.groups} for kinds 'db' and 'db-connect', else -1. */
  group: number;
  /** Index into {@link TraceModel.spans} for the spans kept whole (FTP and stage spans), else -1. */
  detail: number;
}

/**
 * Every span of a run in start order, read as many times as the analysis needs (each read is one pass: the
 * store behind it may be a file, so memory does not grow with the number of spans).
 */
export interface SpanSource {
  /** Statement classes and connect kinds the rows' `group` points into. */
  readonly groups: readonly SpanGroupInfo[];
  /** Number of rows. */
  readonly count: number;
  /** Calls `fn` for every span, in start order (ties: the order they were added). */
  forEach(fn: (row: SpanRow) => void): void;
  /** Releases the storage behind the source (a temporary spill file); it cannot be read afterwards. Idempotent. */
  close(): void;
}

/** Everything analysis reads: the input of every detector. */
export interface TraceModel {
  run: RunInfo;
  processes: ProcessTrace[];
  /**
   * The spans kept whole, sorted by start time: FTP and stage spans (their number grows with files and stages,
   * not with records). Database spans are in {@link TraceModel.source} only.
   */
  spans: TraceSpan[];
  /** Every span of the run, database calls included, in start order. */
  source: SpanSource;
}

/**
 * The key the analysis tells processes and worker threads apart by (a span's `pid`): the process id for a
 * process's main thread; for a worker thread, which shares its process's id, a negative key made of both
 * (`-(pid * 10000 + threadId)`), so no worker thread can collide with a process.
 */
export function unitKeyOf(header: { pid: number; threadId?: number }): number {
  return header.threadId ? -(header.pid * 10_000 + header.threadId) : header.pid;
}
