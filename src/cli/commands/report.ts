import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPORT_SCHEMA_VERSION, type Report } from '../../model/report';
import { ReportReadError, UsageError } from '../../errors';
import { getRenderer } from '../../../reports/registry';
import { commandHelp, parseOptions, REPORT } from '../options';
import type { CliIO, CliResult } from '../io';
import { writeFileAtomic } from '../../collect/write-file';

/** Reads and checks a saved report.json. */
export function loadReport(file: string): Report {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); }
  catch (err) { throw new ReportReadError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message); }
  let data: unknown;
  try { data = JSON.parse(text); } catch { throw new ReportReadError(file, 'it is not valid JSON'); }
  const r = data as Partial<Report>;
  if (!r || typeof r !== 'object' || typeof r.schemaVersion !== 'number' || !r.breakdown || !Array.isArray(r.findings)) {
    throw new ReportReadError(file, 'it is not a batch-doctor report');
  }
  if (r.schemaVersion > REPORT_SCHEMA_VERSION) throw new ReportReadError(file, `it has schema version ${r.schemaVersion}, newer than this batch-doctor understands (${REPORT_SCHEMA_VERSION}); upgrade batch-doctor`);
  return r as Report;
}

/** `batch-doctor report <report.json> [--format table|json|html|md] [--out FILE]` */
export async function reportCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values, positionals } = parseOptions(REPORT, args);
  if (values['help']) { io.stdout.write(commandHelp(REPORT)); return { exitCode: 0 }; }
  if (positionals.length !== 1) throw new UsageError('Give exactly one report file, for example: batch-doctor report batch-doctor-report/report.json');
  const report = loadReport(path.resolve(io.cwd, positionals[0]!));
  const r = getRenderer((values['format'] as string | undefined) ?? 'table')!;
  const text = r.render(report, { width: 120 });
  const out = values['out'] as string | undefined;
  if (out) {
    const file = path.resolve(io.cwd, out);
    writeFileAtomic(file, text);
    io.stderr.write(`batch-doctor: ${r.name} report written to ${file}\n`);
  } else io.stdout.write(text);
  return { exitCode: 0 };
}
