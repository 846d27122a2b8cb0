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
/**
 * A stderr line that starts a new log entry: `... LOG:  `, `... ERROR:  `, `... DETAIL:  ` etc. after the prefix.
 * PostgreSQL writes two spaces after the level; log shippers and some managed services leave one.
 */
const ENTRY_RE = /^(.*?)\b(LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG\d?|DETAIL|HINT|CONTEXT|STATEMENT|QUERY|LOCATION): {1,2}(?=\S)/;

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
    // A continuation line of a multi-line statement starts with white space: never a new entry.
    const m = l.length && l.charCodeAt(0) !== 9 && l.charCodeAt(0) !== 32 ? ENTRY_RE.exec(l) : null;
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

/** The PostgreSQL log formats read: stderr (any log_line_prefix), csvlog, jsonlog (PG 15+), CloudNativePG's JSON, syslog. */
export type PostgresLogFormat = 'stderr' | 'csvlog' | 'jsonlog' | 'cnpg' | 'syslog';

/**
 * One line of jsonlog (PostgreSQL 15+: `error_severity`, `message`, `dbname`) or of CloudNativePG's JSON logs (the
 * server's record under `record`: `error_severity`, `message`, `database_name`), as severity, message and database.
 */
export function jsonLogEntry(line: string): { severity: string; message: string; database: string | null } | null {
  let o: unknown;
  try { o = JSON.parse(line); } catch { return null; }
  if (!o || typeof o !== 'object') return null;
  const rec = (typeof (o as { record?: unknown }).record === 'object' && (o as { record?: unknown }).record) ? (o as { record: Record<string, unknown> }).record : o as Record<string, unknown>;
  const severity = rec['error_severity'];
  const message = rec['message'];
  if (typeof severity !== 'string' || typeof message !== 'string') return null;
  const db = rec['dbname'] ?? rec['database_name'];
  return { severity, message, database: typeof db === 'string' && db ? db : null };
}

/**
 * syslog lines (`Nov 20 02:00:01 host postgres[4242]: [3-1] <prefix> LOG:  ...`): the syslog header goes, `[N-1]`
 * starts an entry, `[N-2]`... continue it, and `#011` is the tab syslog escaped.
 */
const SYSLOG_RE = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s[]+\[\d+\]: \[\d+-(\d+)\] ?(.*)$/;
/** The text after the syslog header, as a stderr line, or null when the line is no PostgreSQL syslog line. */
export function syslogToStderr(line: string): string | null {
  const m = SYSLOG_RE.exec(line);
  if (!m) return null;
  const text = m[2]!.replace(/#011/g, '\t');
  return m[1] === '1' ? text : (text.startsWith('\t') ? text : `\t${text}`);
}

/** Reads a PostgreSQL log file in the given format (default: stderr, or csvlog for a `.csv` name), streaming. */
export async function readPostgresLog(file: string, acc: DigestAccumulator, format?: PostgresLogFormat, range?: { start: number; end: number }): Promise<{ badRecords: number }> {
  const fmt = format ?? (file.endsWith('.csv') ? 'csvlog' : 'stderr');
  if (range && range.end <= range.start) return { badRecords: 0 };
  if (fmt === 'csvlog') {
    let bad = 0;
    const parser = fs.createReadStream(file, { highWaterMark: 1 << 20, ...(range ? { start: range.start, end: Math.max(range.start, range.end - 1) } : {}) }).pipe(parseCsv({ relax_column_count: true, relax_quotes: true, skip_records_with_error: true }));
    parser.on('skip', () => { bad++; });
    for await (const rec of parser as AsyncIterable<string[]>) {
      if (!Array.isArray(rec) || rec.length <= CSV_MESSAGE) { bad++; continue; }
      if (rec[CSV_SEVERITY] !== 'LOG') continue;
      const s = sampleFromMessage(rec[CSV_MESSAGE] ?? '', rec[CSV_DATABASE] || null);
      if (s) acc.add(s);
    }
    return { badRecords: bad };
  }
  if (fmt === 'jsonlog' || fmt === 'cnpg') {
    let bad = 0;
    await forEachLine(file, (l) => {
      if (!l.trim()) return;
      const e = jsonLogEntry(l);
      if (!e) { if (fmt === 'jsonlog') bad++; return; } // CloudNativePG interleaves its operator's own lines
      if (e.severity !== 'LOG') return;
      const s = sampleFromMessage(e.message, e.database);
      if (s) acc.add(s);
    }, range);
    return { badRecords: bad };
  }
  const p = new PostgresStderrLogParser((s) => acc.add(s));
  if (fmt === 'syslog') await forEachLine(file, (l) => { const t = syslogToStderr(l); if (t !== null) p.line(t); }, range);
  else await forEachLine(file, (l) => p.line(l), range);
  p.end();
  return { badRecords: p.badRecords };
}
