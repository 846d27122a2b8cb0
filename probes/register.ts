/**
 * The probes' entry point, loaded into the profiled process with
 * `node --require <this file>` (CommonJS and ESM pipelines alike; it also
 * registers the ESM loader hook) or `node --import <this file>`.
 * `batch-doctor profile` sets NODE_OPTIONS so every Node process of the
 * command loads it.
 *
 * Promises to the host: it never throws, never changes the exit code, output
 * or signal handling, keeps no timer alive, and caps its final flush.
 */
import { diag } from '@opentelemetry/api';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODE_CACHE_KEY, ENV, FORWARD_EXPORT_TIMEOUT_MS, FORWARD_FLUSH_TIMEOUT_MS, HUB_KEY, TRACE_FORMAT, TRACE_FORMAT_VERSION, TRACER_NAME } from './names';
import { safely } from './guard';
import { setHub } from './hub';
import { markEsmLoaderHook } from './esm-loader-hook';
import type { HeaderRecord } from './trace-records';

export { FORWARD_FLUSH_TIMEOUT_MS };

/** performance.now() without loading perf_hooks before it is needed (it is a global in Node 16+). */
const performanceNow = (): number => (globalThis as { performance?: { now(): number } }).performance?.now() ?? Date.now();

/**
 * Which thread the probes were preloaded into. Node runs `--require` preloads in every thread: the main thread,
 * the job's worker threads, and Node's own internal threads (the ESM loader's hooks thread). The main thread is
 * told without loading `node:worker_threads` (~4 ms of start-up): Node gives every other thread a `process.chdir`
 * that throws, marked `disabled`. A job's worker always has a `parentPort`; an internal thread has none (and on
 * Node 22.14+ says `isInternalThread`). Returns the worker's `threadId` for a job's worker.
 */
function threadKind(): { kind: 'main' } | { kind: 'worker'; threadId: number } | { kind: 'internal' } {
  const chdir = process.chdir as ((dir: string) => void) & { disabled?: boolean };
  if (typeof chdir === 'function' && chdir.disabled !== true && chdir.name !== 'unavailableInWorker') return { kind: 'main' };
  const wt = require('node:worker_threads') as typeof import('node:worker_threads') & { isInternalThread?: boolean };
  if (wt.isMainThread) return { kind: 'main' };
  if (wt.isInternalThread === true || wt.parentPort === null) return { kind: 'internal' };
  return { kind: 'worker', threadId: wt.threadId };
}

/** V8's heap limit and the young generation's capacity (new_space, both semi-spaces), bytes: read once, at exit. */
function heapFigures(): { heapLimit: number; youngGenBytes?: number } {
  const v8 = require('node:v8') as typeof import('node:v8');
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return { heapLimit: v8.getHeapStatistics().heap_size_limit, ...(young ? { youngGenBytes: young.space_size } : {}) };
}

