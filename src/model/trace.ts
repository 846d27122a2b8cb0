import type { CpuProfileRecord, FooterRecord, HeaderRecord, SpanKind } from '../../probes/trace-records';

export type { SpanKind, HotFunction } from '../../probes/trace-records';

/** One span of the run, from any process, with the shape's attributes resolved. */
export interface TraceSpan {
  spanId: string;
  parentSpanId: string | null;
  /** Process that recorded it. */
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
  /** Lines that could not be parsed. */
  badLines: number;
  /** Where it came from: batch-doctor's probes (default) or an OpenTelemetry SDK over OTLP (no runtime signals, no summary). */
  source?: 'probes' | 'otlp';
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

/** Everything analysis reads: the input of every detector. */
export interface TraceModel {
  run: RunInfo;
  processes: ProcessTrace[];
  /** All spans, sorted by start time. */
  spans: TraceSpan[];
}
