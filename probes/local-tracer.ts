/**
 * The tracer the probes use when spans only go to the local trace file (no forwarding to a collector): each span is
 * handed to the span processors (the {@link SpanRecorder}) when it starts and when it ends, as the OpenTelemetry
 * SDK's `BasicTracerProvider` does, without loading the SDK.
 *
 * Why: loading `@opentelemetry/sdk-trace-base` (with `@opentelemetry/core` and `@opentelemetry/resources`, which
 * load `node:crypto` and the stream stack) cost 6-7.5 ms of start-up in every profiled process on Node 20 and 24,
 * about a seventh of the probes' whole fixed cost, for a resource, samplers, span limits, an id generator and
 * exporters the local trace file never uses. When spans are forwarded, the full SDK is used as before (register.ts).
 *
 * What it keeps of the SDK's behaviour, because the instrumentations and the recorder rely on it:
 * - the span's parent and trace come from the context's span (`trace.getSpanContext`), unless `root` is set;
 * - nothing is recorded under a context with tracing suppressed (core's `suppressTracing` key);
 * - attributes: `undefined`, `null`, an empty key and values that are not attribute values are ignored; event
 *   attributes are sanitized as the SDK does; after `end()` a span ignores every change, and a second `end()` does
 *   nothing;
 * - status: `UNSET` is ignored, `OK` is final, a message is kept for `ERROR` only;
 * - `recordException` adds the `exception` event with `exception.type` (the error's `code`, else its `name`),
 *   `exception.message` and `exception.stacktrace`, as the SDK does: the recorder reads a SQLSTATE from it;
 * - times: HrTime on the performance clock, `startTime`/`endTime` options accepted as HrTime, epoch or performance
 *   milliseconds, or a Date.
 *
 * What it does not do: sampling (every span is recorded: a profiler counts every call; a parent's trace flags are
 * kept so a sampling decision made upstream is not changed), span limits (the recorder copies a fixed set of
 * attributes), links beyond storing them, and a resource.
 */
import { context as otelContext, createContextKey, INVALID_SPAN_CONTEXT, isSpanContextValid, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type {
  Attributes, AttributeValue, Context, Exception, HrTime, Link, Span, SpanAttributes, SpanContext, SpanKind, SpanOptions,
  SpanStatus, TimeInput, Tracer, TracerProvider,
} from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { safely } from './guard';

/** The context key of `@opentelemetry/core`'s `suppressTracing()` (`createContextKey` is `Symbol.for` of the description). */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** performance.now() and timeOrigin from the global (Node 16+), so perf_hooks is not loaded for them. */
const perf = (globalThis as unknown as { performance: { now(): number; timeOrigin: number } }).performance;

/** Epoch milliseconds as OTel HrTime ([seconds, nanoseconds]). */
export function msToHrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1e3);
  return [s, Math.min(999_999_999, Math.round((ms - s * 1e3) * 1e6))];
}

/** The SDK's `timeInputToHrTime`: a number below the time origin is a performance.now() reading, above it epoch ms. */
export function toHrTime(t: TimeInput | undefined): HrTime {
  if (t === undefined) return msToHrTime(perf.timeOrigin + perf.now());
  if (Array.isArray(t)) return t as HrTime;
  if (typeof t === 'number') return msToHrTime(t < perf.timeOrigin ? perf.timeOrigin + t : t);
  return msToHrTime(t.getTime());
}

function hrDiff(a: HrTime, b: HrTime): HrTime {
  let s = b[0] - a[0];
  let ns = b[1] - a[1];
  if (ns < 0) { s -= 1; ns += 1e9; }
  return [s, ns];
}

function isPrimitive(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** `@opentelemetry/core`'s `isAttributeValue`: null, a primitive, or an array of one primitive type (nulls allowed). */
export function isAttributeValue(v: unknown): v is AttributeValue {
  if (v === null || v === undefined) return true;
  if (!Array.isArray(v)) return isPrimitive(v);
  let type: string | undefined;
  for (const e of v) {
    if (e === null || e === undefined) continue;
    if (!isPrimitive(e)) return false;
    if (type === undefined) type = typeof e;
    else if (typeof e !== type) return false;
  }
  return true;
}

/** `@opentelemetry/core`'s `sanitizeAttributes`: own keys that are non-empty, values that are attribute values, arrays copied. */
function sanitizeAttributes(attributes: unknown): Attributes {
  const out: Attributes = {};
  if (typeof attributes !== 'object' || attributes === null) return out;
  for (const key of Object.keys(attributes)) {
    const v = (attributes as Record<string, unknown>)[key];
    if (key === '' || !isAttributeValue(v)) continue;
    out[key] = Array.isArray(v) ? v.slice() : v as AttributeValue;
  }
  return out;
}

/** `n` (a multiple of 8) random lowercase hex digits, not all zero (an all-zero id is invalid in W3C trace context). */
export function randomHex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i += 8) s += ((Math.random() * 0x1_0000_0000) >>> 0).toString(16).padStart(8, '0');
  return s.endsWith('00000000') && /^0+$/.test(s) ? `${s.slice(0, -1)}1` : s;
}

interface TimedEvent { name: string; attributes: Attributes; time: HrTime; droppedAttributesCount: number }

