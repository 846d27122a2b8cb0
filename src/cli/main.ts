import { BatchDoctorError } from '../errors';
import type { CliIO, CliResult } from './io';
import { guardIO } from './guarded-io';
import { escapeControl, redactCredentials } from '../../probes/sanitize';
import { mainHelp } from './options';
import { toolVersion } from '../version';

export type { CliIO, CliResult } from './io';

/** Exit code for usage and tool errors. */
export const EXIT_USAGE = 2;

type Handler = (args: string[], io: CliIO) => Promise<CliResult>;
/** Each command's module is loaded when it runs: start-up pays only for the command used (slow-log need not load pg, OTel or FTP). */
const HANDLERS: Record<string, () => Promise<Handler>> = {
  profile: async () => (await import('./commands/profile.js')).profileCommand,
  report: async () => (await import('./commands/report.js')).reportCommand,
  'ftp-bench': async () => (await import('./commands/ftp-bench.js')).ftpBenchCommand,
  'slow-log': async () => (await import('./commands/slow-log.js')).slowLogCommand,
  queries: async () => (await import('./commands/queries.js')).queriesCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  gate: async () => (await import('./commands/gate.js')).gateCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  analyze: async () => (await import('./commands/analyze.js')).analyzeCommand,
};

/** The CLI: parses argv (without node and script), runs a command, and says how the process should end. Never throws. */
export async function main(argv: string[], rawIO: CliIO): Promise<CliResult> {
  // Everything the CLI prints passes the terminal guard; error texts also lose credentials and control characters.
  const io = guardIO(rawIO);
  const say = (m: string) => escapeControl(redactCredentials(m), true);
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { io.stdout.write(mainHelp()); return { exitCode: cmd ? 0 : EXIT_USAGE }; }
    if (cmd === '--version' || cmd === '-v') { io.stdout.write(`${toolVersion()}\n`); return { exitCode: 0 }; }
    const load = Object.prototype.hasOwnProperty.call(HANDLERS, cmd) ? HANDLERS[cmd] : undefined;
    if (!load) {
      io.stderr.write(`batch-doctor: unknown command "${say(cmd)}". Commands: ${Object.keys(HANDLERS).join(', ')}. Run batch-doctor --help.\n`);
      return { exitCode: EXIT_USAGE };
    }
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof BatchDoctorError) {
      io.stderr.write(`batch-doctor: ${say(err.message)} [${err.code}]\n`);
      return { exitCode: err.code === 'BD_SPAWN' ? 127 : EXIT_USAGE };
    }
    io.stderr.write(`batch-doctor: internal error: ${say((err as Error)?.message ?? String(err))} [BD_INTERNAL]. Please report it with the command you ran.\n`);
    return { exitCode: EXIT_USAGE };
  }
}
