import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The Clinic.js tools `profile --clinic` can run. */
export const CLINIC_TOOLS = ['doctor', 'flame', 'bubbleprof'] as const;
export type ClinicTool = (typeof CLINIC_TOOLS)[number];

/** Most time a Clinic.js run may take beyond the job itself (its analysis and HTML), ms: 10 minutes. */
const CLINIC_TIMEOUT_MS = 10 * 60_000;

/** Options of {@link runClinic}. */
export interface ClinicOptions {
  tool: ClinicTool;
  /** The profiled command; Clinic.js needs it to start with `node`. */
  command: string[];
  /** Directory for Clinic.js's data and HTML report. */
  dest: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Where the job's and Clinic.js's output goes (our stderr: stdout stays the first run's). */
  output: NodeJS.WritableStream;
}

/** The outcome: the HTML report, or why there is none. */
export interface ClinicResult {
  tool: ClinicTool;
  /** Absolute path of the HTML report, or null. */
  report: string | null;
  exitCode: number | null;
  /** What went wrong, in one sentence, when there is no report. */
  problem: string | null;
}

/** True when the command runs a Node script directly (what Clinic.js can wrap). */
export function isNodeCommand(command: string[]): boolean {
  const bin = path.basename(command[0] ?? '');
  return /^node(\d+|\.exe)?$/.test(bin) || command[0] === process.execPath;
}

/**
 * Runs the command once more under Clinic.js (a second, separate run: its hooks and ours would distort each
 * other in one process). Clinic.js's usage telemetry and update check are turned off (NO_INSIGHT,
 * NO_UPDATE_NOTIFIER): batch-doctor sends nothing anywhere. Never throws: a failure is the result's problem.
 */
export async function runClinic(o: ClinicOptions): Promise<ClinicResult> {
  const fail = (problem: string, exitCode: number | null = null): ClinicResult => ({ tool: o.tool, report: null, exitCode, problem });
  if (!isNodeCommand(o.command)) return fail('Clinic.js can only wrap a command that starts with node (for example: node job.js); the command was not run again.');
  let bin: string;
  try { bin = require.resolve('clinic/bin.js'); } catch { return fail('Clinic.js is not installed next to batch-doctor (npm install clinic).'); }
  try { fs.mkdirSync(o.dest, { recursive: true, mode: 0o700 }); } catch (e) { return fail(`cannot create ${o.dest}: ${(e as Error).message}`); }
  const before = new Set(fs.readdirSync(o.dest));
  const args = [bin, o.tool, '--open=false', '--dest', o.dest, '--', process.execPath, ...o.command.slice(1)];
  const exitCode = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...o.env, NO_INSIGHT: '1', NO_UPDATE_NOTIFIER: '1' },
    });
    child.stdout.pipe(o.output, { end: false });
    child.stderr.pipe(o.output, { end: false });
    const timer = setTimeout(() => child.kill('SIGKILL'), CLINIC_TIMEOUT_MS);
    timer.unref();
    child.once('error', () => { clearTimeout(timer); resolve(null); });
    child.once('close', (code) => { clearTimeout(timer); resolve(code); });
  });
  const html = fs.readdirSync(o.dest).filter((f) => f.endsWith(`.clinic-${o.tool}.html`) && !before.has(f));
  if (html.length === 0) return fail(`Clinic.js ${o.tool} wrote no report (exit code ${exitCode ?? 'none'}); its output is above.`, exitCode);
  return { tool: o.tool, report: path.join(o.dest, html[0]!), exitCode, problem: null };
}
