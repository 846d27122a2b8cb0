import type { Context } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { msToHrTime } from './local-tracer';
import { ATTR, SPAN } from './names';
import { safely } from './guard';
import { dialectForSystem, fingerprintSql } from './sql-fingerprint';
import { redactCredentials, sanitizeAttributes, sanitizeSpanName } from './sanitize';
import type { CompactSpan, SpanKind, SpanRecord } from './trace-records';
import type { TraceWriter } from './trace-writer';

/** Most spans recorded per process before further spans are only counted as dropped (a bound on disk and memory). */
export const DEFAULT_MAX_SPANS = 2_000_000;
/** Most distinct database span shapes per process; further classes are written as full span records. */
const MAX_SHAPES = 10_000;

/** Old and new semantic-convention keys, read in this order. */
const DB_SYSTEM_KEYS = ['db.system.name', 'db.system'];
const DB_STATEMENT_KEYS = ['db.query.text', 'db.statement'];
/** Attributes that are the same for every call of one statement class on one server. */
const SHAPE_KEYS = ['server.address', 'server.port', 'net.peer.name', 'net.peer.port', 'db.namespace', 'db.name',
  'db.client.connection.pool.name'];
/** Attributes copied for non-database spans. */
const COPY_KEYS = [...SHAPE_KEYS, 'error.type', ATTR.dbRows, ATTR.stageName, ATTR.records,
  ATTR.ftpCommand, ATTR.ftpBytes, ATTR.ftpSampleGzipRatio, ATTR.ftpTransferMode, ATTR.ftpRemotePath, ATTR.ftpSecure, ATTR.ftpResponseCode,
  ATTR.ftpRemoteExt, ATTR.ftpDirection, ATTR.ftpProtocol];

const toMs = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
/**
 * Where the recorder keeps a span's precise start. The SDK stamps span starts
 * with Date.now() (whole milliseconds) and measures durations with
 * performance.now(); sub-millisecond database calls then seem to overlap. We
 * take our own start on the performance clock in onStart and add the SDK's
 * precise duration.
 */
const PRECISE_START = Symbol('batch-doctor.start');
const TIME_ORIGIN = performance.timeOrigin;
type Stamped = { [PRECISE_START]?: number };

/**
 * The span's start and end as OTel HrTime with the recorder's precise start,
 * or undefined when the recorder did not see it start. Used by the forwarder so
 * that spans sent to the user's collector keep sub-millisecond starts too.
 */
export function preciseHrTimes(span: ReadableSpan): [[number, number], [number, number]] | undefined {
  const p = (span as unknown as Stamped)[PRECISE_START];
  if (p === undefined) return undefined;
  const startMs = TIME_ORIGIN + p;
  return [msToHrTime(startMs), msToHrTime(startMs + toMs(span.duration))];
}

/** Start and end of a span, epoch ms on the performance clock. */
function times(span: ReadableSpan): [number, number] {
  const p = (span as unknown as Stamped)[PRECISE_START];
  if (p === undefined) return [toMs(span.startTime), toMs(span.endTime)];
  const start = TIME_ORIGIN + p;
  return [start, start + toMs(span.duration)];
}

function first(attrs: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (attrs[k] !== undefined) return attrs[k];
  return undefined;
}

/** Classifies a span by its attributes and name. */
export function classify(name: string, attrs: Record<string, unknown>): SpanKind {
  if (name === SPAN.stage) return 'stage';
  if (name.startsWith(SPAN.ftpPrefix)) return 'ftp';
  if (first(attrs, DB_SYSTEM_KEYS) !== undefined) {
    return first(attrs, DB_STATEMENT_KEYS) === undefined && /connect/i.test(name) ? 'db-connect' : 'db';
  }
  return 'other';
}

/** What an error type may look like to be written: a code or a class name, never a sentence (which can hold data). */
const ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The error's type: `error.type`, else the `exception.type` of a recorded exception (the SDK puts an error's
 * `code` there: the SQLSTATE of a pg error). Never the message, which can hold data.
 */
export function errorTypeOf(span: ReadableSpan, a: Record<string, unknown>): string {
  const t = a['error.type'];
  if ((typeof t === 'string' || typeof t === 'number') && ERROR_CODE.test(String(t))) return String(t);
  for (const e of span.events ?? []) {
    if (e.name !== 'exception') continue;
    const x = e.attributes?.['exception.type'];
    if ((typeof x === 'string' || typeof x === 'number') && ERROR_CODE.test(String(x))) return String(x);
    // instrumentation-pg records a sanitized message only: "PostgreSQL error of type 'error' occurred (code: 22012)".
    const m = /\(code: ([0-9A-Za-z_]{1,16})\)/.exec(String(e.attributes?.['exception.message'] ?? ''));
    if (m) return m[1]!;
  }
  return '';
}

const parentOf = (span: ReadableSpan): string | null =>
  span.parentSpanContext?.spanId ?? (span as unknown as { parentSpanId?: string }).parentSpanId ?? null;

