import { loadPgParser } from '../../db/pg-parser';
import { annotateCallSites } from '../../collect/source-sites';
import { watchServerDigests, watchSlowLog, type ServerWindow } from '../../db/server-window';
import type { ServerDigest } from '../../analysis/server-view';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../analysis/analyze';
import { modelFromStore, readTraceDir, readTraceFiles } from '../../collect/read-trace';
import { SpanStore, type SpanSink } from '../../collect/span-store';
import { redactCommandLine } from '../../../probes/sanitize';
import { runWithProbes } from '../../collect/run-command';
import { startSampleReceiver, type SampleReceiver } from '../../collect/statement-samples';
import { explainRunClasses } from '../../db/explain-run';
import { groupQueries } from '../../analysis/query-digest';
import type { ExplainResult } from '../../model/db';
import { writeFileAtomic } from '../../collect/write-file';
import { BatchDoctorError, describeFtpFailure, TraceMissingError, UsageError, WriteError } from '../../errors';
import type { ProcessTrace, TraceModel } from '../../model/trace';
import type { OtlpResult } from '../../collect/otlp';
import { runFtpBench } from '../../ftp/bench';
import { openSession } from '../../ftp/session';
import { parseFtpUrl } from '../../ftp/target';
import type { FtpBenchReport } from '../../model/ftp-bench';
import { resolveFtpPassword } from './ftp-bench';
import { toolVersion } from '../../version';
import { startOtlpReceiver, type OtlpReceiver } from '../../collect/otlp-receiver';
import { runClinic, type ClinicTool } from '../../collect/clinic';
import type { DeepDive } from '../../model/report';
import { DEFAULT_CONFIG_FILE, loadThresholdsConfig } from '../../config/thresholds-config';
import { getRenderer } from '../../../reports/registry';
import { commandHelp, parseOptions, PROFILE } from '../options';
import type { CliIO, CliResult } from '../io';

/** The workload of `profile --ftp-bench`: small enough to add seconds, not minutes, to a profile. */
const PROFILE_FTP_BENCH = {
  streams: [1, 2, 4, 8], directions: ['upload', 'download'] as ('upload' | 'download')[],
  smallFiles: { count: 40, size: 16 * 1024 }, largeFiles: { count: 4, size: 2 * 1024 * 1024 }, segmented: false,
};

