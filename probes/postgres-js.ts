import type { Tracer } from '@opentelemetry/api';
import { startDbCall } from './db-call';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { safely } from './guard';
import { TRACER_NAME } from './names';
import type { CallSiteSampler } from './call-sites';
import type { SpanRecorder } from './span-recorder';
import type { ValueStats } from './value-stats';

/** Options of {@link PostgresJsInstrumentation}. */
export interface PostgresJsConfig extends InstrumentationConfig {
  /** Records each call as a compact database span. Required unless `forward` is set. */
  recorder: SpanRecorder | null;
  /** Spans go to the user's collector too: every call is a full OpenTelemetry span. Default false. */
  forward?: boolean;
  /** Told every call's text and values (hashed, never stored). Default none. */
  constancy?: ValueStats | null;
  /** Samples where the job issues each statement. Default none. */
  sites?: CallSiteSampler | null;
  /**
   * Sends one statement of each class with its values to the CLI, for EXPLAIN. The server is not known to a query
   * (postgres.js keeps its options in the closure of its `sql`): EXPLAIN connects with the CLI's own settings
   * (PG* variables or --pg-url). Default none.
   */
  sampler?: import('./param-sampler').ParamSampler | null;
}

const PATCHED = Symbol.for('batch-doctor.postgres-js.patched');
const STARTED = Symbol('batch-doctor.postgres-js.started');
/** The span name of a postgres.js statement (the `db` kind, like pg's and mysql2's). */
export const POSTGRES_JS_SPAN = 'postgres.query';

interface QueryLike {
  executed?: boolean;
  /** Set by postgres.js when the query is built: the statement text, `$n` placeholders for the values. */
  string?: unknown;
  strings?: unknown;
  parameters?: unknown;
  /** The stack postgres.js keeps of the call that created the query (its first 4 frames, per template). */
  readonly origin?: unknown;
  cursorFn?: unknown;
  forEachFn?: unknown;
  streaming?: unknown;
  resolve?: (x: unknown) => unknown;
  reject?: (x: unknown) => unknown;
  [STARTED]?: boolean;
}

type AnyFn = (...args: unknown[]) => unknown;

/** Rows a postgres.js result stands for: `count` (rows returned or affected) when the server said, else its length. */
function rowsOf(r: unknown): number | null {
  const c = (r as { count?: unknown } | null)?.count;
  if (typeof c === 'number') return c;
  return Array.isArray(r) ? r.length : null;
}

/**
 * postgres.js (porsager's `postgres`, v3): one database span per statement, from the moment the query is handed to
 * a connection (`Query.prototype.handle`, which every await, `.then()` and `.execute()` goes through) to the moment
 * postgres.js settles it. Its text is the one postgres.js sends (`$n` placeholders, fragments and helpers
 * expanded), read once the query is built, fingerprinted in the recorder like pg's. No OpenTelemetry span is
 * created per call unless spans are forwarded to the user's collector: each call is written as one compact record
 * of its statement class, the cost of the pg fast path. Cursors (`.cursor()`) and `.forEach()` are not timed:
 * between their batches the job's own code runs, and that time is not the database's. Observes only: the query,
 * its promise and its result are postgres.js's own.
 */
export class PostgresJsInstrumentation extends InstrumentationBase<PostgresJsConfig> {
  constructor(config: PostgresJsConfig) {
    super(TRACER_NAME + '-postgres-js', '0.1.0', config);
  }

  protected init() {
    // Not named `exports`: in the compiled module that name is the module's own (its POSTGRES_JS_SPAN).
    const patch = (mod: unknown) => { this.patchQueryModule(mod); return mod; };
    return [new InstrumentationNodeModuleDefinition('postgres', ['>=3 <4'], (e: unknown) => e, undefined,
      [new InstrumentationNodeModuleFile('postgres/cjs/src/query.js', ['>=3 <4'], patch, (e: unknown) => e)])];
  }

