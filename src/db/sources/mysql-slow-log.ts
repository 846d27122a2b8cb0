import * as fs from 'node:fs';
import { fingerprintSqlUncached } from '../../../probes/sql-fingerprint';
import { DigestAccumulator, type StatementSample } from '../digest';

/**
 * MySQL / MariaDB slow-query log parser: one pass over the file, constant
 * memory per statement class. Reads the formats of MySQL 5.7/8 and MariaDB 10
 * (`# Time:`, `# User@Host:`, `# Thread_id:`/`Id:`, `# Query_time: ... Rows_sent:
 * ... Rows_examined: ...`, `use db;`, `SET timestamp=...;`, then the statement
 * up to the next header), and the server's start-up banner lines.
 *
 * The statement is fingerprinted as soon as it is complete: no literal of it
 * is kept.
 */

/** Longest statement kept for fingerprinting, characters. Longer ones are counted under a placeholder class (a bound on memory). */
export const SLOW_LOG_MAX_STATEMENT_CHARS = 1_000_000;

/** Incremental parser state: feed it lines, read samples from `onSample`. */
export class SlowLogParser {
  private inHeader = false;
  private queryTime: number | null = null;
  private rowsSent: number | null = null;
  private rowsExamined: number | null = null;
  private db: string | null = null;
  private stmt: string[] = [];
  private stmtChars = 0;
  /** Records with a statement but no readable Query_time, skipped. */
  badRecords = 0;

  constructor(private readonly onSample: (s: StatementSample) => void) {}

  /** Feeds one line (without its newline). */
  line(l: string): void {
    const c0 = l.charCodeAt(0);
    if (c0 === 35 /* # */ && l.charCodeAt(1) === 32) {
      // "# administrator command: Quit;" is a statement of its own, written where the SQL would be.
      if (l.startsWith('# administrator command:')) { this.pushStmt(l.slice(2)); return; }
      if (this.stmt.length) this.emit();
      this.inHeader = true;
      if (l.startsWith('# Query_time:')) this.readTimes(l);
      else if (l.startsWith('# Thread_id:') || l.startsWith('# User@Host:')) {
        const m = /Schema: (\S+)/.exec(l);
        if (m) this.db = m[1]!;
      }
      return;
    }
    if (this.stmt.length === 0) {
      if (l.length === 0) return;
      // The server's banner when it (re)starts the log.
      if (/^(\/\S+|\S+), Version: /.test(l) || l.startsWith('Tcp port: ') || /^Time\s+Id\s+Command/.test(l)) { if (this.stmt.length) this.emit(); return; }
      if (this.inHeader) {
        if (l.startsWith('SET timestamp=') && l.endsWith(';')) return;
        if (/^use [^;]+;$/i.test(l)) { this.db = l.slice(4, -1).replace(/`/g, ''); return; }
      }
    }
    this.pushStmt(l);
  }

  /** Ends the input: emits the last record. */
  end(): void { if (this.stmt.length) this.emit(); }

  private pushStmt(l: string): void {
    this.inHeader = false;
    if (this.stmtChars <= SLOW_LOG_MAX_STATEMENT_CHARS) this.stmt.push(l);
    this.stmtChars += l.length + 1;
  }

  private readTimes(l: string): void {
    this.queryTime = num(l, 'Query_time:');
    this.rowsSent = num(l, 'Rows_sent:');
    this.rowsExamined = num(l, 'Rows_examined:');
  }

  private emit(): void {
    const text = this.stmt.length === 1 ? this.stmt[0]! : this.stmt.join('\n');
    const tooLong = this.stmtChars > SLOW_LOG_MAX_STATEMENT_CHARS;
    this.stmt = []; this.stmtChars = 0;
    if (this.queryTime === null) { this.badRecords++; return; }
    const fp = tooLong ? { text: '<statement over 1 MB, redacted>', parsed: false } : fingerprintSqlUncached(text, 'mysql');
    this.onSample({ system: 'mysql', fingerprint: fp.text, parsed: fp.parsed, ms: this.queryTime * 1000, rowsSent: this.rowsSent, rowsExamined: this.rowsExamined, database: this.db });
    this.queryTime = null; this.rowsSent = null; this.rowsExamined = null;
  }
}

/** The number after `key` in a header line, or null. */
function num(l: string, key: string): number | null {
  const i = l.indexOf(key);
  if (i < 0) return null;
  let j = i + key.length;
  while (l.charCodeAt(j) === 32) j++;
  let k = j;
  while (k < l.length && l.charCodeAt(k) !== 32) k++;
  const v = Number(l.slice(j, k));
  return Number.isFinite(v) && v >= 0 ? v : null;
}

/** Splits a stream of text chunks into lines, calling `onLine` for each; returns a function to call at the end. */
export function lineSplitter(onLine: (l: string) => void): { push(chunk: string): void; end(): void } {
  let rest = '';
  return {
    push(chunk: string) {
      let start = 0;
      let data = chunk;
      if (rest) { data = rest + chunk; rest = ''; }
      for (;;) {
        const nl = data.indexOf('\n', start);
        if (nl < 0) break;
        const end = nl > start && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(data.slice(start, end));
        start = nl + 1;
      }
      rest = data.slice(start);
      // A line without end is bounded like a statement: beyond the cap it is cut (it can only be statement text).
      if (rest.length > SLOW_LOG_MAX_STATEMENT_CHARS * 2) { onLine(rest); rest = ''; }
    },
    end() { if (rest) onLine(rest); rest = ''; },
  };
}

/** Reads a slow-log file into a digest accumulator, streaming. */
export async function readMysqlSlowLog(file: string, acc: DigestAccumulator): Promise<{ bytes: number; badRecords: number }> {
  const parser = new SlowLogParser((s) => acc.add(s));
  const split = lineSplitter((l) => parser.line(l));
  let bytes = 0;
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) { bytes += chunk.length; split.push(chunk); }
  split.end();
  parser.end();
  return { bytes, badRecords: parser.badRecords };
}