/** Key of a statement on one server and database, as the fast path and the recorder both compute it. */
export function statementKey(statement: string, address: unknown, port: unknown, database: unknown): string {
  return `${statement}\u0000${String(address)}\u0000${String(port)}\u0000${String(database)}`;
}

/**
 * A span processor that turns each finished span into a compact, sanitized
 * record: SQL is fingerprinted (literals removed) here, inside the process, so
 * no statement text with values ever reaches the trace file. Database spans
 * share a {@link ShapeRecord} per statement class and cost one short array each.
 */
export class SpanRecorder implements SpanProcessor {
  recorded = 0;
  dropped = 0;
  /** Database calls recorded through the official instrumentation (full OpenTelemetry spans). */
  officialDbCalls = 0;
  /** Database calls timed by the fast path. */
  fastCalls = 0;
  private readonly shapes = new Map<string, number>();
  /** Shape id by `statement \0 server \0 port \0 database`, for the fast path (see fast-path-pg.ts). */
  private readonly shapeByStatement = new Map<string, number>();
  private fastIds = 0;

  constructor(private readonly writer: TraceWriter, private readonly keepLiterals: boolean, private readonly maxSpans = DEFAULT_MAX_SPANS) {}

  onStart(span: Span, _ctx: Context): void {
    // The local tracer's own start reading (local-tracer.ts), from which it measures the duration; else now.
    const own = (span as unknown as { preciseStart?: unknown }).preciseStart;
    (span as unknown as Stamped)[PRECISE_START] = typeof own === 'number' ? own : performance.now();
  }

  onEnd(span: ReadableSpan): void {
    if (this.recorded >= this.maxSpans || !this.writer.active) { this.dropped++; return; }
    const rec = safely('recorder', () => this.toRecord(span));
    if (!rec) { this.dropped++; return; }
    this.recorded++;
    if (Array.isArray(rec)) this.officialDbCalls++;
    this.writer.write(rec);
  }

  private toRecord(span: ReadableSpan): SpanRecord | CompactSpan {
    const a = span.attributes as Record<string, unknown>;
    const kind = classify(span.name, a);
    if (kind === 'db' && !this.keepLiterals) {
      const compact = this.toCompact(span, a);
      if (compact) return compact;
    }
    const attrs: Record<string, string | number | boolean> = {};
    // Through the one sanitizer (allow-list, FTP commands to their verb, remote paths only when opted in).
    Object.assign(attrs, sanitizeAttributes(a, this.keepLiterals, COPY_KEYS));
    if (attrs['error.type'] !== undefined && !ERROR_CODE.test(String(attrs['error.type']))) delete attrs['error.type'];
    if (kind === 'db' || kind === 'db-connect') this.addDbAttrs(a, attrs);
    if (span.status.code === 2 && attrs['error.type'] === undefined) {
      const t = errorTypeOf(span, a);
      if (t) attrs['error.type'] = t;
    }
    const [start, end] = times(span);
    return {
      type: 'span', traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, parentSpanId: parentOf(span),
      name: sanitizeSpanName(span.name, kind), kind, start, end, error: span.status.code === 2, attrs,
    };
  }

  private addDbAttrs(a: Record<string, unknown>, attrs: Record<string, string | number | boolean>): void {
    const system = String(first(a, DB_SYSTEM_KEYS));
    attrs['db.system'] = system;
    const stmt = first(a, DB_STATEMENT_KEYS);
    if (typeof stmt === 'string') {
      const fp = fingerprintSql(stmt, dialectForSystem(system));
      attrs['db.fingerprint'] = fp.text;
      if (!fp.parsed) attrs['db.fingerprint.unparsed'] = true;
      if (this.keepLiterals) attrs['db.statement.raw'] = redactCredentials(stmt);
    }
  }

  private toCompact(span: ReadableSpan, a: Record<string, unknown>): CompactSpan | undefined {
    const id = this.shapeOf(span.name, a);
    if (id === undefined) return undefined;
    const rows = a[ATTR.dbRows];
    const err = span.status.code === 2 ? errorTypeOf(span, a) : null;
    const [start, end] = times(span);
    return [id, span.spanContext().spanId, parentOf(span), start, end, typeof rows === 'number' ? rows : null, err];
  }