/** Splits `[options] -- command...`; without `--`, the command starts at the first non-option word. */
export function splitCommand(args: string[]): { options: string[]; command: string[] } {
  const dd = args.indexOf('--');
  if (dd >= 0) return { options: args.slice(0, dd), command: args.slice(dd + 1) };
  const valued = new Set(PROFILE.options.filter((o) => o.type === 'string').flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += valued.has(args[i]!) ? 2 : 1;
  return { options: args.slice(0, i), command: args.slice(i) };
}

/** `batch-doctor profile [options] -- <command...>` */
/** What other commands (the gate) may ask of a profile run beyond its options. */
export interface ProfileInternals {
  /** Send the job's stdout to stderr. Default false. */
  jobStdoutToStderr?: boolean;
}

export async function profileCommand(args: string[], io: CliIO, internals: ProfileInternals = {}): Promise<CliResult> {
  const { options, command } = splitCommand(args);
  const { values } = parseOptions(PROFILE, options);
  if (values['help']) { io.stdout.write(commandHelp(PROFILE)); return { exitCode: 0 }; }
  if (command.length === 0) throw new UsageError('No command to profile. Put it after --, for example: batch-doctor profile -- node job.js');
  const cpuUs = values['cpu-sample-us'] === undefined ? undefined : Number(values['cpu-sample-us']);
  if (cpuUs !== undefined && (!Number.isInteger(cpuUs) || cpuUs < 100 || cpuUs > 1_000_000)) {
    throw new UsageError('--cpu-sample-us must be a whole number of microseconds between 100 and 1000000.');
  }
  // Checked before the job runs: a bad thresholds file must not cost a run.
  const configArg = values['config'] as string | undefined;
  const config = loadThresholdsConfig(path.resolve(io.cwd, configArg ?? DEFAULT_CONFIG_FILE), configArg !== undefined);
  const format = (values['format'] as string | undefined) ?? 'table';
  const outDir = path.resolve(io.cwd, (values['out'] as string | undefined) ?? 'batch-doctor-report');
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  const runDir = path.join(outDir, 'runs', runId);
  try { fs.mkdirSync(runDir, { recursive: true, mode: 0o700 }); }
  catch (err) { throw new WriteError(runDir, (err as NodeJS.ErrnoException).code ?? String(err)); }

  const benchTarget = values['ftp-bench'] === undefined ? undefined : parseFtpUrl(values['ftp-bench'] as string);
  const benchPassword = benchTarget ? await resolveFtpPassword(benchTarget, io) : undefined;

  // Statement samples for EXPLAIN travel over a local socket into this process's memory only.
  let receiver: SampleReceiver | null = null;
  if (!values['no-explain']) { try { receiver = await startSampleReceiver(); } catch { receiver = null; } }
  // The job's own OpenTelemetry spans (Python, Java, Go... or a Node job with its own SDK), over OTLP/HTTP.
  let otlp: OtlpReceiver | null = null;
  // Received spans go straight into a span store (memory does not grow with them), except those of processes the
  // probes instrumented: their trace file (created when the probes start, before any SDK exports) has them already,
  // and a Node job with its own SDK would otherwise have every call twice.
  let receivedStore: SpanStore | null = null;
  let jobEnv = io.env;
  if (values['receive-otlp']) {
    const store = (receivedStore = new SpanStore());
    const traced = new Map<number, boolean>();
    const isTraced = (pid: number) => {
      let t = traced.get(pid);
      if (t === undefined) traced.set(pid, (t = fs.existsSync(path.join(runDir, `trace-${pid}.jsonl`))));
      return t;
    };
    otlp = await startOtlpReceiver({ keepLiterals: !!values['keep-literals'], sink: { push: (s) => { if (!isTraced(s.pid)) store.push(s); } } });
    jobEnv = {
      ...io.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.endpoint}/v1/traces`,
      OTEL_TRACES_EXPORTER: 'otlp', BATCH_DOCTOR_NO_FORWARD: '1',
    };
  }
  // What the database server records during the run: a slow log's growth, the digests' difference (never throws).
  const windows: ServerWindow[] = [];
  if (typeof values['slow-log'] === 'string') windows.push(watchSlowLog(path.resolve(io.cwd, values['slow-log'])));
  if (typeof values['db'] === 'string') windows.push(await watchServerDigests(values['db'], io.env));
  let result;
  try {
    result = await runWithProbes({
      command, traceDir: runDir, runId, env: jobEnv, cwd: io.cwd,
      keepLiterals: !!values['keep-literals'], callSitesInDeps: !!values['call-sites-in-deps'], cpuProfile: !values['no-cpu-profile'], ...(cpuUs ? { cpuSampleUs: cpuUs } : {}),
      ...(receiver ? { paramSocket: receiver.socketPath } : {}), ...(internals.jobStdoutToStderr ? { stdoutToStderr: true } : {}),
    });
  } catch (err) { await receiver?.close(); await otlp?.close(); receivedStore?.close(); for (const w of windows) await w.finish(); throw err; }
  const passThrough: CliResult = result.signal ? { exitCode: 128, signal: result.signal } : { exitCode: result.exitCode ?? 1 };
  let model: TraceModel | null = null;
  try {
    const runInfo = { command: redactCommandLine(command), startedAt: result.startedAt, endedAt: result.endedAt, exitCode: result.exitCode, signal: result.signal };
    const warnings: string[] = [];
    if (otlp) {
      await otlp.close();
      const received = otlp.collector.result();
      if (otlp.refused() > 0) warnings.push(`${otlp.refused()} OTLP requests could not be read (not OTLP/HTTP traces, or over 64 MiB).`);
      const store = receivedStore!;
      const receivedSpans = store.count;
      let traced: ProcessTrace[] = [];
      try { traced = await readTraceFiles(runDir, store); } catch (e) { if (!(e instanceof TraceMissingError) || receivedSpans === 0) { store.close(); throw e; } }
      model = modelFromStore(runInfo, mergeReceived(traced, received, store), store);
    } else {
      model = await readTraceDir(runDir, runInfo);
    }
    // Call sites: through the job's source maps on disk, loop frames marked (reads the job's own files only).
    annotateCallSites(model.processes, io.cwd);
    const serverDigests: ServerDigest[] = [];
    for (const w of windows) { const r = await w.finish(); serverDigests.push(...r.digests); warnings.push(...r.warnings); }
    let ftpBench: FtpBenchReport | null = null;
    if (benchTarget && benchPassword !== undefined) {
      io.stderr.write(`batch-doctor: benchmarking ${benchTarget.host}:${benchTarget.port}...\n`);
      try {
        ftpBench = { ...await runFtpBench({ ...PROFILE_FTP_BENCH, connect: { target: benchTarget, password: benchPassword, verifyTls: true }, open: openSession,
          progress: () => undefined, signal: new AbortController().signal, toolVersion: toolVersion() }), compression: null };
      } catch (e) {
        warnings.push(`The FTP benchmark did not complete: ${describeFtpFailure(e, `${benchTarget.host}:${benchTarget.port}`).message}`);
      }
    }
    let explains: ExplainResult[] | null = null;
    if (receiver) {
      const classes = groupQueries(model).map((g) => g.cls);
      if (classes.some((c) => c.system === 'postgresql' || c.system === 'mysql')) {
        io.stderr.write('batch-doctor: explaining the top statement classes...\n');
        const r = await explainRunClasses({ classes, samples: receiver.samples, env: io.env, dbUrl: values['db'] as string | undefined, analyze: !!values['explain-analyze'] });
        explains = r.explains;
        warnings.push(...r.warnings);
      }
    }
    let deepDive: DeepDive | null = null;
    const clinicTool = values['clinic'] as ClinicTool | undefined;
    if (clinicTool) {
      io.stderr.write(`batch-doctor: running the command again under Clinic.js ${clinicTool} (a second run)...\n`);
      const c = await runClinic({ tool: clinicTool, command, dest: path.join(outDir, 'clinic'), env: io.env, cwd: io.cwd, output: io.stderr });
      deepDive = { tool: `clinic ${c.tool}`, report: c.report, problem: c.problem };
      if (c.problem) warnings.push(`Clinic.js ${clinicTool}: ${c.problem}`);
    }
    // Statement shapes an ORM writes are read with PostgreSQL's own parser (WebAssembly, loaded once).
    await loadPgParser().catch(() => undefined);
    const report = analyze(model, {
      deepDive,
      toolVersion: toolVersion(), ftpBench, warnings, explains, serverDigests,
      ...(config ? { thresholds: config.thresholds, stageThresholds: config.stages, thresholdsFile: config.file } : {}),
    });
    const json = getRenderer('json')!.render(report);
    const html = getRenderer('html')!.render(report);
    writeFileAtomic(path.join(runDir, 'report.json'), json);
    writeFileAtomic(path.join(runDir, 'report.html'), html);
    writeFileAtomic(path.join(outDir, 'report.json'), json);
    writeFileAtomic(path.join(outDir, 'report.html'), html);
    if (format !== 'none') {
      const r = getRenderer(format)!;
      io.stderr.write(r.render(report, { color: !!io.stderr.isTTY, width: io.stderr.columns ?? 100 }));
    }
    const rel = (f: string) => path.relative(io.cwd, path.join(outDir, f)) || f;
    io.stderr.write(`batch-doctor: report written to ${rel('report.json')}; open ${rel('report.html')} in a browser\n`);
  } catch (err) {
    const msg = err instanceof BatchDoctorError ? `${err.message} [${err.code}]` : `internal error while analysing the run: ${(err as Error).message} [BD_INTERNAL]`;
    io.stderr.write(`batch-doctor: ${msg}\n`);
    // The command's exit code passes through unchanged even then: the job's own result is what callers act on.
    return passThrough;
  } finally {
    model?.source.close();
    await receiver?.close();
    await otlp?.close();
  }
  return passThrough;
}

/**
 * The processes (and any spans still held by the collector) received over OTLP added to the probes' trace. A
 * process the probes instrumented (same pid) is read from its trace file only: a Node job with its own SDK would
 * otherwise have every call twice.
 */
export function mergeReceived(traced: ProcessTrace[], received: OtlpResult, into: SpanSink): ProcessTrace[] {
  const tracedPids = new Set(traced.map((p) => p.header.pid));
  for (const s of received.spans) if (!tracedPids.has(s.pid)) into.push(s);
  return [...traced, ...received.processes.filter((p) => !tracedPids.has(p.header.pid))];
}
