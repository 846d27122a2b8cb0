import { context, trace } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { performance } from 'node:perf_hooks';
import { safely, swallowed } from '../guard';
import { statementKey, type SpanRecorder } from '../span-recorder';
import { TRACER_NAME } from '../names';
import { fingerprintSql } from '../sql-fingerprint';
import { FULL_SPANS_PER_STATEMENT, markFast, officialOriginal, StatementCounter } from './counter';
import type { CallSiteSampler } from '../call-sites';
import type { ValueStats } from '../value-stats';

/** Options of {@link PgFastPath}. */
export interface PgFastPathConfig extends InstrumentationConfig {
  recorder: SpanRecorder;
  /** Samples the stacks of a bounded number of calls per statement (where the job issues it). Default none. */
  sites?: CallSiteSampler | null;
  /** Told every call it times, with its values (hashed, never stored). Default none. */
  constancy?: ValueStats | null;
  /** Told each client's connection parameters once (the password for EXPLAIN, memory only). Default none. */
  sampler?: import('../param-sampler').ParamSampler | null;
}

interface ClientLike { connectionParameters?: { host?: string; port?: number; database?: string; user?: string; password?: unknown } }

/**
 * The fast path for repeated PostgreSQL statements. The official
 * `@opentelemetry/instrumentation-pg` costs ~30 µs per call (its wrapper and
 * the SDK span); batch jobs make the same call tens of thousands of times.
 * Once a statement class (its fingerprint: literals inlined in the text count as values) has produced
 * FULL_SPANS_PER_STATEMENT (5) full spans, its
 * further promise-style calls skip the OTel wrapper (calling the function it
 * wrapped) and are timed here instead, into the same compact trace line a span
 * would give: every call is still recorded, at 1-4 µs each. Promise and callback calls
 * alike; Submittables (cursors, streams) and anything unexpected take the official
 * path. Off when spans are forwarded to the user's collector (they want every span).
 *
 * Registered after PgInstrumentation, so its hook runs after the official patch.
 */
export class PgFastPath extends InstrumentationBase<PgFastPathConfig> {
  private readonly counter: StatementCounter;

