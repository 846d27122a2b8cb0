import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { getHub } from './hub';
import { ATTR, SPAN, TRACER_NAME } from './names';

const STAGE_NAME_KEY = Symbol.for('batch-doctor.stage.name');

/**
 * Runs `fn` as a named stage of the job (`extract`, `transform`, `load`...).
 * The stage becomes a span; database and FTP work inside it is attributed to
 * it in the report. Works with sync and async functions, returns what `fn`
 * returns and rethrows what it throws, unchanged. Without the probes loaded it
 * simply calls `fn`.
 *
 * @example
 * await stage('extract', () => readOrders(db));
 */
export function stage<T>(name: string, fn: () => T): T {
  let span: Span | undefined;
  try {
    getHub()?.enableContext?.();
    span = (getHub()?.tracer ?? trace.getTracer(TRACER_NAME)).startSpan(SPAN.stage, { attributes: { [ATTR.stageName]: String(name) } });
    (span as unknown as Record<symbol, string>)[STAGE_NAME_KEY] = String(name);
  } catch { span = undefined; }
  if (!span) return fn();
  const s = span;
  const end = (err?: unknown) => {
    try {
      if (err !== undefined) s.setStatus({ code: SpanStatusCode.ERROR });
      s.end();
    } catch { /* never reach the host */ }
  };
  let out: T;
  try {
    out = context.with(trace.setSpan(context.active(), s), fn);
  } catch (err) {
    end(err);
    throw err;
  }
  if (out && typeof (out as unknown as Promise<unknown>).then === 'function') {
    return (out as unknown as Promise<unknown>).then(
      (v) => { end(); return v; },
      (e) => { end(e); throw e; }) as unknown as T;
  }
  end();
  return out;
}

/**
 * Reports that `count` input records were processed, so that the report and
 * the CI gate can express costs per record. Attributed to the innermost
 * enclosing stage. A no-op without the probes.
 */
export function recordCount(count: number): void {
  try {
    if (!Number.isFinite(count)) return;
    const span = trace.getSpan(context.active()) as unknown as Record<symbol, string> | undefined;
    const name = span?.[STAGE_NAME_KEY] ?? '';
    getHub()?.addRecords(name, count);
  } catch { /* never reach the host */ }
}
