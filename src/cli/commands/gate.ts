import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../collect/write-file';
import { InputError, UsageError } from '../../errors';
import { readBaseline } from '../../gate/baseline';
import { calibrate, compareRuns, confirmTimings, environmentOf, needsTimingConfirmation, sampleFromReport } from '../../gate/compare';
import { BASELINE_SCHEMA_VERSION, type Baseline, type GateEnvironment, type RunSample } from '../../model/gate';
import type { Report } from '../../model/report';
import { toolVersion } from '../../version';
import { GATE_RENDERERS } from '../../../reports/gate';
import { commandHelp, GATE, parseOptions } from '../options';
import { redactCommandLine } from '../../../probes/sanitize';
import type { CliIO, CliResult } from '../io';
import { profileCommand } from './profile';
import { loadReport } from './report';

/** Exit code of a regression (0 pass; 2, a tool error, comes from the CLI's error handling: fail closed). */
export const EXIT_REGRESSION = 1;

/** Default number of profiled runs per side: timing verdicts need 3; with 7 a one-sided rank test can reach p = 0.0003, so a clear slowdown still passes the alpha divided among the timings even with an overlap or two. */
export const DEFAULT_REPEAT = 7;

function machine(): { platform: string; cpu: string } {
  const cpus = os.cpus();
  return { platform: `${process.platform}-${process.arch}`, cpu: `${cpus[0]?.model ?? 'unknown'} x${cpus.length}` };
}