  constructor(config: PgFastPathConfig) {
    super(TRACER_NAME + '-pg-fast-path', '0.1.0', config);
    const sites = config.sites ?? null;
    this.counter = new StatementCounter(sites ? (text, n) => sites.sampled('db', 'postgresql', text, n) : null);
    sites?.addCounter('db', 'postgresql', () => this.counter.counts());
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition('pg', ['>=8 <9'],
        (exports: Record<string, unknown>) => { safely('pg-fast-path', () => this.patch(exports)); return exports; }),
      new InstrumentationNodeModuleDefinition('pg-pool', ['>=2 <4'],
        (exports: unknown) => { safely('pg-fast-path', () => this.patchPool(exports)); return exports; }),
    ];
  }

  /**
   * pg.Pool checkouts: `pg.Pool#query` checks a client out for every statement, and the official instrumentation
   * makes a full `pg-pool.connect` span of each (~30-45 µs apiece: 8,000 of them in a job of 8,000 pooled lookups).
   * After FULL_SPANS_PER_STATEMENT checkouts of a pool's server, further ones call the function it wrapped and are
   * timed here into the same compact line (kind db-connect, name `pg-pool.connect`), callback and promise alike.
   */
  private patchPool(exports: unknown): void {
    const proto = (exports as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    const official = proto?.['connect'] as ((...args: unknown[]) => unknown) | undefined;
    const bare = officialOriginal(official);
    if (!proto || !official || !bare) return;
    const recorder = this.getConfig().recorder;
    const seen = new WeakMap<object, { n: number; shape: number | undefined }>();
    const fast = function (this: { options?: { host?: unknown; port?: unknown; database?: unknown } }, ...args: unknown[]): unknown {
      let shape: number | undefined;
      try {
        const o = this.options ?? {};
        let e = seen.get(this);
        if (!e) seen.set(this, (e = { n: 0, shape: undefined }));
        if (++e.n > FULL_SPANS_PER_STATEMENT) {
          e.shape ??= recorder.connectShape('pg-pool.connect', 'postgresql', o.host ?? process.env['PGHOST'] ?? 'localhost', Number(o.port ?? process.env['PGPORT'] ?? 5432), o.database ?? process.env['PGDATABASE']);
          shape = e.shape;
        }
      } catch (err) {
        shape = undefined;
        safely('pg-fast-path', () => { throw err; });
      }
      if (shape === undefined) return official.apply(this, args);
      const start = performance.now();
      const sh = shape;
      const cb = args[args.length - 1];
      if (typeof cb === 'function') {
        args[args.length - 1] = function (this: unknown, err: unknown) {
          safely('pg-fast-path', () => recorder.recordConnect(sh, start, performance.now(), err ? String((err as { code?: unknown } | null)?.code ?? 'Error') : null));
          // eslint-disable-next-line prefer-rest-params
          return (cb as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
        };
        return bare.apply(this, args);
      }
      const result = bare.apply(this, args) as Promise<unknown> | undefined;
      if (!result || typeof result.then !== 'function') return result;
      return result.then(
        (c) => { safely('pg-fast-path', () => recorder.recordConnect(sh, start, performance.now(), null)); return c; },
        (err: unknown) => { safely('pg-fast-path', () => recorder.recordConnect(sh, start, performance.now(), String((err as { code?: unknown } | null)?.code ?? 'Error'))); throw err; });
    };
    markFast(fast, official);
    proto['connect'] = fast;
  }

  private patch(exports: Record<string, unknown>): void {
    const Client = (exports['Client'] ?? (exports['default'] as Record<string, unknown> | undefined)?.['Client']) as { prototype: Record<string, unknown> } | undefined;
    const proto = Client?.prototype;
    const official = proto?.['query'] as ((...args: unknown[]) => unknown) | undefined;
    // Only on top of the official wrapper, and only once.
    const bare = officialOriginal(official);
    if (!proto || !official || !bare) return;
    const recorder = this.getConfig().recorder;
    const constancy = this.getConfig().constancy ?? null;
    const counter = this.counter;
    const sites = this.getConfig().sites ?? null;
    const sampler = this.getConfig().sampler ?? null;
    // Shape ids by statement class, per server (one connectionParameters object per client): one map lookup per
    // call instead of building the statement key.
    const shapes = new WeakMap<object, Map<string, number>>();
    const shapeOf = (client: ClientLike, text: string): number | undefined => {
      const p = client.connectionParameters;
      if (!p) return recorder.shapeFor(statementKey(text, undefined, undefined, undefined));
      let m = shapes.get(p);
      if (!m) shapes.set(p, (m = new Map()));
      let shape = m.get(text);
      if (shape === undefined) {
        shape = recorder.shapeFor(statementKey(text, p.host, p.port, p.database));
        if (shape !== undefined) m.set(text, shape);
      }
      return shape;
    };
    // The hot path: no closure per call; anything unexpected takes the official path (errors are counted, never thrown).
    const fast = function (this: ClientLike, ...args: unknown[]): unknown {
      let shape: number | undefined;
      let parent: string | null = null;
      try {
        const q = args[0] as { text?: unknown; submit?: unknown; values?: unknown } | string | undefined;
        if (sampler !== null) sampler.notePgClient(this.connectionParameters);
        const last = args.length - 1;
        const text = typeof q === 'string' ? q : q && typeof q === 'object' && typeof q.submit !== 'function' && typeof q.text === 'string' ? q.text : undefined;
        // Counted and shaped by statement class: a text with its values inlined is new on every call, its class is not.
        // Promise and callback calls alike (pg.Pool's query and knex call back); Submittables (cursors, streams)
        // take the official path, their call sites still sampled here.
        const fp = text === undefined ? undefined : fingerprintSql(text, 'postgresql');
        if (text !== undefined && fp!.parsed) {
          if (counter.fast(fp!.text)) {
            shape = shapeOf(this, fp!.text);
            if (shape !== undefined) {
              const values = Array.isArray(args[1]) ? args[1] : q && typeof q === 'object' ? q.values : undefined;
              constancy?.observe('postgresql', text, values, fp);
              parent = trace.getSpan(context.active())?.spanContext().spanId ?? null;
            }
          }
        } else if (sites !== null && typeof args[last] === 'function') {
          const t = typeof q === 'string' ? q : q && typeof q === 'object' && typeof q.text === 'string' ? q.text : undefined;
          if (t !== undefined) sites.observe('db', 'postgresql', t);
        }
      } catch (err) {
        shape = undefined;
        safely('pg-fast-path', () => { throw err; });
      }
      if (shape === undefined) return official.apply(this, args);
      const start = performance.now();
      const cb = args[args.length - 1];
      if (typeof cb === 'function') {
        const sh = shape, par = parent;
        args[args.length - 1] = function (this: unknown, err: unknown, r: { rowCount?: number | null; rows?: unknown[] } | undefined) {
          // Caught inline, not through safely(): no closure per call.
          try {
            recorder.recordFast(sh, par, start, performance.now(),
              err ? null : typeof r?.rowCount === 'number' ? r.rowCount : Array.isArray(r?.rows) ? r.rows.length : null,
              err ? String((err as { code?: unknown } | null)?.code ?? '') : null);
          } catch (e) { swallowed('pg-fast-path', e); }
          // eslint-disable-next-line prefer-rest-params
          return (cb as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
        };
        return bare.apply(this, args);
      }
      const result = bare.apply(this, args) as Promise<{ rowCount?: number | null; rows?: unknown[] }> | undefined;
      if (!result || typeof result.then !== 'function') return result;
      const sh = shape, par = parent;
      // Like the official wrapper, return a derived promise that settles the same way (an unawaited
      // rejection stays unhandled, as without the probes).
      return result.then(
        (r) => {
          try { recorder.recordFast(sh, par, start, performance.now(), typeof r?.rowCount === 'number' ? r.rowCount : Array.isArray(r?.rows) ? r.rows.length : null, null); }
          catch (err) { safely('pg-fast-path', () => { throw err; }); }
          return r;
        },
        (e: unknown) => { safely('pg-fast-path', () => recorder.recordFast(sh, par, start, performance.now(), null, String((e as { code?: unknown } | null)?.code ?? ''))); throw e; });
    };
    markFast(fast, official);
    proto['query'] = fast;
  }
}
