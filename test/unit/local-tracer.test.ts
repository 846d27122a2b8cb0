import fc from 'fast-check';
import { context, SpanKind, SpanStatusCode, trace, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTracerProvider, toHrTime } from '../../probes/local-tracer';
import { SpanRecorder } from '../../probes/span-recorder';
import { TraceWriter } from '../../probes/trace-writer';

/**
 * The probes' local tracer against the OpenTelemetry SDK's BasicTracerProvider: the same operations on a span give
 * the span processors the same span (name, kind, attributes, status, events, parent), whatever the order of the
 * operations, including after end(). Times are compared separately (they are taken at different moments).
 */

class Collect implements SpanProcessor {
  started = 0;
  readonly ended: ReadableSpan[] = [];
  onStart(): void { this.started++; }
  onEnd(span: ReadableSpan): void { this.ended.push(span); }
  forceFlush(): Promise<void> { return Promise.resolve(); }
  shutdown(): Promise<void> { return Promise.resolve(); }
}

function pair(): { sdk: Tracer; local: Tracer; a: Collect; b: Collect } {
  const a = new Collect();
  const b = new Collect();
  return { sdk: new BasicTracerProvider({ spanProcessors: [a] }).getTracer('t'), local: new LocalTracerProvider([b]).getTracer('t'), a, b };
}

/** What the recorder and the forwarder read of a span, without ids and times. */
function view(s: ReadableSpan) {
  return {
    name: s.name, kind: s.kind, attributes: s.attributes, status: s.status,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {} })),
    hasParent: s.parentSpanContext !== undefined,
  };
}

const value = fc.oneof(
  fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.constant({ nested: 1 }), fc.array(fc.integer(), { maxLength: 3 }), fc.constant([1, 'a']), fc.constant([null, 'a', 'b']),
);
const key = fc.constantFrom('db.system', 'db.statement', 'server.port', '', 'x', 'error.type');
const op = fc.oneof(
  fc.record({ t: fc.constant('attr' as const), k: key, v: value }),
  fc.record({ t: fc.constant('attrs' as const), kv: fc.dictionary(key, value, { maxKeys: 3 }) }),
  fc.record({ t: fc.constant('event' as const), name: fc.string({ maxLength: 5 }), kv: fc.option(fc.dictionary(key, value, { maxKeys: 3 }), { nil: undefined }) }),
  fc.record({ t: fc.constant('status' as const), code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR), message: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }) }),
  fc.record({ t: fc.constant('exception' as const), e: fc.oneof(
    fc.string({ maxLength: 5 }),
    fc.record({ code: fc.option(fc.constantFrom('22012', 'ER_DUP_ENTRY', 0, 42), { nil: undefined }), name: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }), message: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }) }).map((e) => ({ ...e })),
  ) }),
  fc.record({ t: fc.constant('rename' as const), name: fc.string({ maxLength: 5 }) }),
  fc.record({ t: fc.constant('end' as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function apply(span: Span, ops: Op[]): void {
  for (const o of ops) {
    switch (o.t) {
      case 'attr': span.setAttribute(o.k, o.v as never); break;
      case 'attrs': span.setAttributes(o.kv as never); break;
      case 'event': span.addEvent(o.name, o.kv as never); break;
      case 'status': span.setStatus(o.message === undefined ? { code: o.code } : { code: o.code, message: o.message }); break;
      case 'exception': span.recordException(o.e as never); break;
      case 'rename': span.updateName(o.name); break;
      case 'end': span.end(); break;
    }
  }
  span.end();
}

describe('LocalTracerProvider', () => {
  const cm = new AsyncLocalStorageContextManager();
  beforeAll(() => { context.setGlobalContextManager(cm.enable()); });
  afterAll(() => { cm.disable(); context.disable(); });

  it('gives the span processors what the SDK gives them, for any sequence of operations', () => {
    fc.assert(fc.property(fc.string({ maxLength: 8 }), fc.constantFrom(SpanKind.CLIENT, SpanKind.INTERNAL, undefined), fc.array(op, { maxLength: 12 }), (name, kind, ops) => {
      const { sdk, local, a, b } = pair();
      const opts: SpanOptions = kind === undefined ? {} : { kind };
      apply(sdk.startSpan(name, opts), ops);
      apply(local.startSpan(name, opts), ops);
      expect(b.started).toBe(a.started);
      expect(b.ended.length).toBe(1);
      expect(view(b.ended[0]!)).toEqual(view(a.ended[0]!));
    }), { numRuns: 400 });
  });

  it('takes the parent and trace from the active context, and none with root or under suppressed tracing', () => {
    const { local, b } = pair();
    const parent = local.startSpan('parent');
    context.with(trace.setSpan(context.active(), parent), () => {
      local.startSpan('child').end();
      local.startSpan('root', { root: true }).end();
      const suppressed = context.with(suppressTracing(context.active()), () => local.startSpan('suppressed'));
      expect(suppressed.isRecording()).toBe(false);
      suppressed.end();
    });
    parent.end();
    const byName = new Map(b.ended.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['child', 'parent', 'root']);
    expect(byName.get('child')!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(byName.get('child')!.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(byName.get('root')!.parentSpanContext).toBeUndefined();
    expect(byName.get('root')!.spanContext().traceId).not.toBe(parent.spanContext().traceId);
    expect(parent.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parent.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.isSpanContextValid(parent.spanContext())).toBe(true);
  });

  it('measures durations on the precise clock and accepts the SDK\'s time inputs', async () => {
    const { local, b } = pair();
    const s = local.startSpan('timed');
    await new Promise((r) => setTimeout(r, 20));
    s.end();
    // Epoch milliseconds before the process started would read as a performance.now() value (the SDK's rule too): a Date.
    const given = local.startSpan('given', { startTime: new Date(Date.now() - 1000) });
    given.end(new Date());
    const t = b.ended.map((x) => x.duration[0] * 1e3 + x.duration[1] / 1e6);
    expect(t[0]).toBeGreaterThanOrEqual(19);
    expect(t[0]).toBeLessThan(1000);
    expect(t[1]).toBeGreaterThanOrEqual(999);
    expect(t[1]).toBeLessThan(1500);
    // A performance.now() reading and an epoch reading of the same moment give the same HrTime (within a ms).
    const now = performance.now();
    const [es, ens] = toHrTime(performance.timeOrigin + now);
    const [ps, pns] = toHrTime(now);
    expect(Math.abs((es - ps) * 1e3 + (ens - pns) / 1e6)).toBeLessThan(1);
  });

  it('runs startActiveSpan\'s callback with the span active and returns its result', () => {
    const { local } = pair();
    const out = local.startActiveSpan('active', (span) => {
      const active = trace.getSpan(context.active());
      span.end();
      return active === span ? 'same' : 'different';
    });
    expect(out).toBe('same');
  });

  it('a call started right after another ended is never recorded overlapping it', () => {
    // The recorder's precise start and the span's duration come from one clock reading (the SDK's spans read the
    // clock twice, microseconds apart, and back-to-back serial transfers could come out overlapping).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-local-tracer-'));
    const writer = new TraceWriter(dir, 4242);
    const tracer = new LocalTracerProvider([new SpanRecorder(writer, false)]).getTracer('t');
    for (let i = 0; i < 2000; i++) tracer.startSpan('ftp.upload', { attributes: { 'batch_doctor.ftp.bytes': 1 } }).end();
    writer.close();
    const spans = fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type?: string; start: number; end: number })
      .filter((r) => r.type === 'span');
    expect(spans).toHaveLength(2000);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
