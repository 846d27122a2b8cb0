import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { safely } from './guard';
import { TRACER_NAME } from './names';

const PATCHED = Symbol.for('batch-doctor.mysql2-connect.patched');
const SPAN = Symbol('batch-doctor.mysql2-connect.span');
type AnyFn = (...args: unknown[]) => unknown;
interface ConnLike { config?: { host?: string; port?: number; database?: string; socketPath?: string }; [SPAN]?: Span | null }

/**
 * A span per mysql2 connection handshake (`mysql2.connect`): TCP connect, TLS and authentication, from the
 * handshake command being queued (in the connection's constructor) to the connection's first `connect` or
 * `error` event. The official instrumentation records no connect, so a connection per lookup or a refused
 * login would otherwise be invisible. Observes only: `addCommand` and `emit` are wrapped to read what passes,
 * no listener is added (an app without an `error` listener behaves exactly as before), nothing is read from the
 * credentials.
 */
export class Mysql2ConnectInstrumentation extends InstrumentationBase<InstrumentationConfig> {
  constructor(config: InstrumentationConfig = {}) {
    super(TRACER_NAME + '-mysql2-connect', '0.1.0', config);
  }

  protected init() {
    const versions = ['>=1.4.2 <4'];
    const patch = (exports: unknown) => { safely('mysql2-connect', () => this.patchClass(exports)); return exports; };
    // mysql2 >= 3.11.5 keeps the connection logic in lib/base/connection.js; older ones in lib/connection.js.
    return [new InstrumentationNodeModuleDefinition('mysql2', versions, (e: unknown) => e, () => undefined, [
      new InstrumentationNodeModuleFile('mysql2/lib/base/connection.js', versions, patch, () => undefined),
      new InstrumentationNodeModuleFile('mysql2/lib/connection.js', versions, patch, () => undefined),
    ])];
  }

  private patchClass(exports: unknown): void {
    const proto = (exports as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
    if (!proto || typeof proto['addCommand'] !== 'function' || typeof proto['emit'] !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const inst = this;
    const addCommand = proto['addCommand'] as AnyFn;
    // Every statement is queued through addCommand: once the handshake's span exists (or has ended: null), nothing is
    // allocated here, no closure and no argument array.
    proto['addCommand'] = function (this: ConnLike, cmd: unknown) {
      if (this[SPAN] === undefined) {
        safely('mysql2-connect', () => {
          if ((cmd as { constructor?: { name?: string } } | null)?.constructor?.name === 'ClientHandshake') {
            const c = this.config ?? {};
            this[SPAN] = inst.tracer.startSpan('mysql2.connect', { attributes: {
              'db.system.name': 'mysql', 'server.address': c.socketPath ?? c.host ?? 'localhost', 'server.port': c.port ?? 3306, 'db.namespace': c.database ?? '',
            } });
          }
        });
      }
      // eslint-disable-next-line prefer-rest-params
      return addCommand.apply(this, arguments as unknown as unknown[]);
    };
    const finish = (conn: ConnLike, err: unknown) => safely('mysql2-connect', () => {
      const span = conn[SPAN];
      if (!span) return;
      conn[SPAN] = null;
      if (err !== undefined) {
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code === 'string' || typeof code === 'number') span.setAttribute('error.type', String(code));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    const emit = proto['emit'] as AnyFn;
    proto['emit'] = function (this: ConnLike, event: unknown) {
      // eslint-disable-next-line prefer-rest-params
      if (this[SPAN] && (event === 'connect' || event === 'error')) finish(this, event === 'error' ? (arguments[1] as unknown) ?? null : undefined);
      // eslint-disable-next-line prefer-rest-params
      return emit.apply(this, arguments as unknown as unknown[]);
    };
    // A handshake that fails while statements are queued hands the error to their callbacks, not to an event.
    const notify = proto['_notifyError'];
    if (typeof notify === 'function') {
      proto['_notifyError'] = function (this: ConnLike, err: unknown) {
        if (this[SPAN]) finish(this, err ?? null);
        // eslint-disable-next-line prefer-rest-params
        return (notify as AnyFn).apply(this, arguments as unknown as unknown[]);
      };
    }
  }
}
