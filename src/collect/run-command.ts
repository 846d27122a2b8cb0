import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SpawnError } from '../errors';

/** Signals forwarded to the profiled command, so that it sees what the profiler was sent. */
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Options of {@link runWithProbes}. */
export interface RunOptions {
  command: string[];
  /** Directory the probes write trace files into. */
  traceDir: string;
  runId: string;
  /** Environment of the command before injection. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Keep query literals and remote paths (opt-in). Default false. */
  keepLiterals?: boolean;
  /** Let call sites be frames inside node_modules. Default false. */
  callSitesInDeps?: boolean;
  /** In-process CPU profile. Default true. */
  cpuProfile?: boolean;
  /** CPU sampling interval, µs. Default: the probes' default (10000). */
  cpuSampleUs?: number;
  /** Send the command's stdout to our stderr (the gate keeps its own stdout for its result). Default false. */
  stdoutToStderr?: boolean;
  /** Local socket that receives statement samples for EXPLAIN (see collect/statement-samples.ts). Default none. */
  paramSocket?: string;
}

/** How the command ended, and when it ran. */
export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  startedAt: number;
  endedAt: number;
}

/** Absolute path of the probes' bundled register module (dist/probes/bundle/register.js). */
export function registerModulePath(): string {
  return path.resolve(__dirname, '..', '..', 'probes', 'bundle', 'register.js');
}

/** NODE_OPTIONS with the probes preloaded, keeping whatever the user had. */
export function injectNodeOptions(existing: string | undefined): string {
  const req = `--require ${JSON.stringify(registerModulePath())}`;
  return existing && existing.trim() ? `${existing.trim()} ${req}` : req;
}

/**
 * Runs the command with the probes injected into it and into every Node
 * process it starts (NODE_OPTIONS is inherited). stdin, stdout and stderr are
 * the profiler's own, signals are forwarded, and the exit code or signal is
 * returned unchanged.
 */
export function runWithProbes(o: RunOptions): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {
    ...o.env,
    NODE_OPTIONS: injectNodeOptions(o.env['NODE_OPTIONS']),
    BATCH_DOCTOR_TRACE_DIR: o.traceDir,
    BATCH_DOCTOR_RUN_ID: o.runId,
  };
  if (o.keepLiterals) env['BATCH_DOCTOR_KEEP_LITERALS'] = '1';
  if (o.callSitesInDeps) env['BATCH_DOCTOR_SITES_IN_DEPS'] = '1';
  if (o.cpuProfile === false) env['BATCH_DOCTOR_CPU_PROFILE'] = '0';
  if (o.cpuSampleUs) env['BATCH_DOCTOR_CPU_SAMPLE_US'] = String(o.cpuSampleUs);
  if (o.paramSocket) env['BATCH_DOCTOR_PARAM_SOCKET'] = o.paramSocket;
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = o.command;
    const startedAt = performanceNow();
    const child = spawn(cmd!, args, { stdio: o.stdoutToStderr ? ['inherit', 2, 'inherit'] : 'inherit', env, cwd: o.cwd });
    const forward = (sig: NodeJS.Signals) => { try { child.kill(sig); } catch { /* already gone */ } };
    for (const s of FORWARDED_SIGNALS) process.on(s, forward);
    const cleanup = () => { for (const s of FORWARDED_SIGNALS) process.off(s, forward); };
    child.once('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(new SpawnError(cmd!, err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve({ exitCode: code, signal, startedAt, endedAt: performanceNow() });
    });
  });
}

/** Epoch ms with sub-ms precision (same clock base as the probes' timestamps). */
function performanceNow(): number {
  return performance.timeOrigin + performance.now();
}
