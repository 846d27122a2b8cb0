import { redactCommandLine } from '../../probes/sanitize';

/**
 * The command line with credentials redacted (URL userinfo, `password=`-like pairs and `*_PASSWORD=`/`*_TOKEN=`
 * assignments, the value after `--password`/`--pass`/`--token`-like flags, mysql's `-pSECRET`), argument by
 * argument and word by word inside `sh -c` scripts. The probes' sanitizer does the work, so the command line
 * recorded in a report and the one forwarded as `process.command_args` are redacted alike.
 */
export function redactCommand(argv: readonly string[]): string[] {
  return redactCommandLine(argv);
}
