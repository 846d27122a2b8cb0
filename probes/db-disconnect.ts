import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { Span } from '@opentelemetry/api';
import { safely } from './guard';
import { TRACER_NAME } from './names';

const PATCHED = Symbol.for('batch-doctor.db-disconnect.patched');
type AnyFn = (...args: unknown[]) => unknown;
interface Server { host?: string; port?: number; database?: string; socketPath?: string }

/**
 * A span per pg client disconnect (`pg.disconnect`, pg's `Client#end`): from the call to its completion (the
 * Terminate message sent and the socket closed, which `end()` waits for). A job that opens a connection per lookup
 * pays the teardown as well as the connect; without this span that time looks like waiting, and a pool's saving
 * is under-predicted. Observes only: the callback or promise the caller gets is the one the client returns,
 * untouched. (mysql2's `end()` completes as soon as its QUIT is queued: nothing to measure there.)
 */
export class DbDisconnectInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(config: InstrumentationConfig = {}) {
    super(TRACER_NAME + '-db-disconnect', '0.1.0', config);
  }

  protected init() {
    return [new InstrumentationNodeModuleDefinition('pg', ['>=8 <9'], (exports: unknown) => { safely('db-disconnect', () => this.patchPg(exports)); return exports; })];
  }

  private start(name: string, system: string, s: Server | undefined, defaultPort: number): Span {
    return this.tracer.startSpan(name, { attributes: {
      'db.system.name': system, 'server.address': s?.socketPath ?? s?.host ?? 'localhost', 'server.port': s?.port ?? defaultPort, 'db.namespace': s?.database ?? '',
    } });
  }

  private patchPg(exports: unknown): void {
    const e = exports as { Client?: { prototype?: Record<string | symbol, unknown> }; default?: { Client?: { prototype?: Record<string | symbol, unknown> } } };
    const proto = e.Client?.prototype ?? e.default?.Client?.prototype;
    const end = proto?.['end'];
    if (!proto || typeof end !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const inst = this;
    proto['end'] = function (this: { connectionParameters?: Server; _ended?: boolean; _connecting?: boolean }, ...args: unknown[]) {
      const span = (this as { connection?: { _connecting?: boolean } }).connection?._connecting && !this._ended ? safely('db-disconnect', () => inst.start('pg.disconnect', 'postgresql', this.connectionParameters, 5432)) : undefined;
      if (!span) return (end as AnyFn).apply(this, args);
      const done = () => safely('db-disconnect', () => span.end());
      const cb = args[0];
      if (typeof cb === 'function') {
        args[0] = function (this: unknown, ...cbArgs: unknown[]) { done(); return (cb as AnyFn).apply(this, cbArgs); };
        return (end as AnyFn).apply(this, args);
      }
      const r = (end as AnyFn).apply(this, args);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, done);
      else done();
      return r;
    };
  }
}