/** Profiles the command `repeat` times; a run whose job fails makes the comparison impossible (exit 2). */
async function profileRuns(command: string[], repeat: number, outDir: string, io: CliIO): Promise<Report[]> {
  const reports: Report[] = [];
  for (let i = 0; i < repeat; i++) {
    const dir = path.join(outDir, `run-${i + 1}`);
    io.stderr.write(`batch-doctor gate: run ${i + 1} of ${repeat}...\n`);
    const quiet: CliIO = { ...io, stderr: { write: () => true } as unknown as CliIO['stderr'] };
    const r = await profileCommand(['--format', 'none', '--no-explain', '--out', dir, '--', ...command], quiet, { jobStdoutToStderr: true });
    if (r.signal || r.exitCode !== 0) {
      throw new InputError(`The job failed in run ${i + 1} (${r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`}): a failed run cannot be compared. Fix the job, then run the gate again.`);
    }
    const file = path.join(dir, 'report.json');
    if (!fs.existsSync(file)) throw new InputError(`Run ${i + 1} produced no report (${file}): see the messages above.`);
    reports.push(loadReport(file));
  }
  return reports;
}

/** `batch-doctor gate` */
export async function gateCommand(args: string[], io: CliIO): Promise<CliResult> {
  const dd = args.indexOf('--');
  const command = dd >= 0 ? args.slice(dd + 1) : [];
  const { values, positionals } = parseOptions(GATE, dd >= 0 ? args.slice(0, dd) : args);
  if (values['help']) { io.stdout.write(commandHelp(GATE)); return { exitCode: 0 }; }
  if (positionals.length) throw new UsageError(`Unexpected argument "${positionals[0]}". Put the command to profile after --, or pass reports with --current.`);
  const baselineFile = values['baseline'] as string | undefined;
  if (!baselineFile) throw new UsageError('--baseline FILE is required: the baseline to compare with (or to write, with --update-baseline).');
  const currentFiles = (values['current'] as string[] | undefined) ?? [];
  if (!currentFiles.length && !command.length) throw new UsageError('Nothing to gate: pass report files with --current, or a command after --, for example: batch-doctor gate --baseline perf/baseline.json -- node job.js');
  if (currentFiles.length && command.length) throw new UsageError('Pass either --current reports or a command after --, not both.');
  const repeat = values['repeat'] === undefined ? DEFAULT_REPEAT : Number(values['repeat']);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) throw new UsageError('--repeat must be a whole number from 1 to 100.');
  const threshold = values['threshold'] === undefined ? undefined : Number(values['threshold']);
  if (threshold !== undefined && !(threshold > 0 && threshold < 10)) throw new UsageError('--threshold is a relative slowdown such as 0.1 (10%), between 0 and 10.');
  const format = (values['format'] as string | undefined) ?? 'table';
  const baselinePath = path.resolve(io.cwd, baselineFile);

  // Read the baseline first when comparing: a missing or corrupt one must fail before minutes of profiling.
  const baseline = values['update-baseline'] ? null : readBaseline(baselinePath);

  let reports: Report[];
  let tmp: string | null = null;
  if (command.length) {
    const out = values['out'] ? path.resolve(io.cwd, values['out'] as string) : (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-gate-')));
    try { reports = await profileRuns(command, repeat, out, io); }
    finally { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); }
  } else {
    reports = currentFiles.map((f) => loadReport(path.resolve(io.cwd, f)));
    const failed = reports.findIndex((r) => r.run.exitCode !== 0);
    if (failed >= 0) throw new InputError(`${currentFiles[failed]} is the report of a failed run (${reports[failed]!.run.signal ?? `exit code ${reports[failed]!.run.exitCode}`}): a failed run cannot be compared.`);
  }
  const samples: RunSample[] = reports.map(sampleFromReport);
  const env: GateEnvironment = environmentOf(reports[0]!, machine());
  const shown = redactCommandLine(command);
  const scriptName = shown.length ? path.basename(shown.find((c, i) => i > 0 && !c.startsWith('-')) ?? shown[0]!) : 'job';
  const job = (values['job'] as string | undefined) ?? baseline?.job ?? scriptName;

  if (values['update-baseline']) {
    const b: Baseline = {
      schemaVersion: BASELINE_SCHEMA_VERSION, kind: 'batch-doctor-baseline', job, createdAt: new Date().toISOString(), toolVersion: toolVersion(),
      environment: env, runs: samples, calibration: calibrate(samples),
    };
    writeFileAtomic(baselinePath, JSON.stringify(b, null, 2) + '\n');
    const cal = b.calibration ? `A/A noise ${(b.calibration.relativeNoise * 100).toFixed(1)}% -> timing threshold ${(b.calibration.timingThreshold * 100).toFixed(1)}%` : `no calibration (fewer than 3 runs; timing verdicts will be inconclusive)`;
    io.stdout.write(`batch-doctor gate: baseline for ${job} written to ${path.relative(io.cwd, baselinePath) || baselinePath}: ${samples.length} run(s), ${cal}.\n`);
    return { exitCode: 0 };
  }
  if (values['job'] && baseline!.job !== values['job']) throw new InputError(`The baseline ${baselineFile} is for the job "${baseline!.job}", not "${String(values['job'])}". Use the baseline of that job, or write one with --update-baseline.`);

  const opts = threshold === undefined ? {} : { timingThreshold: threshold };
  let result = compareRuns(baseline!, samples, env, opts, toolVersion());
  if (command.length && needsTimingConfirmation(result)) {
    io.stderr.write(`batch-doctor gate: a timing regression; confirming it with a second batch of ${repeat} runs...\n`);
    const tmp2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-gate-'));
    try {
      const again = (await profileRuns(command, repeat, tmp2, io)).map(sampleFromReport);
      result = confirmTimings(result, compareRuns(baseline!, again, env, opts, toolVersion()));
    } finally { fs.rmSync(tmp2, { recursive: true, force: true }); }
  }
  io.stdout.write(GATE_RENDERERS[format]!(result));
  if (values['json']) writeFileAtomic(path.resolve(io.cwd, values['json'] as string), GATE_RENDERERS['json']!(result));
  if (values['junit']) writeFileAtomic(path.resolve(io.cwd, values['junit'] as string), GATE_RENDERERS['junit']!(result));
  const mdText = GATE_RENDERERS['md']!(result);
  if (values['markdown']) writeFileAtomic(path.resolve(io.cwd, values['markdown'] as string), mdText);
  const summary = io.env['GITHUB_STEP_SUMMARY'];
  if (summary) { try { fs.appendFileSync(summary, mdText); } catch (err) { io.stderr.write(`batch-doctor gate: could not append to GITHUB_STEP_SUMMARY (${(err as NodeJS.ErrnoException).code}).\n`); } }
  if (io.env['GITHUB_ACTIONS'] === 'true' && format !== 'github') io.stdout.write(GATE_RENDERERS['github']!(result));
  return { exitCode: result.status === 'regression' ? EXIT_REGRESSION : 0 };
}
