import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR, SPAN } from './names';
import { safely } from './guard';
import { fingerprintSql, type SqlDialect } from './sql-fingerprint';
import type { SpanKind, SpanRecord } from './trace-records';
import type { TraceWriter } from './trace-writer';

/** Most spans recorded per process before further spans are only counted as dropped (a bound on disk and memory). */
export const DEFAULT_MAX_SPANS = 2_000_000;

/** Old and new semantic-convention keys, read in this order. */
const DB_SYSTEM_KEYS = ['db.system.name', 'db.system'];
const DB_STATEMENT_KEYS = ['db.query.text', 'db.statement'];
const COPY_KEYS = ['server.address', 'server.port', 'net.peer.name', 'net.peer.port', 'db.namespace', 'db.name',
  'db.client.connection.pool.name', 'error.type', ATTR.dbRows, ATTR.stageName, ATTR.records,
  ATTR.ftpCommand, ATTR.ftpBytes, ATTR.ftpTransferMode, ATTR.ftpRemotePath, ATTR.ftpSecure, ATTR.ftpResponseCode, 'ftp.remote.ext'];

const toMs = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;

function first(attrs: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) if (attrs[k] !== undefined) return attrs[k];
  return undefined;
}

function dialectOf(system: string): SqlDialect {
  return /mysql|maria/i.test(system) ? 'mysql' : 'postgresql';
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

/**
 * A span processor that turns each finished span into a compact, sanitized
 * {@link SpanRecord}: SQL is fingerprinted (literals removed) here, inside the
 * process, so no statement text with values ever reaches the trace file.
 */
export class SpanRecorder implements SpanProcessor {
  recorded = 0;
  dropped = 0;

  constructor(private readonly writer: TraceWriter, private readonly keepLiterals: boolean, private readonly maxSpans = DEFAULT_MAX_SPANS) {}

  onStart(_span: Span, _ctx: Context): void { /* nothing at start: all work happens once, at end */ }

  onEnd(span: ReadableSpan): void {
    if (this.recorded >= this.maxSpans || !this.writer.active) { this.dropped++; return; }
    const rec = safely('recorder', () => this.toRecord(span));
    if (!rec) { this.dropped++; return; }
    this.recorded++;
    this.writer.write(rec);
  }

  private toRecord(span: ReadableSpan): SpanRecord {
    const a = span.attributes as Record<string, unknown>;
    const kind = classify(span.name, a);
    const attrs: Record<string, string | number | boolean> = {};
    for (const k of COPY_KEYS) {
      const v = a[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') attrs[k] = v;
    }
    if (kind === 'db' || kind === 'db-connect') {
      const system = String(first(a, DB_SYSTEM_KEYS));
      attrs['db.system'] = system;
      const stmt = first(a, DB_STATEMENT_KEYS);
      if (typeof stmt === 'string') {
        const fp = fingerprintSql(stmt, dialectOf(system));
        attrs['db.fingerprint'] = fp.text;
        if (!fp.parsed) attrs['db.fingerprint.unparsed'] = true;
        if (this.keepLiterals) attrs['db.statement.raw'] = stmt;
      }
    }
    const ctx = span.spanContext();
    const parent = span.parentSpanContext?.spanId ?? (span as unknown as { parentSpanId?: string }).parentSpanId ?? null;
    return {
      type: 'span',
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      parentSpanId: parent,
      name: span.name,
      kind,
      start: toMs(span.startTime),
      end: toMs(span.endTime),
      error: span.status.code === 2,
      attrs,
    };
  }

  forceFlush(): Promise<void> { this.writer.flush(); return Promise.resolve(); }
  shutdown(): Promise<void> { this.writer.flush(); return Promise.resolve(); }
}
