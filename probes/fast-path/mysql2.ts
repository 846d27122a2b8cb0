import { context, trace } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { performance } from 'node:perf_hooks';
import { safely, swallowed } from '../guard';
import { TRACER_NAME } from '../names';
import { fingerprintSql } from '../sql-fingerprint';
import { statementKey, type SpanRecorder } from '../span-recorder';
import { markFast, officialOriginal, StatementCounter } from './counter';
import type { CallSiteSampler } from '../call-sites';

/** Options of {@link Mysql2FastPath}. */
export interface Mysql2FastPathConfig extends InstrumentationConfig {
  recorder: SpanRecorder;
  /** Samples the stacks of a bounded number of calls per statement (where the job issues it). Default none. */
  sites?: CallSiteSampler | null;
  /** Receives the first call of each statement class with its values, for EXPLAIN after the run. Default none. */
  sampler?: import('../param-sampler').ParamSampler | null;
  /** Told every call with its values (never stored beyond the first call's). Default none. */
  constancy?: import('../value-stats').ValueStats | null;
}

/** Statement texts whose shape is cached per connection config (a bound on memory; others are looked up each call). */
const MAX_CACHED_TEXTS = 5000;

interface ConnectionLike { config?: { host?: string; port?: number; database?: string; user?: string } }

/**
 * The fast path for repeated mysql2 statements, the counterpart of fast-path/pg.ts: after a statement text
 * has produced FULL_SPANS_PER_STATEMENT (5) full spans through `@opentelemetry/instrumentation-mysql2`, its further callback-style
 * calls of `query` and `execute` (what `mysql2/promise` makes) skip the OTel wrapper and are timed here, into
 * the same compact trace line. Calls without a callback
 * (streaming queries) always take the official path. Registered after MySQL2Instrumentation, on the same
 * files, so its hook runs after the official patch.
 */
export class Mysql2FastPath extends InstrumentationBase<Mysql2FastPathConfig> {
  private readonly counter: StatementCounter;

  constructor(config: Mysql2FastPathConfig) {
    super(TRACER_NAME + '-mysql2-fast-path', '0.1.0', config);
    const sites = config.sites ?? null;
    this.counter = new StatementCounter(sites ? (text, n) => sites.sampled('db', 'mysql', text, n) : null);
    sites?.addCounter('db', 'mysql', () => this.counter.counts());
  }

  protected init() {
    const versions = ['>=1.4.2 <4'];
    const onFile = (exports: Record<string, unknown>) => { safely('mysql2-fast-path', () => this.patchConnection(exports)); return exports; };
    return [new InstrumentationNodeModuleDefinition('mysql2', versions, (e: unknown) => e, () => undefined,
      [new InstrumentationNodeModuleFile('mysql2/lib/connection.js', versions, onFile, () => undefined)])];
  }

  private patchConnection(exports: unknown): void {
    const proto = (exports as { prototype?: Record<string, unknown> } | undefined)?.prototype;
    if (!proto) return;
    // mysql2 >= 3.11.5 moved query/execute to a base class (as the official instrumentation knows too).
    const base = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
    const target = base && typeof base['query'] === 'function' && typeof base['execute'] === 'function' ? base : proto;
    for (const method of ['query', 'execute']) this.patchMethod(target, method);
  }

  private patchMethod(target: Record<string, unknown>, method: string): void {
    const official = target[method] as ((...args: unknown[]) => unknown) | undefined;
    const bare = officialOriginal(official);
    if (!official || !bare) return;
    const recorder = this.getConfig().recorder;
    const sampler = this.getConfig().sampler ?? null;
    const constancy = this.getConfig().constancy ?? null;
    const counter = this.counter;
    // Shape ids by statement text, per connection config (one object per pool or connection): a map lookup per
    // call instead of fingerprinting the statement and building its key every time.
    const shapes = new WeakMap<object, Map<string, number>>();
    const lookup = (cfg: ConnectionLike['config'], text: string) =>
      recorder.shapeFor(statementKey(fingerprintSql(text, 'mysql').text, cfg?.host, cfg?.port, cfg?.database));
    const shapeOf = (cfg: ConnectionLike['config'], text: string): number | undefined => {
      if (!cfg) return lookup(cfg, text);
      let m = shapes.get(cfg);
      if (!m) shapes.set(cfg, (m = new Map()));
      let shape = m.get(text);
      if (shape === undefined) {
        shape = lookup(cfg, text);
        if (shape !== undefined && m.size < MAX_CACHED_TEXTS) m.set(text, shape);
      }
      return shape;
    };
    const fast = function (this: ConnectionLike, ...args: unknown[]): unknown {
      const cbIndex = args.length === 2 && typeof args[1] === 'function' ? 1 : args.length === 3 && typeof args[2] === 'function' ? 2 : -1;
      // The hot path catches inline: no closure, plan object or argument array per call beyond `args`.
      let shape: number | undefined;
      let parent: string | null = null;
      if (cbIndex >= 0) {
        try {
          const q = args[0] as { sql?: unknown } | string | undefined;
          const text = typeof q === 'string' ? q : q && typeof q === 'object' && typeof q.sql === 'string' ? q.sql : undefined;
          // Counted by statement class: a text with its values inlined is new on every call, its class is not.
          if (text !== undefined) {
            const fp = fingerprintSql(text, 'mysql');
            if (sampler || constancy) {
              const values = cbIndex === 2 ? args[1] : q && typeof q === 'object' ? (q as { values?: unknown }).values : undefined;
              sampler?.sampleMysql(text, values, this.config);
              constancy?.observe('mysql', text, values, fp);
            }
            // The official instrumentation records the masked statement: our fingerprint of the formatted text,
            // which is the fingerprint of the text with its placeholders.
            if (fp.parsed && counter.fast(fp.text)) {
              shape = shapeOf(this.config, text);
              if (shape !== undefined) parent = trace.getSpan(context.active())?.spanContext().spanId ?? null;
            }
          }
        } catch (err) {
          shape = undefined;
          swallowed('mysql2-fast-path', err);
        }
      }
      if (shape === undefined) return official.apply(this, args);
      const start = performance.now();
      const cb = args[cbIndex] as (...a: unknown[]) => unknown;
      const sh = shape, par = parent;
      // No named parameters: the wrapper keeps the length (0) of the rest-parameter wrapper it replaces.
      args[cbIndex] = function (this: unknown) {
        // eslint-disable-next-line prefer-rest-params
        const err: unknown = arguments[0], results: unknown = arguments[1];
        try {
          const rows = err ? null : Array.isArray(results) ? results.length : typeof (results as { affectedRows?: unknown })?.affectedRows === 'number' ? (results as { affectedRows: number }).affectedRows : null;
          recorder.recordFast(sh, par, start, performance.now(), rows, err ? String((err as { code?: unknown }).code ?? '') : null);
        } catch (e) { swallowed('mysql2-fast-path', e); }
        // eslint-disable-next-line prefer-rest-params
        return cb.apply(this, arguments as unknown as unknown[]);
      };
      return bare.apply(this, args);
    };
    markFast(fast, official);
    target[method] = fast;
  }
}