  /** Patches the `Query` class of a postgres.js `query.js` module (its CommonJS or its ES module build). Never throws. */
  patchQueryModule(mod: unknown): void {
    safely('postgres-js', () => this.patch(mod));
  }

  private patch(mod: unknown): void {
    const Query = (mod as { Query?: { prototype?: Record<string | symbol, unknown> } }).Query;
    const proto = Query?.prototype;
    const handle = proto?.['handle'];
    if (!proto || typeof handle !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const { recorder, forward = false, constancy = null, sites = null, sampler = null } = this.getConfig();
    const tracer: Tracer = this.tracer;
    proto['handle'] = function (this: QueryLike, ...args: unknown[]) {
      if (!this.executed && this[STARTED] !== true && this.cursorFn === undefined && this.forEachFn === undefined && this.streaming === undefined) {
        safely('postgres-js', () => {
          this[STARTED] = true;
          const call = startDbCall(tracer, recorder, forward, POSTGRES_JS_SPAN, { 'db.system.name': 'postgresql' });
          const settle = (ok: boolean, x: unknown) => safely('postgres-js', () => {
            const text = typeof this.string === 'string' ? this.string : undefined;
            call.end({ 'db.system.name': 'postgresql', 'db.query.text': text }, ok ? rowsOf(x) : null,
              ok ? null : String((x as { code?: unknown } | null)?.code ?? (x as Error | null)?.name ?? 'Error'));
            if (text !== undefined) {
              if (ok && sampler && Array.isArray(this.parameters)) sampler.samplePg({ query: { text, values: this.parameters } });
              constancy?.observe('postgresql', text, Array.isArray(this.parameters) ? this.parameters : undefined);
              // The job's frame is in the stack postgres.js keeps of the call that made the query (its \`origin\`):
              // the statement is sent later, from a promise job, off the job's stack.
              sites?.observe('db', 'postgresql', text, () => { const o = this.origin; return typeof o === 'string' ? o : undefined; });
            }
          });
          const resolve = this.resolve, reject = this.reject;
          if (typeof resolve !== 'function' || typeof reject !== 'function') return;
          this.resolve = (x: unknown) => { settle(true, x); return resolve(x); };
          this.reject = (x: unknown) => { settle(false, x); return reject(x); };
        });
      }
      return (handle as AnyFn).apply(this, args);
    };
  }
}

/**
 * postgres.js imported as an ES module (its `src/` build, which require hooks never see). The package's
 * `src/query.js` is found the way Node would find the package from `fromDir` (the nearest `node_modules/postgres`
 * up the tree) and imported by its file URL: Node keeps one instance per URL, so it is the very module the
 * package's index imports, and its `Query` class is patched before the job's first statement (the probes' import
 * starts before the job's module graph loads). A few `stat` calls when postgres.js is not installed; nothing else.
 */
export function patchPostgresJsEsm(fromDir: string, inst: PostgresJsInstrumentation): void {
  for (let dir = path.resolve(fromDir); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'node_modules', 'postgres');
    const file = path.join(pkg, 'src', 'query.js');
    if (fs.existsSync(file)) {
      const version = (JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version?: string }).version ?? '';
      if (!/^3\./.test(version)) return;
      const importer = loadEsmImporter();
      if (importer) importer(pathToFileURL(file).href).then((m: unknown) => inst.patchQueryModule(m), () => undefined);
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}

/**
 * The unbundled `importEsm` of esm-import.ts (next to this file when unbundled, one directory up from the bundle),
 * loaded through Node's `require` so that its `import()` is compiled by Node, not by the bundle's `vm.Script`.
 */
function loadEsmImporter(): ((url: string) => Promise<unknown>) | null {
  for (const dir of [__dirname, path.dirname(__dirname)]) {
    const file = path.join(dir, 'esm-import.js');
    if (fs.existsSync(file)) return (require(file) as typeof import('./esm-import')).importEsm;
  }
  return null;
}
