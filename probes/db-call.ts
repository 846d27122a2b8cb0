import { SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { ATTR } from './names';
import type { SpanRecorder } from './span-recorder';

/**
 * A database call timed by one of our own client probes (postgres.js, mysqljs, pg-copy-streams), recorded the way
 * the pg fast path records one: as a compact record of its statement class, with no OpenTelemetry span; or, when
 * spans are forwarded to the user's collector (or there is no recorder), as a full span started now.
 */
export interface DbCall {
  /**
   * Ends the call. `attrs` are the span attributes its class is keyed by (`db.system.name`, `db.query.text`, and
   * `server.address`, `server.port`, `db.namespace` when known); `errorType` is null for a success.
   */
  end(attrs: Record<string, unknown>, rows: number | null, errorType: string | null): void;
}

/**
 * Starts timing a database call named `name` (see {@link DbCall}), from `start` (performance.now(); default now).
 * `startAttrs` go on a full span from the start.
 */
export function startDbCall(tracer: Tracer, recorder: SpanRecorder | null, forward: boolean, name: string, startAttrs: Record<string, string | number>, start = performance.now()): DbCall {
  const span: Span | null = forward || !recorder ? tracer.startSpan(name, { attributes: startAttrs }) : null;
  return {
    end(attrs, rows, errorType) {
      if (span) {
        const text = attrs['db.query.text'];
        if (typeof text === 'string' && startAttrs['db.query.text'] === undefined) span.setAttribute('db.query.text', text);
        if (rows !== null) span.setAttribute(ATTR.dbRows, rows);
        if (errorType !== null) { span.setAttribute('error.type', errorType); span.setStatus({ code: SpanStatusCode.ERROR }); }
        span.end();
      } else if (recorder && typeof attrs['db.query.text'] === 'string') {
        recorder.recordDbCallAt(name, attrs, start, performance.now(), rows, errorType);
      }
    },
  };
}