  /**
   * The shape of a database call by its span name and attributes: one per statement class, not per text (code that
   * inlines its values writes a new text every call). Written to the trace the first time. Undefined past MAX_SHAPES.
   */
  private shapeOf(name: string, a: Record<string, unknown>): number | undefined {
    const raw = first(a, DB_STATEMENT_KEYS);
    const stmt = typeof raw === 'string' ? fingerprintSql(raw, dialectForSystem(String(first(a, DB_SYSTEM_KEYS)))).text : raw;
    const key = `${name}\u0000${String(stmt)}\u0000${String(a['server.address'] ?? a['net.peer.name'])}\u0000${String(a['server.port'] ?? a['net.peer.port'])}\u0000${String(a['db.namespace'] ?? a['db.name'])}`;
    let id = this.shapes.get(key);
    if (id === undefined) {
      if (this.shapes.size >= MAX_SHAPES) return undefined;
      id = this.shapes.size + 1;
      this.shapes.set(key, id);
      const attrs: Record<string, string | number | boolean> = {};
      Object.assign(attrs, sanitizeAttributes(a, this.keepLiterals, SHAPE_KEYS));
      this.addDbAttrs(a, attrs);
      this.writer.write({ type: 'shape', id, name: sanitizeSpanName(name, 'db'), kind: 'db', attrs });
      if (typeof stmt === 'string' && this.shapeByStatement.size < MAX_SHAPES) {
        this.shapeByStatement.set(statementKey(stmt, a['server.address'] ?? a['net.peer.name'], a['server.port'] ?? a['net.peer.port'], a['db.namespace'] ?? a['db.name']), id);
      }
    }
    return id;
  }

  /**
   * Records a database call of a client instrumented without OpenTelemetry spans (postgres.js, mysqljs, COPY: see
   * db-call.ts): the same compact line a span of its statement class would give. `attrs` are the attributes its
   * class is keyed by (`db.system.name`, `db.query.text` as sent, fingerprinted here, and when known
   * `server.address`, `server.port`, `db.namespace`); an error type that is not a code (a message, say) is written
   * as `Error`.
   */
  recordDbCallAt(name: string, attrs: Record<string, unknown>, startPerf: number, endPerf: number, rows: number | null, errorType: string | null): void {
    if (this.recorded >= this.maxSpans || !this.writer.active) { this.dropped++; return; }
    const id = this.shapeOf(name, attrs);
    if (id === undefined) { this.dropped++; return; }
    this.recorded++;
    this.fastCalls++;
    this.writer.writeFast(id, ++this.fastIds, null, TIME_ORIGIN + startPerf, TIME_ORIGIN + endPerf, rows,
      errorType === null ? null : ERROR_CODE.test(errorType) ? errorType : 'Error');
  }

  /** The shape a full span already recorded for this statement on this server, if any. */
  shapeFor(key: string): number | undefined {
    return this.shapeByStatement.get(key);
  }

  /**
   * The shape of a kind of database connect (`pg-pool.connect` on one server), for connects timed without an OTel
   * span: written to the trace the first time, kind 'db-connect'. Undefined past MAX_SHAPES.
   */
  connectShape(name: string, system: string, address: unknown, port: unknown, database: unknown): number | undefined {
    const key = `connect\u0000${name}\u0000${String(address)}\u0000${String(port)}\u0000${String(database)}`;
    let id = this.shapes.get(key);
    if (id === undefined) {
      if (this.shapes.size >= MAX_SHAPES) return undefined;
      id = this.shapes.size + 1;
      this.shapes.set(key, id);
      const raw: Record<string, unknown> = {};
      if (typeof address === 'string') raw['server.address'] = address;
      if (typeof port === 'number') raw['server.port'] = port;
      if (typeof database === 'string') raw['db.namespace'] = database;
      // Through the one sanitizer, as a full span's attributes are; the system is the probe's own constant.
      const attrs: Record<string, string | number | boolean> = { ...sanitizeAttributes(raw, this.keepLiterals, SHAPE_KEYS), 'db.system': system };
      this.writer.write({ type: 'shape', id, name: sanitizeSpanName(name, 'db-connect'), kind: 'db-connect', attrs });
    }
    return id;
  }

  /** Records a connect timed without an OTel span (see {@link connectShape}): not a database call in the probes' cost. */
  recordConnect(shapeId: number, startPerf: number, endPerf: number, errorType: string | null): void {
    if (this.recorded >= this.maxSpans || !this.writer.active) { this.dropped++; return; }
    this.recorded++;
    this.writer.writeFast(shapeId, ++this.fastIds, null, TIME_ORIGIN + startPerf, TIME_ORIGIN + endPerf, null,
      errorType === null ? null : ERROR_CODE.test(errorType) ? errorType : 'Error');
  }

  /** Records a database call timed by the fast path (no OTel span): the same compact line a span would give. */
  recordFast(shapeId: number, parentSpanId: string | null, startPerf: number, endPerf: number, rows: number | null, errorType: string | null): void {
    if (this.recorded >= this.maxSpans || !this.writer.active) { this.dropped++; return; }
    this.recorded++;
    this.fastCalls++;
    this.writer.writeFast(shapeId, ++this.fastIds, parentSpanId, TIME_ORIGIN + startPerf, TIME_ORIGIN + endPerf, rows, errorType);
  }

  forceFlush(): Promise<void> { this.writer.flush(); return Promise.resolve(); }
  shutdown(): Promise<void> { this.writer.flush(); return Promise.resolve(); }
}
