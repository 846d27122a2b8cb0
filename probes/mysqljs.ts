import type { Tracer } from '@opentelemetry/api';
import { startDbCall } from './db-call';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { performance } from 'node:perf_hooks';
import { safely } from './guard';
import { TRACER_NAME } from './names';
import { fingerprintSql } from './sql-fingerprint';
import type { CallSiteSampler } from './call-sites';
import type { SpanRecorder } from './span-recorder';
import type { ValueStats } from './value-stats';

/** Options of {@link MysqljsInstrumentation}. */
export interface MysqljsConfig extends InstrumentationConfig {
  /** Records each call as a compact database span. Required unless `forward` is set. */
  recorder: SpanRecorder | null;
  /** Spans go to the user's collector too: every call is a full OpenTelemetry span. Default false. */
  forward?: boolean;
  /** Told every call's statement (its inlined values hashed, never stored). Default none. */
  constancy?: ValueStats | null;
  /** Samples where the job issues each statement class. Default none. */
  sites?: CallSiteSampler | null;
  /** Sends one statement of each class, and the connection's settings, to the CLI for EXPLAIN. Default none. */
  sampler?: import('./param-sampler').ParamSampler | null;
}

/** The span name of a mysqljs statement (the `db` kind). */
export const MYSQLJS_SPAN = 'mysql.query';
const PATCHED = Symbol.for('batch-doctor.mysqljs.patched');
type AnyFn = (...args: unknown[]) => unknown;
interface ConnLike { config?: { host?: string; port?: number; database?: string; user?: string; password?: unknown } }
interface QueryLike { sql?: unknown; _callback?: AnyFn; once?: (ev: string, fn: AnyFn) => unknown }

/** Rows a mysqljs result stands for: a SELECT's rows, or the rows a write affected. */
function rowsOf(results: unknown): number | null {
  if (Array.isArray(results)) return results.length;
  const a = (results as { affectedRows?: unknown } | null)?.affectedRows;
  return typeof a === 'number' ? a : null;
}

/**
 * mysqljs `mysql` (2.x), which older jobs use: one database span per statement, from `Connection#query` (pools
 * query through it too) until mysqljs ends the query (its callback, or its `end` event for a streamed query), with
 * the statement as mysqljs sends it (values formatted into the text by the client: fingerprinted in the recorder,
 * never written) and its rows. Like postgres.js, each call is one compact record of its statement class, with no
 * OpenTelemetry span unless spans are forwarded; the value statistics, the call-site sampler and the EXPLAIN sample
 * (one per class, with the connection's own settings) see every call. Observes only: the query object and its
 * callback are mysqljs's; for a query without a callback only an `end` listener is added.
 */
export class MysqljsInstrumentation extends InstrumentationBase<MysqljsConfig> {
  constructor(config: MysqljsConfig) {
    super(TRACER_NAME + '-mysqljs', '0.1.0', config);
  }

  protected init() {
    const patch = (exports: unknown) => { safely('mysqljs', () => this.patch(exports as { prototype?: Record<string | symbol, unknown> })); return exports; };
    return [new InstrumentationNodeModuleDefinition('mysql', ['>=2 <3'], (e: unknown) => e, undefined,
      [new InstrumentationNodeModuleFile('mysql/lib/Connection.js', ['>=2 <3'], patch, (e: unknown) => e)])];
  }

  private patch(Connection: { prototype?: Record<string | symbol, unknown> } | undefined): void {
    const proto = Connection?.prototype;
    const query = proto?.['query'];
    if (!proto || typeof query !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const { recorder, forward = false, constancy = null, sites = null, sampler = null } = this.getConfig();
    const tracer: Tracer = this.tracer;
    proto['query'] = function (this: ConnLike, ...args: unknown[]) {
      const start = performance.now();
      const q = (query as AnyFn).apply(this, args) as QueryLike | undefined;
      safely('mysqljs', () => {
        if (!q || typeof q.sql !== 'string') return;
        const text = q.sql;
        const fp = fingerprintSql(text, 'mysql');
        constancy?.observe('mysql', text, undefined, fp);
        sites?.observe('db', 'mysql', fp.text);
        const c = this.config;
        const server = c ? { host: c.host, port: c.port, database: c.database, user: c.user } : undefined;
        const call = startDbCall(tracer, recorder, forward, MYSQLJS_SPAN,
          { 'db.system.name': 'mysql', 'db.query.text': fp.text, ...(c?.host ? { 'server.address': c.host } : {}), ...(c?.port ? { 'server.port': c.port } : {}), ...(c?.database ? { 'db.namespace': c.database } : {}) }, start);
        let done = false;
        const finish = (err: unknown, results: unknown) => safely('mysqljs', () => {
          if (done) return;
          done = true;
          call.end({ 'db.system.name': 'mysql', 'db.query.text': text, 'server.address': c?.host, 'server.port': c?.port, 'db.namespace': c?.database },
            err ? null : rowsOf(results), err ? String((err as { code?: unknown } | null)?.code ?? 'Error') : null);
          if (!err && sampler) sampler.sampleMysql(text, [], { ...server, password: c?.password });
        });
        const cb = q._callback;
        if (typeof cb === 'function') {
          q._callback = function (this: unknown, err: unknown, results: unknown, ...rest: unknown[]) {
            finish(err, results);
            return cb.call(this, err, results, ...rest);
          };
        } else if (typeof q.once === 'function') {
          q.once('end', () => finish(null, undefined));
        }
      });
      return q;
    };
  }
}
