import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { faultInjected, safely } from './guard';
import { dialectForSystem, fingerprintSql } from './sql-fingerprint';
import { ATTR } from './names';
import { preciseHrTimes } from './span-recorder';

/** Spans queued for the user's collector before new ones are dropped (a bound on memory). */
const FORWARD_QUEUE_MAX = 20_000;

const STATEMENT_KEYS = ['db.statement', 'db.query.text'];
const DROP_KEYS = ['db.postgresql.values', ATTR.ftpRemotePath];

/**
 * A copy of the span with precise times (the SDK stamps starts with Date.now(), whole milliseconds, so
 * sub-millisecond calls would seem to overlap in the user's backend and in `batch-doctor analyze`) and, unless
 * literals are kept, statement attributes fingerprinted.
 */
function sanitized(span: ReadableSpan, keepLiterals: boolean): ReadableSpan {
  const props: PropertyDescriptorMap = {};
  const t = preciseHrTimes(span);
  if (t) {
    props['startTime'] = { value: t[0], enumerable: true };
    props['endTime'] = { value: t[1], enumerable: true };
  }
  if (keepLiterals) return Object.create(span, props) as ReadableSpan;
  const attrs = { ...span.attributes };
  for (const k of STATEMENT_KEYS) {
    const v = attrs[k];
    if (typeof v === 'string') {
      const system = String(attrs['db.system.name'] ?? attrs['db.system'] ?? '');
      attrs[k] = fingerprintSql(v, dialectForSystem(system)).text;
    }
  }
  for (const k of DROP_KEYS) delete attrs[k];
  props['attributes'] = { value: attrs, enumerable: true };
  return Object.create(span, props) as ReadableSpan;
}

/**
 * Wraps an exporter: sanitizes spans, counts failures, and can be made to fail
 * for tests. A circuit breaker: after the first failed export (refused,
 * timed out, or an error status after the exporter's own retries) it stops
 * sending and only counts, so a dead or hanging collector costs the job at
 * most one export timeout, never one per batch.
 */
class SanitizingExporter implements SpanExporter {
  private open = false;
  constructor(private readonly inner: SpanExporter, private readonly keepLiterals: boolean, private readonly failures: { n: number }) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    const fail = (n: number) => { this.failures.n += n; this.open = true; done({ code: 1 }); };
    if (this.open) { fail(spans.length); return; }
    const out = safely('forwarder', () => spans.map((s) => sanitized(s, this.keepLiterals)));
    if (!out || faultInjected('exporter')) { fail(spans.length); return; }
    try {
      this.inner.export(out, (r) => { if (r.code !== 0) { this.failures.n += spans.length; this.open = true; } done(r); });
    } catch { fail(spans.length); }
  }
  shutdown(): Promise<void> { return this.inner.shutdown().catch(() => undefined); }
  forceFlush(): Promise<void> { return this.inner.forceFlush?.().catch(() => undefined) ?? Promise.resolve(); }
}

/**
 * The processor that forwards spans to the user's own collector when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set: OTLP/HTTP, batched, with a bounded queue
 * and a short export timeout, sanitized like the trace file.
 */
export function createForwarder(keepLiterals: boolean, timeoutMs: number, failures: { n: number }): SpanProcessor {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const exporter = new SanitizingExporter(new OTLPTraceExporter({ timeoutMillis: timeoutMs }), keepLiterals, failures);
  return new BatchSpanProcessor(exporter, { maxQueueSize: FORWARD_QUEUE_MAX, exportTimeoutMillis: timeoutMs });
}
