import * as path from 'node:path';
import { ENV } from './names';

/** Default CPU profile sampling interval, µs: 10 ms keeps the profiler's cost near 1% while naming hot functions in a batch job. */
export const DEFAULT_CPU_SAMPLE_US = 10_000;

/**
 * How the job reaches ESM: `'loader'` with an `--import`/`--loader` flag (an ESM setup of its own, whose loaders
 * may load CommonJS files themselves: import-in-the-middle's loader hook is needed to see them); `'main'` when
 * the main module is ESM (`.mjs`/`.mts`, or `.js`/`.ts`/no extension under a package.json with
 * "type": "module"), and in every worker thread (which has no main script to tell by); false otherwise.
 * BATCH_DOCTOR_ESM=1 forces `'loader'`, 0 forces false.
 */
export type EsmRoute = 'loader' | 'main' | false;

/** Everything the probes decide from their environment before they start. */
export interface ProbeConfig {
  /** Turned off (BATCH_DOCTOR_DISABLED=1): nothing starts. */
  disabled: boolean;
  /** Where trace files go (BATCH_DOCTOR_TRACE_DIR); null: none written (forwarding only, or off). */
  traceDir: string | null;
  /** Spans go to the user's collector too (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, unless BATCH_DOCTOR_NO_FORWARD=1). */
  forward: boolean;
  /** Query literals and remote paths kept (BATCH_DOCTOR_KEEP_LITERALS=1). Default false. */
  keepLiterals: boolean;
  /** Repeated statements skip the OpenTelemetry wrapper (off with BATCH_DOCTOR_FAST_PATH=0, and when forwarding). */
  fastPath: boolean;
  /** Call-site stacks sampled (off with BATCH_DOCTOR_CALL_SITES=0). */
  callSites: boolean;
  /** Call sites may be frames inside node_modules (BATCH_DOCTOR_SITES_IN_DEPS=1). Default false. */
  sitesInDeps: boolean;
  /** The V8 CPU profile is on (off with BATCH_DOCTOR_CPU_PROFILE=0) and there is a trace directory to write it to. */
  cpuProfile: boolean;
  /** CPU profile sampling interval, µs (BATCH_DOCTOR_CPU_SAMPLE_US). Default {@link DEFAULT_CPU_SAMPLE_US}. */
  cpuSampleUs: number;
  /** The socket safety net is on (off with BATCH_DOCTOR_NET_WATCH=0). */
  netWatch: boolean;
  /** Memory is sampled (off with BATCH_DOCTOR_MEMORY=0). Default on. */
  memory: boolean;
  /** The CLI's local socket for statement samples (BATCH_DOCTOR_PARAM_SOCKET); null: none sent. */
  paramSocket: string | null;
  /** See {@link EsmRoute}. */
  esm: EsmRoute;
}

/** What the configuration is read from besides the environment (the process's, by default). */
export interface ConfigSources {
  execArgv: readonly string[];
  /** The main script as given (`process.argv[1]`); undefined in a worker thread. */
  mainScript: string | undefined;
  /** A worker thread's id; 0 in a process's main thread. */
  threadId: number;
  /** Whether a path is a directory (false when it does not exist). */
  isDirectory(file: string): boolean;
  /** A file's text, or null when it cannot be read. */
  readText(file: string): string | null;
}

/** The ESM route of a job, from its flags and its main script (see {@link EsmRoute}). Pure given `src`. */
export function esmRouteOf(env: NodeJS.ProcessEnv, src: ConfigSources): EsmRoute {
  // A worker thread: the bridge only (the loader hook, if any, was registered by the main thread).
  if (src.threadId) return 'main';
  const forced = env['BATCH_DOCTOR_ESM'];
  if (forced === '1') return 'loader';
  if (forced === '0') return false;
  const flags = `${src.execArgv.join(' ')} ${env['NODE_OPTIONS'] ?? ''}`;
  if (/--(import|loader|experimental-loader)\b/.test(flags)) return 'loader';
  const main = src.mainScript;
  if (!main) return false;
  const file = path.resolve(main);
  if (/\.(mjs|mts)$/.test(file)) return 'main';
  if (/\.(cjs|cts)$/.test(file)) return false;
  if (src.isDirectory(file)) return false;
  // The nearest package.json decides, as Node does.
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const text = src.readText(path.join(dir, 'package.json'));
    if (text !== null) {
      try { return (JSON.parse(text) as { type?: string }).type === 'module' ? 'main' : false; } catch { return false; }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** The probes' configuration from their environment. Pure given `env` and `src`; never throws. */
export function probeConfigFromEnv(env: NodeJS.ProcessEnv, src: ConfigSources): ProbeConfig {
  const traceDir = env[ENV.traceDir] || null;
  const forward = !!(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']) && env['BATCH_DOCTOR_NO_FORWARD'] !== '1';
  const us = Number(env[ENV.cpuSampleIntervalUs]);
  return {
    disabled: env[ENV.disabled] === '1',
    traceDir,
    forward,
    keepLiterals: env[ENV.keepLiterals] === '1',
    fastPath: !forward && env[ENV.fastPath] !== '0',
    callSites: env[ENV.callSites] !== '0',
    sitesInDeps: env[ENV.sitesInDeps] === '1',
    cpuProfile: env[ENV.cpuProfile] !== '0' && traceDir !== null,
    cpuSampleUs: Number.isFinite(us) && us > 0 ? us : DEFAULT_CPU_SAMPLE_US,
    netWatch: env[ENV.netWatch] !== '0',
    memory: env[ENV.memory] !== '0',
    paramSocket: env[ENV.paramSocket] || null,
    esm: esmRouteOf(env, src),
  };
}

/** The configuration sources of this process (reads the file system lazily, only for the ESM route). */
export function processSources(threadId: number): ConfigSources {
  const fs = require('node:fs') as typeof import('node:fs');
  return {
    execArgv: process.execArgv,
    mainScript: threadId ? undefined : process.argv[1],
    threadId,
    isDirectory: (f) => { try { return fs.statSync(f).isDirectory(); } catch { return false; } },
    readText: (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return null; } },
  };
}