function start(): void {
  const initStart = performanceNow();
  const g = globalThis as Record<symbol, unknown>;
  if (g[HUB_KEY] || process.env[ENV.disabled] === '1') return; // before anything is loaded
  // Node runs --require preloads in its own internal threads too (the ESM loader's hooks thread): those are not
  // the job's. A worker thread of the job is profiled like a process, in a trace file of its own.
  const thread = threadKind();
  if (thread.kind === 'internal') return;
  const threadId = thread.kind === 'worker' ? thread.threadId : 0;
  const { probeConfigFromEnv, processSources } = require('./probe-config') as typeof import('./probe-config');
  const cfg = probeConfigFromEnv(process.env, processSources(threadId));
  const { traceDir, forward, keepLiterals, esm } = cfg;
  if (!traceDir && !forward) return;
  // Without a trace directory (forwarding only) nothing is written anywhere, in particular not in the job's cwd.
  const { TraceWriter } = require('./trace-writer') as typeof import('./trace-writer');
  const writer = new TraceWriter(traceDir, process.pid, threadId);
  // A trace directory that cannot be written (missing, read-only, full) and nothing to forward to: whatever
  // the probes recorded would go nowhere, so they stand aside (no ESM hook, no instrumentation, no CPU profile)
  // and the job runs as it would bare.
  if (!writer.active && !forward) return;

  // ESM pipelines. An ESM main without loaders of its own (and every worker thread): the CommonJS packages it
  // imports are loaded through Module._load, which the bridge routes through require-in-the-middle
  // (esm-cjs-bridge.ts). With the job's own loaders: import-in-the-middle's loader hook, which runs in a loader
  // thread (65-75 ms of start-up).
  const { INSTRUMENTED_MODULES } = require('./instrumentations') as typeof import('./instrumentations');
  if (esm === 'main') {
    safely('esm-bridge', () => (require('./esm-cjs-bridge') as typeof import('./esm-cjs-bridge')).installEsmCjsBridge(INSTRUMENTED_MODULES));
  }
  if (esm === 'loader') {
    safely('esm-hook', () => {
      const mod = require('node:module') as typeof import('node:module');
      if (typeof mod.register !== 'function') return;
      // Only the modules we instrument are wrapped: hooking every ESM module would cost start-up time.
      mod.register(pathToFileURL(require.resolve('@opentelemetry/instrumentation/hook.mjs')).href, pathToFileURL(__filename),
        { data: { include: INSTRUMENTED_MODULES } });
      markEsmLoaderHook();
    });
  }

  const internalErrors: Record<string, number> = {};
  const records: Record<string, number> = {};
  const hub: import('./hub').ProbeHub = {
    addRecords: (stage, n) => { records[stage] = (records[stage] ?? 0) + n; },
    internalError: (c) => { internalErrors[c] = (internalErrors[c] ?? 0) + 1; },
  };

  /* eslint-disable @typescript-eslint/no-require-imports */
  const { SpanRecorder } = require('./span-recorder') as typeof import('./span-recorder');
  const { ValueStats } = require('./value-stats') as typeof import('./value-stats');
  const { RuntimeMonitor } = require('./runtime') as typeof import('./runtime');

  setHub(hub);
  const startedAt = Date.now();
  const { performance } = require('node:perf_hooks') as typeof import('node:perf_hooks');
  writer.write({
    type: 'header', format: TRACE_FORMAT, version: TRACE_FORMAT_VERSION, pid: process.pid, ppid: threadId ? process.pid : process.ppid,
    ...(threadId ? { threadId } : {}),
    runId: process.env[ENV.runId] ?? null, nodeVersion: process.version, platform: `${process.platform}-${process.arch}`,
    script: threadId ? `worker thread ${threadId}` : process.argv[1] ? path.basename(process.argv[1]) : null, startedAt, processStartedAt: performance.timeOrigin, keepLiterals,
    ...(g[CODE_CACHE_KEY] ? { codeCache: g[CODE_CACHE_KEY] as HeaderRecord['codeCache'] } : {}),
  });
  writer.flush();

  const recorder = new SpanRecorder(writer, keepLiterals);
  // Where the job issues its statements and transfers: a bounded sample of stacks per statement (call-sites.ts).
  const { CallSiteSampler } = require('./call-sites') as typeof import('./call-sites');
  const sites = cfg.callSites ? new CallSiteSampler(process.cwd(), undefined, cfg.sitesInDeps) : null;
  const constancy = new ValueStats();
  const spanProcessors: import('@opentelemetry/sdk-trace-base').SpanProcessor[] = [recorder];
  let forwarder: import('./forward').Forwarder | undefined;
  const forwardFailures = { n: 0 };
  if (forward) {
    safely('forwarder', () => {
      const { createForwarder } = require('./forward') as typeof import('./forward');
      forwarder = createForwarder(keepLiterals, FORWARD_FLUSH_TIMEOUT_MS, forwardFailures);
      spanProcessors.push(forwarder.processor);
    });
  }

  /** Time spent building the instrumentations, ms: in start() or, in a CommonJS job, on its first require of a client. */
  let instrumentMs = 0;
  const sdk = safely('sdk', () => {
    const sampler = cfg.paramSocket ? new (require('./param-sampler') as typeof import('./param-sampler')).ParamSampler(cfg.paramSocket) : null;
    const build = () => (require('./instrumentations') as typeof import('./instrumentations')).buildInstrumentations(cfg, { recorder, constancy, sites, sampler });
    if (forward) {
      const instrumentations = build();
      // Forwarding to the user's collector: the full NodeSDK, configured from the standard OTEL_* variables.
      const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
      const s = new NodeSDK({ serviceName: process.env['OTEL_SERVICE_NAME'] ?? 'batch-job', spanProcessors, instrumentations });
      s.start();
      hub.tracer = (require('@opentelemetry/api') as typeof import('@opentelemetry/api')).trace.getTracer(TRACER_NAME);
      return s;
    }
    // Local trace file only: not the NodeSDK facade, which would load every exporter (gRPC, Zipkin, Prometheus)
    // and cost ~0.4 s of start-up in each profiled process, nor the SDK's BasicTracerProvider (6-7.5 ms to load,
    // for a resource, samplers and id generators the trace file does not use): a tracer that hands each span to
    // the recorder (local-tracer.ts).
    const { LocalTracerProvider } = require('./local-tracer') as typeof import('./local-tracer');
    const provider = new LocalTracerProvider(spanProcessors);
    // The tracer provider is handed to our instrumentations directly, so the job's own SDK, if it starts one,
    // still gets the global provider and its telemetry is unchanged. No context manager is installed up front:
    // on Node 20 AsyncLocalStorage runs async_hooks on every promise and I/O callback (~8 µs per database call
    // in a tight loop), and nothing the analysis reads needs span parents (it attributes by time). The first
    // stage() call installs one, for recordCount() to find its stage; a job with its own SDK has its own.
    hub.enableContext = () => {
      hub.enableContext = undefined;
      safely('context', () => {
        const { context: otelContext } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
        const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
        otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      });
    };
    hub.tracer = provider.getTracer(TRACER_NAME);
    const { onFirstRequireOf, routeUnhookedPast } = require('./first-require') as typeof import('./first-require');
    const instrument = () => {
      const t = performanceNow();
      const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
      const proto = (require('node:module') as { prototype: { require: (id: string) => unknown } }).prototype;
      const below = proto.require;
      registerInstrumentations({ instrumentations: build(), tracerProvider: provider });
      // require-in-the-middle's hook sees every require; only those that can load a client go through it now.
      safely('require-route', () => routeUnhookedPast(proto.require, below, INSTRUMENTED_MODULES));
      instrumentMs += performanceNow() - t;
    };
    // A CommonJS job: the instrumentations are built when it first requires a client they instrument (4-9 ms that a
    // process without one does not pay: first-require.ts). An ES module job (and a worker thread) imports through
    // hooks that must be in place from the start: built now.
    if (cfg.esm !== false || !onFirstRequireOf(INSTRUMENTED_MODULES, instrument)) instrument();
    return provider;
  });
  if (!sdk) diag.debug('batch-doctor probe: SDK did not start');

  const runtime = new RuntimeMonitor(writer, cfg.cpuProfile, cfg.cpuSampleUs, cfg.memory);
  runtime.start();

  // Forwarding is asynchronous: flush once when the loop drains (beforeExit). The export has its own timeout
  // (FORWARD_EXPORT_TIMEOUT_MS); past it the exporter's sockets are destroyed, so a collector that accepts and
  // never answers cannot hold the exit longer. The timer is unref'd: it only fires while the export holds the loop.
  let forwardFlushed = false;
  process.on('beforeExit', () => {
    if (forwardFlushed || !forwarder) return;
    forwardFlushed = true;
    safely('forwarder', () => {
      const f = forwarder!;
      const t = setTimeout(() => f.abort(), FORWARD_EXPORT_TIMEOUT_MS);
      t.unref();
      f.processor.forceFlush().catch(() => undefined).finally(() => { clearTimeout(t); f.abort(); });
    });
  });

  // The safety net: the job's TCP connections through clients the probes do not instrument, by endpoint.
  const netWatch = !cfg.netWatch ? null : new (require('./net-watch') as typeof import('./net-watch')).NetWatch(__dirname);
  if (netWatch) safely('net-watch', () => netWatch.start());
  const { WorkerCounter, uninstrumentedIn } = require('./coverage') as typeof import('./coverage');
  const workers = new WorkerCounter();
  safely('coverage', () => workers.start());
  // Building the instrumentations is added at exit, whether it happened here or later, on the job's first require of a
  // client: both count as start-up.
  const initMs = performanceNow() - initStart - instrumentMs;
  process.on('exit', (code) => {
    safely('exit', () => {
      const exitStart = performanceNow();
      const rt = runtime.stop();
      const valueStats = safely('value-stats', () => constancy.summary()) ?? [];
      const callSites = (sites && safely('call-sites', () => sites.summary())) ?? [];
      const exitMs = performanceNow() - exitStart;
      const mem = process.memoryUsage();
      writer.write({
        type: 'footer', endedAt: Date.now(), exitCode: typeof code === 'number' ? code : null,
        spansRecorded: recorder.recorded, spansDropped: recorder.dropped + writer.dropped, forwardFailures: forwardFailures.n,
        ...rt, records, memory: { heapUsed: mem.heapUsed, maxRss: process.resourceUsage().maxRSS * 1024, ...(safely('memory', () => heapFigures()) ?? {}) }, internalErrors,
        // In a worker thread process.cpuUsage() is the whole process's: the thread's own is read where Node has it (22.16+, 24).
        cpuMs: (() => {
          const tu = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
          if (threadId && typeof tu !== 'function') return null;
          const u = threadId ? tu!.call(process) : process.cpuUsage();
          return Math.round((u.user + u.system) / 1000);
        })(),
        valueStats,
        callSites,
        probeCost: { initMs: Math.round((initMs + instrumentMs) * 10) / 10, exitMs: Math.round(exitMs * 10) / 10, officialDbCalls: recorder.officialDbCalls, fastDbCalls: recorder.fastCalls, bufferBytes: writer.peakBufferBytes },
        coverage: safely('coverage', () => ({ uninstrumented: uninstrumentedIn(Object.keys(require.cache)), workerThreads: workers.count })) ?? undefined,
        network: (netWatch && safely('net-watch', () => netWatch.summary())) ?? undefined,
      });
      writer.close();
    });
  });
}

safely('register', start);
