import { SpanStatusCode } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { safely } from './guard';
import { ATTR, TRACER_NAME } from './names';

const PATCHED = Symbol.for('batch-doctor.pg-cursor.patched');
type AnyFn = (...args: unknown[]) => unknown;
interface CursorLike { text?: unknown }

/**
 * A span per batch a pg-cursor reads (`pg.cursor.read`), with the cursor's statement and the rows the batch
 * returned. pg-query-stream reads through pg-cursor, so a streamed read is covered too. The official pg
 * instrumentation sees a cursor only as a Submittable it cannot time: without this, a job's main streamed read was
 * missing from the report. One span per batch (not one for the whole cursor): between batches the portal is
 * suspended while the job processes the rows, and that time is the job's, not the database's. Observes only: the
 * callback or promise the caller gets is the one pg-cursor gives.
 */
export class PgCursorInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(config: InstrumentationConfig = {}) {
    super(TRACER_NAME + '-pg-cursor', '0.1.0', config);
  }

  protected init() {
    return [new InstrumentationNodeModuleDefinition('pg-cursor', ['>=2 <3'], (exports: unknown) => { safely('pg-cursor', () => this.patch(exports)); return exports; })];
  }

  private patch(exports: unknown): void {
    const C = ((exports as { default?: unknown }).default ?? exports) as { prototype?: Record<string | symbol, unknown> };
    const proto = C?.prototype;
    const read = proto?.['read'];
    if (!proto || typeof read !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const inst = this;
    proto['read'] = function (this: CursorLike, ...args: unknown[]) {
      const span = safely('pg-cursor', () => inst.tracer.startSpan('pg.cursor.read', { attributes: {
        'db.system.name': 'postgresql', ...(typeof this.text === 'string' ? { 'db.query.text': this.text } : {}),
      } }));
      if (!span) return (read as AnyFn).apply(this, args);
      const done = (err: unknown, rows: unknown) => safely('pg-cursor', () => {
        if (Array.isArray(rows)) span.setAttribute(ATTR.dbRows, rows.length);
        if (err) {
          const code = (err as { code?: unknown } | null)?.code;
          if (typeof code === 'string') span.setAttribute('error.type', code);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      });
      const cb = args[1];
      if (typeof cb === 'function') {
        args[1] = function (this: unknown, err: unknown, rows: unknown, ...rest: unknown[]) { done(err, rows); return (cb as AnyFn).call(this, err, rows, ...rest); };
        return (read as AnyFn).apply(this, args);
      }
      const r = (read as AnyFn).apply(this, args) as Promise<unknown> | undefined;
      if (r && typeof r.then === 'function') r.then((rows) => done(null, rows), (e) => done(e, null));
      else done(null, null);
      return r;
    };
  }
}
