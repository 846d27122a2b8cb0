import type { Tracer } from '@opentelemetry/api';
import { startDbCall, type DbCall } from './db-call';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { safely } from './guard';
import { TRACER_NAME } from './names';
import type { CallSiteSampler } from './call-sites';
import type { SpanRecorder } from './span-recorder';

/** Options of {@link PgCopyInstrumentation}. */
export interface PgCopyConfig extends InstrumentationConfig {
  /** Records each COPY as a compact database span. Required unless `forward` is set. */
  recorder: SpanRecorder | null;
  /** Spans go to the user's collector too: each COPY is a full OpenTelemetry span. Default false. */
  forward?: boolean;
  /** Samples where the job issues each COPY. Default none. */
  sites?: CallSiteSampler | null;
}

/** The span name of a COPY through pg-copy-streams (the `db` kind). */
export const PG_COPY_SPAN = 'pg.copy';
const PATCHED = Symbol.for('batch-doctor.pg-copy.patched');
const TIMED = Symbol('batch-doctor.pg-copy.timed');

interface CopyLike {
  text?: unknown;
  rowCount?: unknown;
  [TIMED]?: { call: DbCall; done: boolean };
}
type AnyFn = (...args: unknown[]) => unknown;

/**
 * pg-copy-streams (COPY FROM STDIN and COPY TO STDOUT, the bulk load and export): one database span per COPY,
 * from the moment pg submits it to the server (`submit`) until the server reports it complete (ReadyForQuery for
 * COPY FROM, which is when pg-copy-streams ends the stream; CommandComplete for COPY TO) or an error, with the
 * statement and the rows the server reported (`COPY n`). A stream's COPY takes as long as the job takes to feed or
 * drain it: the span is the COPY's wall time, as the server saw it. The official pg instrumentation does not time
 * a Submittable; without this a bulk load was missing from the report. The stream classes are not exported: their
 * prototype is reached through one unused instance made by each factory at load (no I/O). Observes only.
 */
export class PgCopyInstrumentation extends InstrumentationBase<PgCopyConfig> {
  constructor(config: PgCopyConfig) {
    super(TRACER_NAME + '-pg-copy', '0.1.0', config);
  }

  protected init() {
    return [new InstrumentationNodeModuleDefinition('pg-copy-streams', ['>=5 <8'], (exports: unknown) => { safely('pg-copy', () => this.patch(exports)); return exports; })];
  }

  private patch(exports: unknown): void {
    const e = exports as { from?: (t: string) => object; to?: (t: string) => object };
    if (typeof e.from === 'function') this.patchClass(Object.getPrototypeOf(e.from('COPY batch_doctor_probe FROM STDIN')) as Record<string | symbol, unknown>, 'handleReadyForQuery');
    if (typeof e.to === 'function') this.patchClass(Object.getPrototypeOf(e.to('COPY batch_doctor_probe TO STDOUT')) as Record<string | symbol, unknown>, 'handleCommandComplete');
  }

  /** Times `submit` to `endMethod` (or `handleError`) on one stream class. */
  private patchClass(proto: Record<string | symbol, unknown>, endMethod: string): void {
    const submit = proto['submit'], end = proto[endMethod], fail = proto['handleError'];
    if (typeof submit !== 'function' || typeof end !== 'function' || typeof fail !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const { recorder, forward = false, sites = null } = this.getConfig();
    const tracer: Tracer = this.tracer;
    const finish = (q: CopyLike, errorType: string | null) => safely('pg-copy', () => {
      const t = q[TIMED];
      if (!t || t.done) return;
      t.done = true;
      t.call.end({ 'db.system.name': 'postgresql', 'db.query.text': q.text }, errorType === null && typeof q.rowCount === 'number' ? q.rowCount : null, errorType);
    });
    proto['submit'] = function (this: CopyLike, ...args: unknown[]) {
      safely('pg-copy', () => {
        const text = typeof this.text === 'string' ? this.text : undefined;
        if (text !== undefined) sites?.observe('db', 'postgresql', text);
        this[TIMED] = { call: startDbCall(tracer, recorder, forward, PG_COPY_SPAN, { 'db.system.name': 'postgresql', ...(text !== undefined ? { 'db.query.text': text } : {}) }), done: false };
      });
      return (submit as AnyFn).apply(this, args);
    };
    proto[endMethod] = function (this: CopyLike, ...args: unknown[]) {
      const r = (end as AnyFn).apply(this, args);
      finish(this, null);
      return r;
    };
    proto['handleError'] = function (this: CopyLike, ...args: unknown[]) {
      const err = args[0] as { code?: unknown } | null | undefined;
      finish(this, typeof err?.code === 'string' ? err.code : 'Error');
      return (fail as AnyFn).apply(this, args);
    };
  }
}