/** One span: the fields of the SDK's `ReadableSpan` that the span processors read, and the API's `Span`. */
class LocalSpan implements Span {
  readonly attributes: Attributes = {};
  readonly events: TimedEvent[] = [];
  readonly links: Link[];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  readonly instrumentationScope: { name: string; version?: string };
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  /** performance.now() at the start, for the duration (the SDK's precise clock). */
  private readonly startPerf: number;
  /** The caller gave the start time: the duration then runs from it, not from the precise clock. */
  private readonly givenStart: boolean;

  /**
   * The start reading, for the recorder to take as the span's precise start (span-recorder.ts), so that start and
   * duration come from one reading: a call that starts right after another ended is then never seen overlapping it
   * by the microseconds between the span's construction and `onStart`. Undefined when the caller gave the start.
   */
  get preciseStart(): number | undefined { return this.givenStart ? undefined : this.startPerf; }

  constructor(
    public name: string,
    readonly kind: SpanKind,
    private readonly ctx: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    options: SpanOptions,
    scope: { name: string; version?: string },
    private readonly processors: readonly SpanProcessor[],
  ) {
    this.startPerf = perf.now();
    this.givenStart = options.startTime !== undefined;
    this.startTime = this.givenStart ? toHrTime(options.startTime) : msToHrTime(perf.timeOrigin + this.startPerf);
    this.links = options.links ?? [];
    this.instrumentationScope = scope;
    if (options.attributes) this.setAttributes(options.attributes);
  }

  spanContext(): SpanContext { return this.ctx; }

  setAttribute(key: string, value: AttributeValue): this {
    if (value !== null && value !== undefined && !this.ended && key.length > 0 && isAttributeValue(value)) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const k of Object.keys(attributes)) this.setAttribute(k, attributes[k] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isTime = Array.isArray(attributesOrTime) || typeof attributesOrTime === 'number' || attributesOrTime instanceof Date;
    const at = isTime ? (time ?? attributesOrTime as TimeInput) : time;
    this.events.push({ name, attributes: sanitizeAttributes(isTime ? undefined : attributesOrTime), time: toHrTime(at), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this { if (!this.ended) this.links.push(link); return this; }

  addLinks(links: Link[]): this { for (const l of links) this.addLink(l); return this; }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
      ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this { if (!this.ended) this.name = name; return this; }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    if (endTime === undefined && !this.givenStart) {
      const ms = perf.now() - this.startPerf;
      const s = Math.floor(ms / 1e3);
      // Rounded down: the start plus the duration never passes the end reading (the next call's start may equal it).
      this.duration = [s, Math.floor((ms - s * 1e3) * 1e6)];
      this.endTime = msToHrTime(perf.timeOrigin + this.startPerf + ms);
    } else {
      this.endTime = toHrTime(endTime);
      this.duration = hrDiff(this.startTime, this.endTime);
    }
    if (this.duration[0] < 0) { this.duration = [0, 0]; this.endTime = this.startTime; }
    for (const p of this.processors) safely('tracer', () => p.onEnd(this as unknown as ReadableSpan));
  }

  isRecording(): boolean { return !this.ended; }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }
}

class LocalTracer implements Tracer {
  constructor(private readonly scope: { name: string; version?: string }, private readonly processors: readonly SpanProcessor[]) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = otelContext.active()): Span {
    const context = options.root ? trace.deleteSpan(ctx) : ctx;
    if (context.getValue(SUPPRESS_TRACING_KEY) === true) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(context);
    const validParent = parent && isSpanContextValid(parent) ? parent : undefined;
    const spanContext: SpanContext = {
      traceId: validParent ? validParent.traceId : randomHex(32),
      spanId: randomHex(16),
      traceFlags: validParent ? validParent.traceFlags : TraceFlags.SAMPLED,
      ...(validParent?.traceState ? { traceState: validParent.traceState } : {}),
    };
    const span = new LocalSpan(name, options.kind ?? 0, spanContext, validParent, options, this.scope, this.processors);
    for (const p of this.processors) safely('tracer', () => p.onStart(span as never, context));
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args[args.length - 1] as F;
    const options = (args.length >= 2 ? args[0] : undefined) as SpanOptions | undefined;
    const ctx = (args.length >= 3 ? args[1] : undefined) as Context | undefined ?? otelContext.active();
    const span = this.startSpan(name, options, ctx);
    return otelContext.with(trace.setSpan(ctx, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}

/**
 * A tracer provider for the local trace file: every tracer it gives hands its spans to `processors`.
 * `forceFlush` and `shutdown` are there for callers that expect a provider; the recorder writes synchronously.
 */
export class LocalTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, LocalTracer>();

  constructor(private readonly processors: readonly SpanProcessor[]) {}

  getTracer(name: string, version?: string): Tracer {
    const key = `${name}@${version ?? ''}`;
    let t = this.tracers.get(key);
    if (!t) this.tracers.set(key, t = new LocalTracer(version === undefined ? { name } : { name, version }, this.processors));
    return t;
  }

  forceFlush(): Promise<void> { return Promise.resolve(); }

  shutdown(): Promise<void> { return Promise.resolve(); }
}
