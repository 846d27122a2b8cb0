import { openSqlClient, resolveDbTarget } from '../../db/connection';
import { explainStatement, EXPLAIN_TIMEOUT_MS } from '../../db/explain';
import { UsageError } from '../../errors';
import { EXPLAIN_RENDERERS } from '../../../reports/explain';
import { commandHelp, EXPLAIN, parseOptions } from '../options';
import type { CliIO, CliResult } from '../io';

/** `batch-doctor explain --db URL "<SQL>"` */
export async function explainCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values, positionals } = parseOptions(EXPLAIN, args);
  if (values['help']) { io.stdout.write(commandHelp(EXPLAIN)); return { exitCode: 0 }; }
  if (positionals.length !== 1) throw new UsageError('Give exactly one SQL statement, quoted, for example: batch-doctor explain --db postgres://me@db/app "SELECT * FROM orders WHERE status = $1" --param open');
  const timeout = values['timeout-ms'] === undefined ? EXPLAIN_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 3_600_000) throw new UsageError('--timeout-ms must be a whole number of milliseconds between 1 and 3600000.');
  const { target, password } = resolveDbTarget(values['db'] as string | undefined, io.env);
  const client = await openSqlClient(target, password);
  try {
    const params = (values['param'] as string[] | undefined) ?? [];
    const r = await explainStatement(client, {
      sql: positionals[0]!, params, analyze: !!values['analyze'], allowVolatile: !!values['analyze-volatile'], timeoutMs: timeout,
      indexAdvice: !values['no-index-advice'], keepLiterals: !!values['keep-literals'],
    });
    io.stdout.write(EXPLAIN_RENDERERS[(values['format'] as string | undefined) ?? 'table']!(r));
    return { exitCode: r.plan ? 0 : 1 };
  } finally { await client.close(); }
}
