import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { writeFileAtomic } from '../../collect/write-file';
import { describeFtpFailure, UsageError } from '../../errors';
import { runFtpBench } from '../../ftp/bench';
import { estimateCompression } from '../../ftp/compression';
import { openSession } from '../../ftp/session';
import { defaultNetrc, parseFtpUrl, passwordFromNetrc, type FtpTarget } from '../../ftp/target';
import type { FtpBenchReport } from '../../model/ftp-bench';
import { toolVersion } from '../../version';
import { FTP_BENCH_RENDERERS } from '../../../reports/ftp-bench';
import { commandHelp, FTP_BENCH, parseOptions } from '../options';
import type { CliIO, CliResult } from '../io';

/** Environment variable holding the FTP password. */
export const FTP_PASSWORD_ENV = 'BATCH_DOCTOR_FTP_PASSWORD';

const intList = (name: string, v: string) => v.split(',').map((x) => {
  const n = Number(x.trim());
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--${name} takes whole numbers between 1 and 64 separated by commas, for example 1,2,4,8.`);
  return n;
});
const int = (name: string, v: string | undefined, dflt: number, min: number, max: number) => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number between ${min} and ${max}.`);
  return n;
};

async function promptPassword(io: CliIO): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !io.stderr.isTTY) return undefined;
  io.stderr.write('FTP password: ');
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: stdin, terminal: true });
    (rl as unknown as { _writeToOutput: () => void })._writeToOutput = () => undefined; // no echo
    rl.question('', (a) => { rl.close(); io.stderr.write('\n'); resolve(a); });
  });
}

/** The FTP password: BATCH_DOCTOR_FTP_PASSWORD, else ~/.netrc (mode 600), else a prompt on a terminal. */
export async function resolveFtpPassword(target: FtpTarget, io: CliIO): Promise<string> {
  const password = io.env[FTP_PASSWORD_ENV] ?? passwordFromNetrc(defaultNetrc(io.env), target.host, target.user) ?? await promptPassword(io);
  if (password === undefined) {
    throw new UsageError(`No password for ${target.user}@${target.host}. Set ${FTP_PASSWORD_ENV}, add the host to ~/.netrc (mode 600), or run on a terminal to be asked.`);
  }
  return password;
}

/** `[#####-----] 5/10` */
function progressBar(done: number, total: number, width = 20): string {
  const n = Math.round((done / total) * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${done}/${total}`;
}

/** `batch-doctor ftp-bench ftp://user@host:port/dir [options]` */
export async function ftpBenchCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values, positionals } = parseOptions(FTP_BENCH, args);
  if (values['help']) { io.stdout.write(commandHelp(FTP_BENCH)); return { exitCode: 0 }; }
  if (positionals.length !== 1) throw new UsageError('Give the server as one URL, for example: batch-doctor ftp-bench ftp://user@host:21/upload');
  const target = parseFtpUrl(positionals[0]!);
  const streams = intList('streams', (values['streams'] as string | undefined) ?? '1,2,4,8');
  const directions = ((values['direction'] as string | undefined) ?? 'both') === 'both' ? ['upload', 'download'] as const : [values['direction'] as 'upload' | 'download'];
  const format = (values['format'] as string | undefined) ?? 'table';
  const samplePath = values['sample'] === undefined ? undefined : path.resolve(io.cwd, values['sample'] as string);
  if (samplePath !== undefined && !fs.existsSync(samplePath)) throw new UsageError(`--sample ${samplePath}: no such file or directory.`);
  const password = await resolveFtpPassword(target, io);
  const verifyTls = !values['insecure-tls'];
  if (!target.tls && values['insecure-tls']) throw new UsageError('--insecure-tls only applies to ftps:// URLs.');
  const controller = new AbortController();
  const onSignal = () => { controller.abort(); io.stderr.write('\nbatch-doctor: interrupted, removing the scratch directory...\n'); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = !!io.stderr.isTTY;
  let report: FtpBenchReport;
  const where = `${target.host}:${target.port}`;
  try {
    const base = await runFtpBench({
      connect: { target, password, verifyTls }, open: openSession, streams, directions: [...directions],
      smallFiles: { count: int('small-files', values['small-files'] as string | undefined, 100, 0, 100000), size: int('small-size', values['small-size'] as string | undefined, 16 * 1024, 1, 1 << 30) },
      largeFiles: { count: int('large-files', values['large-files'] as string | undefined, 4, 0, 1000), size: int('large-size', values['large-size'] as string | undefined, 8 * 1024 * 1024, 1, 1 << 30) },
      segmented: !values['no-segmented'],
      progress: (m, done, total) => {
        if (tty) io.stderr.write(`\r\x1b[2K${total ? `${progressBar(done ?? 0, total)} ` : ''}${m}`);
        else if (values['verbose'] && !done) io.stderr.write(`${m}\n`);
      },
      signal: controller.signal, toolVersion: toolVersion(),
    }).catch((e: unknown) => { throw describeFtpFailure(e, where); });
    if (tty) io.stderr.write('\r\x1b[2K');
    const best = Math.max(0, ...base.cells.map((c) => c.throughput));
    report = { ...base, compression: samplePath ? estimateCompression(samplePath, best || 1e6) : null };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (values['out']) writeFileAtomic(path.resolve(io.cwd, values['out'] as string), FTP_BENCH_RENDERERS['json']!(report));
  io.stdout.write(FTP_BENCH_RENDERERS[format]!(report));
  if (controller.signal.aborted) return { exitCode: 130 };
  return { exitCode: report.scratchRemoved ? 0 : 1 };
}
