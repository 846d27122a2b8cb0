import { BatchDoctorError } from '../errors';
import { profileCommand } from './commands/profile';
import { reportCommand } from './commands/report';
import { ftpBenchCommand } from './commands/ftp-bench';
import { slowLogCommand } from './commands/slow-log';
import { queriesCommand } from './commands/queries';
import { explainCommand } from './commands/explain';
import type { CliIO, CliResult } from './io';
import { mainHelp } from './options';
import { toolVersion } from '../version';

export type { CliIO, CliResult } from './io';

/** Exit code for usage and tool errors. */
export const EXIT_USAGE = 2;

const HANDLERS: Record<string, (args: string[], io: CliIO) => Promise<CliResult>> = {
  profile: profileCommand,
  report: reportCommand,
  'ftp-bench': ftpBenchCommand,
  'slow-log': slowLogCommand,
  queries: queriesCommand,
  explain: explainCommand,
};

/** The CLI: parses argv (without node and script), runs a command, and says how the process should end. Never throws. */
export async function main(argv: string[], io: CliIO): Promise<CliResult> {
  const [cmd, ...rest] = argv;
  try {
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { io.stdout.write(mainHelp()); return { exitCode: cmd ? 0 : EXIT_USAGE }; }
    if (cmd === '--version' || cmd === '-v') { io.stdout.write(`${toolVersion()}\n`); return { exitCode: 0 }; }
    const handler = Object.prototype.hasOwnProperty.call(HANDLERS, cmd) ? HANDLERS[cmd] : undefined;
    if (!handler) {
      io.stderr.write(`batch-doctor: unknown command "${cmd}". Commands: ${Object.keys(HANDLERS).join(', ')}. Run batch-doctor --help.\n`);
      return { exitCode: EXIT_USAGE };
    }
    return await handler(rest, io);
  } catch (err) {
    if (err instanceof BatchDoctorError) {
      io.stderr.write(`batch-doctor: ${err.message} [${err.code}]\n`);
      return { exitCode: err.code === 'BD_SPAWN' ? 127 : EXIT_USAGE };
    }
    io.stderr.write(`batch-doctor: internal error: ${(err as Error)?.message ?? String(err)} [BD_INTERNAL]. Please report it with the command you ran.\n`);
    return { exitCode: EXIT_USAGE };
  }
}
