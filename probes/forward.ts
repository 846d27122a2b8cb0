import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { faultInjected, safely } from './guard';
import { FORWARD_EXPORT_TIMEOUT_MS } from './names';
import { ATTR } from './names';
import { classify, errorTypeOf, preciseHrTimes } from './span-recorder';
import { literalFreeMessage, redactCredentials, sanitizeAttributes, sanitizeResourceAttributes, sanitizeSpanName } from './sanitize';

/** Spans queued for the user's collector before new ones are dropped (a bound on memory). */
const FORWARD_QUEUE_MAX = 20_000;

type Resource = ReadableSpan['resource'];
/** One sanitized copy per resource (the exporter groups spans by resource identity). */
const resources = new WeakMap<object, Resource>();
function sanitizedResource(r: Resource): Resource {
  let out = resources.get(r);
  if (!out) {
    const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
    out = resourceFromAttributes(sanitizeResourceAttributes(r.attributes as Record<string, unknown>));
    resources.set(r, out);
  }
  return out;
}

/** A code for an error (SQLSTATE, errno name, FTP reply), or undefined: the recorder's reading, only code-like text. */
const errorCode = (span: ReadableSpan): string | undefined => errorTypeOf(span, span.attributes as Record<string, unknown>) || undefined;

/** An error text as it may leave the process: the user's choice of literals, credentials redacted always. */
const errorText = (m: unknown, keepLiterals: boolean) => (keepLiterals ? redactCredentials(String(m ?? '')) : literalFreeMessage(m));

/**
 * A copy of the span as it may leave the process, through the one sanitizer (sanitize.ts): attributes
 * allow-listed (statements fingerprinted), the name fingerprinted unless it is a fixed operation name, the status
 * message and exception events reduced to a code and a literal-free text (no stack: its first line is the
 * message), link attributes dropped, the resource allow-listed with its command line redacted. Precise times
 * too: the SDK stamps starts with Date.now(), whole milliseconds, so sub-millisecond calls would seem to overlap
 * in the user's backend and in `batch-doctor analyze`.
 */
export function sanitizedSpan(span: ReadableSpan, keepLiterals: boolean): ReadableSpan {
  const props: PropertyDescriptorMap = {};
  const t = preciseHrTimes(span);
  if (t) {
    props['startTime'] = { value: t[0], enumerable: true };
    props['endTime'] = { value: t[1], enumerable: true };
  }
  const kind = classify(span.name, span.attributes as Record<string, unknown>);
  const attrs = sanitizeAttributes(span.attributes as Record<string, unknown>, keepLiterals);
  if (!keepLiterals) delete attrs[ATTR.ftpRemotePath];
  const code = errorCode(span);
  if (span.status.code === 2 && code && attrs['error.type'] === undefined) attrs['error.type'] = code;
  const message = span.status.message ? errorText(span.status.message, keepLiterals) : undefined;
  const events = (span.events ?? []).map((e) => ({
    name: e.name === 'exception' ? 'exception' : sanitizeSpanName(e.name, 'other'),
    time: e.time,
    droppedAttributesCount: 0,
    attributes: e.name === 'exception' ? {
      ...(code ? { 'exception.type': code } : {}),
      'exception.message': errorText(e.attributes?.['exception.message'], keepLiterals),
    } : {},
  }));
  props['name'] = { value: sanitizeSpanName(span.name, kind), enumerable: true };
  props['attributes'] = { value: attrs, enumerable: true };
  props['status'] = { value: { code: span.status.code, ...(message !== undefined ? { message: code ? `${code}: ${message}` : message } : {}) }, enumerable: true };
  props['events'] = { value: events, enumerable: true };
  props['links'] = { value: (span.links ?? []).map((l) => ({ context: l.context, attributes: {} })), enumerable: true };
  props['resource'] = { value: sanitizedResource(span.resource), enumerable: true };
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
    const out = safely('forwarder', () => spans.map((s) => sanitizedSpan(s, this.keepLiterals)));
    if (!out || faultInjected('exporter')) { fail(spans.length); return; }
    try {
      this.inner.export(out, (r) => { if (r.code !== 0) { this.failures.n += spans.length; this.open = true; } done(r); });
    } catch { fail(spans.length); }
  }
  shutdown(): Promise<void> { return this.inner.shutdown().catch(() => undefined); }
  forceFlush(): Promise<void> { return this.inner.forceFlush?.().catch(() => undefined) ?? Promise.resolve(); }
}

/** The forwarding processor and a way to end its HTTP traffic at once. */
export interface Forwarder {
  processor: SpanProcessor;
  /** Destroys the exporter's sockets: an export in flight fails now instead of holding the job's exit. */
  abort(): void;
}


/**
 * The processor that forwards spans to the user's own collector when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set: OTLP/HTTP, batched, with a bounded queue
 * and a short export timeout, through the one sanitizer. The exporter's HTTP agent is ours, so that
 * {@link Forwarder.abort} can end a hanging request when the job is done.
 */
export function createForwarder(keepLiterals: boolean, timeoutMs: number, failures: { n: number }): Forwarder {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const agents: import('node:http').Agent[] = [];
  const agentFactory = (protocol: string) => {
    const mod = (protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
    const agent = new mod.Agent({ keepAlive: true });
    agents.push(agent);
    return agent;
  };
  const exportTimeout = Math.min(timeoutMs, FORWARD_EXPORT_TIMEOUT_MS);
  const exporter = new SanitizingExporter(new OTLPTraceExporter({ timeoutMillis: exportTimeout, httpAgentOptions: agentFactory }), keepLiterals, failures);
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: FORWARD_QUEUE_MAX, exportTimeoutMillis: exportTimeout });
  return { processor, abort: () => { for (const a of agents) safely('forwarder', () => a.destroy()); } };
}
