import * as fs from 'node:fs';
import { parse as parseCsv } from 'csv-parse';
import { fingerprintSqlUncached } from '../../../probes/sql-fingerprint';
import type { DigestAccumulator, StatementSample } from '../digest';
import { forEachLine } from './mysql-slow-log';

/**
 * PostgreSQL server logs written with `log_min_duration_statement` (or
 * `log_duration` with `log_statement`), in the `stderr` format (any
 * `log_line_prefix`) and in `csvlog`. Counted: `statement:` and `execute
 * <name>:` entries (the parse and bind phases of the extended protocol are
 * logged separately and are not executions). `DETAIL: parameters:` lines are
 * never read into the digest: bind values stay out of every output.
 */

/** `duration: 1.234 ms  statement: ...` / `execute <unnamed>: ...`; group 1 = ms, group 2 = the statement. */
const DURATION_RE = /duration: ([0-9.]+) ms {1,2}(?:statement|execute [^:]*): ?([\s\S]*)$/;
/** A stderr line that starts a new log entry: `... LOG:  `, `... ERROR:  `, `... DETAIL:  ` etc. after the prefix. */
const ENTRY_RE = /^(.*?)\b(LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG\d?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION):  /;

/** Turns one log message (the part after `LOG:  `) into a sample, or null when it is no timed statement. */
export function sampleFromMessage(message: string, database: string | null): StatementSample | null {
  const m = DURATION_RE.exec(message);
  if (!m) return null;
  const ms = Number(m[1]);
  if (!Number.isFinite(ms)) return null;
  const fp = fingerprintSqlUncached(m[2]!.trim(), 'postgresql');
  return { system: 'postgresql', fingerprint: fp.text, parsed: fp.parsed, ms, rowsSent: null, rowsExamined: null, database };
}

/** Parser of the stderr format: entries start with the prefix and a level, statements continue on tab-indented lines. */
export class PostgresStderrLogParser {
  private message: string[] | null = null;
  private db: string | null = null;
  badRecords = 0;
  constructor(private readonly onSample: (s: StatementSample) => void) {}

  line(l: string): void {
    const m = ENTRY_RE.exec(l);
    if (m) {
      this.flush();
      if (m[2] === 'LOG') {
        this.message = [l.slice(m[0].length)];
        // %d in log_line_prefix often shows as db=name or @name; take it when it is there.
        const dbm = /\bdb=([^,\s]+)/.exec(m[1]!) ?? /@([A-Za-z0-9_]+)/.exec(m[1]!);
        this.db = dbm ? dbm[1]! : null;
      }
      return;
    }
    if (this.message && (l.startsWith('\t') || l.startsWith(' '))) this.message.push(l.slice(1));
    else if (this.message && l.length) this.message.push(l);
  }

  end(): void { this.flush(); }

  private flush(): void {
    if (!this.message) return;
    const s = sampleFromMessage(this.message.join('\n'), this.db);
    this.message = null;
    if (s) this.onSample(s);
  }
}

/** csvlog columns (PostgreSQL 13-16): database_name is column 3, message column 14 (1-based). */
const CSV_DATABASE = 2;
const CSV_SEVERITY = 11;
const CSV_MESSAGE = 13;

/** Reads a PostgreSQL log file (stderr or csvlog, chosen by the `.csv` extension or `format`), streaming. */
export async function readPostgresLog(file: string, acc: DigestAccumulator, format?: 'stderr' | 'csvlog'): Promise<{ badRecords: number }> {
  const fmt = format ?? (file.endsWith('.csv') ? 'csvlog' : 'stderr');
  if (fmt === 'csvlog') {
    let bad = 0;
    const parser = fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(parseCsv({ relax_column_count: true, relax_quotes: true, skip_records_with_error: true }));
    parser.on('skip', () => { bad++; });
    for await (const rec of parser as AsyncIterable<string[]>) {
      if (!Array.isArray(rec) || rec.length <= CSV_MESSAGE) { bad++; continue; }
      if (rec[CSV_SEVERITY] !== 'LOG') continue;
      const s = sampleFromMessage(rec[CSV_MESSAGE] ?? '', rec[CSV_DATABASE] || null);
      if (s) acc.add(s);
    }
    return { badRecords: bad };
  }
  const p = new PostgresStderrLogParser((s) => acc.add(s));
  await forEachLine(file, (l) => p.line(l));
  p.end();
  return { badRecords: p.badRecords };
}
