import * as fs from 'node:fs';
import { isAscii } from 'node:buffer';
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
/**
 * Longest Query_time believed, seconds: one year. The server writes an unsigned difference of two clocks; when the
 * clock steps back it wraps to about 1.8e13 s (584,000 years), which would take the whole share of a digest.
 * pt-query-digest drops such records too; they are counted as bad records.
 */
export const SLOW_LOG_MAX_QUERY_TIME_S = 365 * 24 * 3600;
/** The class of a record whose statement text is empty (some RDS logs hold them). */
export const EMPTY_STATEMENT_CLASS = '<empty statement>';

/** Byte values used to tell header lines apart without decoding them. */
const B_HASH = 35, B_SPACE = 32, B_NL = 10, B_CR = 13, B_COLON = 58;
const latin1Bytes = (t: string) => Buffer.from(t, 'latin1');
const P_QUERY_TIME = latin1Bytes('# Query_time:');
const P_USER_HOST = latin1Bytes('# User@Host:');
const P_TIME = latin1Bytes('# Time:');
const P_THREAD = latin1Bytes('# Thread_id:');
const P_ADMIN = latin1Bytes('# administrator command:');
const P_SET = latin1Bytes('SET ');
const P_USE = latin1Bytes('use ');
const K_QUERY_TIME = latin1Bytes('Query_time:');
const K_ROWS_SENT = latin1Bytes('Rows_sent:');
const K_ROWS_EXAMINED = latin1Bytes('Rows_examined:');
const K_LOCK_TIME = latin1Bytes('Lock_time:');
/** Temporary tables, as counts (Percona `Tmp_tables:`, MySQL 8 log_slow_extra `Created_tmp_tables:`) or as Yes/No (MariaDB `Tmp_table:`). */
const K_TMP_COUNTS = [latin1Bytes('Tmp_tables:'), latin1Bytes('Created_tmp_tables:')];
const K_TMP_DISK_COUNTS = [latin1Bytes('Tmp_disk_tables:'), latin1Bytes('Created_tmp_disk_tables:')];
const K_TMP_YES = latin1Bytes('Tmp_table: Yes');
const K_TMP_DISK_YES = latin1Bytes('Tmp_table_on_disk: Yes');
const K_TMP_NO = latin1Bytes('Tmp_table: No');
const K_TMP_ANY = latin1Bytes('mp_');
const K_SCHEMA = latin1Bytes('Schema: ');
const K_VERSION = latin1Bytes(', Version: ');
const P_TCP = latin1Bytes('Tcp port: ');
const P_TIME_ID = latin1Bytes('Time');
/** The session settings a server (or a replica's relay) writes before a statement: not part of it. */
const SESSION_SET = /^SET\s+(?:timestamp|insert_id|last_insert_id)\s*=\s*\d+(?:\.\d+)?\s*;\s*/i;
/** The lines of the server's banner when it (re)starts or flushes the log. */
const BANNER = /^(?:\S.*, Version: .*started with:|Tcp port: \d+\s+Unix socket: .*|Time\s+Id\s+Command\s+Argument)\s*$/;

/** Index of `p` in buf[s, e), or -1: the search stops at the line's end (a search to the chunk's end per line is quadratic). */
function indexIn(buf: Buffer, s: number, e: number, p: Buffer): number {
  const i = buf.subarray(s, e).indexOf(p);
  return i < 0 ? -1 : s + i;
}

function startsWith(buf: Buffer, s: number, e: number, p: Buffer): boolean {
  if (e - s < p.length) return false;
  for (let i = 0; i < p.length; i++) if (buf[s + i] !== p[i]) return false;
  return true;
}

/** The non-negative decimal number after `key` in buf[s, e), or null. */
function numAfter(buf: Buffer, s: number, e: number, key: Buffer): number | null {
  const i = indexIn(buf, s, e, key);
  if (i < 0) return null;
  let j = i + key.length;
  while (j < e && buf[j] === B_SPACE) j++;
  let int = 0, frac = 0, scale = 1, digits = 0, dot = false;
  for (; j < e; j++) {
    const c = buf[j]!;
    if (c >= 48 && c <= 57) { digits++; if (dot) { frac = frac * 10 + (c - 48); scale *= 10; } else int = int * 10 + (c - 48); }
    else if (c === 46 && !dot) dot = true;
    else break;
  }
  return digits ? int + frac / scale : null;
}

/**
 * Incremental parser: feed it the bytes of whole lines, read samples from
 * `onSample`. Header lines are read as bytes and never decoded; only the
 * statement text is, once per statement.
 */
export class SlowLogParser {
  private inHeader = false;
  private queryTime: number | null = null;
  private rowsSent: number | null = null;
  private rowsExamined: number | null = null;
  private lockTime: number | null = null;
  private tmpTables: number | null = null;
  private tmpDiskTables: number | null = null;
  private db: string | null = null;
  private stmt: string[] = [];
  private stmtChars = 0;
  /** Records with a statement but no readable Query_time, skipped. */
  badRecords = 0;

  constructor(private readonly onSample: (s: StatementSample) => void) {}

  /** Feeds one line as text (without its newline). */
  line(l: string): void { const b = Buffer.from(l, 'utf8'); this.lineBytes(b, 0, b.length, false); }

  /** Feeds the line buf[s, e) (without its newline); `ascii` says the bytes are plain ASCII (faster decoding). */
  lineBytes(buf: Buffer, s: number, e: number, ascii: boolean): void {
    const text = () => buf.toString(ascii ? 'latin1' : 'utf8', s, e);
    if (buf[s] === B_HASH && buf[s + 1] === B_SPACE) {
      // "# administrator command: Quit;" is a statement of its own, written where the SQL would be.
      if (startsWith(buf, s, e, P_ADMIN)) { this.pushStmt(buf.toString(ascii ? 'latin1' : 'utf8', s + 2, e)); return; }
      if (this.stmt.length) this.emit();
      this.inHeader = true;
      if (startsWith(buf, s, e, P_QUERY_TIME)) {
        this.queryTime = numAfter(buf, s, e, K_QUERY_TIME);
        this.rowsSent = numAfter(buf, s, e, K_ROWS_SENT);
        this.rowsExamined = numAfter(buf, s, e, K_ROWS_EXAMINED);
        this.lockTime = numAfter(buf, s, e, K_LOCK_TIME);
      } else if (startsWith(buf, s, e, P_THREAD) || startsWith(buf, s, e, P_USER_HOST)) {
        const i = indexIn(buf, s, e, K_SCHEMA);
        if (i >= 0) {
          let j = i + K_SCHEMA.length; while (j < e && buf[j] !== B_SPACE) j++;
          if (j > i + K_SCHEMA.length) this.db = buf.toString('utf8', i + K_SCHEMA.length, j);
        }
      }
      // Any header line may carry temporary-table figures (which line depends on the server and its verbosity).
      if (indexIn(buf, s, e, K_TMP_ANY) >= 0) this.readTmp(buf, s, e);
      return;
    }
    // The server's banner when it (re)starts or flushes the log: "<path>, Version: ... started with:", "Tcp port: ...",
    // "Time  Id Command  Argument". It ends a statement being collected (it is never part of one).
    // Only a line that ends in "started with:" or starts with "Tcp port: " or "Time" can be one (cheap tests first).
    if (((buf[e - 1] === B_COLON && indexIn(buf, s, e, K_VERSION) > s) || startsWith(buf, s, e, P_TCP) || startsWith(buf, s, e, P_TIME_ID)) && BANNER.test(text())) {
      if (this.stmt.length) this.emit();
      this.inHeader = false;
      return;
    }
    if (this.stmt.length === 0) {
      if (e === s) return;
      if (this.inHeader) {
        if (startsWith(buf, s, e, P_SET) && buf[e - 1] === 59 && SESSION_SET.test(text()) && text().replace(SESSION_SET, '') === '') return;
        if (startsWith(buf, s, e, P_USE) && buf[e - 1] === 59) { this.db = text().slice(4, -1).replace(/`/g, ''); return; }
      }
    }
    this.pushStmt(text());
  }

  private readTmp(buf: Buffer, s: number, e: number): void {
    for (const k of K_TMP_COUNTS) { const n = numAfter(buf, s, e, k); if (n !== null) this.tmpTables = (this.tmpTables ?? 0) + n; }
    for (const k of K_TMP_DISK_COUNTS) { const n = numAfter(buf, s, e, k); if (n !== null) this.tmpDiskTables = (this.tmpDiskTables ?? 0) + n; }
    if (indexIn(buf, s, e, K_TMP_YES) >= 0) this.tmpTables = (this.tmpTables ?? 0) + 1;
    if (indexIn(buf, s, e, K_TMP_DISK_YES) >= 0) this.tmpDiskTables = (this.tmpDiskTables ?? 0) + 1;
    if (this.tmpTables === null && indexIn(buf, s, e, K_TMP_NO) >= 0) this.tmpTables = 0;
  }

  /** Ends the input: emits the last record. */
  end(): void { if (this.stmt.length) this.emit(); }

  private pushStmt(l: string): void {
    this.inHeader = false;
    if (this.stmtChars <= SLOW_LOG_MAX_STATEMENT_CHARS) this.stmt.push(l);
    this.stmtChars += l.length + 1;
  }

  private emit(): void {
    const text = this.stmt.length === 1 ? this.stmt[0]! : this.stmt.join('\n');
    const tooLong = this.stmtChars > SLOW_LOG_MAX_STATEMENT_CHARS;
    this.stmt = []; this.stmtChars = 0;
    const tmp = { tmpTables: this.tmpTables, tmpDiskTables: this.tmpDiskTables };
    this.tmpTables = null; this.tmpDiskTables = null;
    if (this.queryTime === null || this.queryTime > SLOW_LOG_MAX_QUERY_TIME_S) { this.badRecords++; this.queryTime = null; return; }
    // "administrator command: Quit;" is a protocol command, not SQL: its class is its name (as pt-query-digest has it).
    const admin = /^administrator command: ([A-Za-z_ ]{1,40});?$/.exec(text);
    // Session settings glued before the statement on its line (`SET insert_id=5;INSERT ...`) are not part of it.
    let sql = text;
    while (SESSION_SET.test(sql)) sql = sql.replace(SESSION_SET, '');
    const fp = tooLong ? { text: '<statement over 1 MB, redacted>', parsed: false }
      : admin ? { text: `administrator command: ${admin[1]!.toLowerCase()}`, parsed: true } : fingerprintSqlUncached(sql, 'mysql');
    if (fp.parsed && fp.text.trim() === '') fp.text = EMPTY_STATEMENT_CLASS;
    this.onSample({ system: 'mysql', fingerprint: fp.text, parsed: fp.parsed, ms: this.queryTime * 1000, rowsSent: this.rowsSent, rowsExamined: this.rowsExamined, database: this.db,
      lockMs: this.lockTime === null ? null : this.lockTime * 1000, ...tmp });
    this.queryTime = null; this.rowsSent = null; this.rowsExamined = null; this.lockTime = null;
  }
}

/**
 * Reads a file (or a byte range of it) as lines of bytes, in chunks of 1 MiB:
 * lines are found with a native byte search and handed over as offsets into
 * the chunk, so a caller decodes only what it needs.
 */
export async function forEachLineBytes(file: string, onLine: (buf: Buffer, s: number, e: number, ascii: boolean) => void, range?: { start: number; end: number }): Promise<{ bytes: number }> {
  const fh = await fs.promises.open(file, 'r');
  let pos = range?.start ?? 0;
  const stop = range?.end ?? Number.POSITIVE_INFINITY;
  const CHUNK = 1 << 20;
  let buf = Buffer.allocUnsafe(CHUNK);
  let carry = 0; // bytes of an unfinished line at the start of buf
  let bytes = 0;
  const lines = (end: number, final: boolean) => {
    const ascii = isAscii(buf.subarray(0, end));
    let s = 0;
    for (;;) {
      const nl = buf.indexOf(B_NL, s);
      if (nl < 0 || nl >= end) break;
      onLine(buf, s, nl > s && buf[nl - 1] === B_CR ? nl - 1 : nl, ascii);
      s = nl + 1;
    }
    if (final && s < end) onLine(buf, s, buf[end - 1] === B_CR ? end - 1 : end, ascii);
  };
  try {
    for (;;) {
      if (carry === buf.length) { const bigger = Buffer.allocUnsafe(buf.length * 2); buf.copy(bigger, 0, 0, carry); buf = bigger; }
      const want = Math.min(buf.length - carry, stop - pos);
      const { bytesRead } = want > 0 ? await fh.read(buf, carry, want, pos) : { bytesRead: 0 };
      pos += bytesRead;
      bytes += bytesRead;
      const end = carry + bytesRead;
      if (bytesRead === 0) { if (end > 0) lines(end, true); break; }
      const lastNl = buf.lastIndexOf(B_NL, end - 1);
      if (lastNl < 0) {
        // A line longer than the buffer: statements beyond the cap are cut anyway, so pass what we have once it is huge.
        if (end > SLOW_LOG_MAX_STATEMENT_CHARS * 4) { lines(end, true); carry = 0; } else carry = end;
        continue;
      }
      lines(lastNl + 1, false);
      carry = end - lastNl - 1;
      buf.copy(buf, 0, lastNl + 1, end);
    }
  } finally { await fh.close(); }
  return { bytes };
}

/** Reads a file as lines of text (UTF-8; a trailing CR is dropped). */
export async function forEachLine(file: string, onLine: (l: string) => void, range?: { start: number; end: number }): Promise<{ bytes: number }> {
  return forEachLineBytes(file, (buf, s, e, ascii) => onLine(buf.toString(ascii ? 'latin1' : 'utf8', s, e)), range);
}

/** Reads a slow-log file (or the byte range of it that holds whole records) into a digest accumulator, streaming. */
export async function readMysqlSlowLog(file: string, acc: DigestAccumulator, range?: { start: number; end: number }): Promise<{ bytes: number; badRecords: number }> {
  const parser = new SlowLogParser((s) => acc.add(s));
  const { bytes } = await forEachLineBytes(file, (buf, st, en, ascii) => parser.lineBytes(buf, st, en, ascii), range);
  parser.end();
  return { bytes, badRecords: parser.badRecords };
}

/** Files smaller than this are read on one thread: starting workers costs more than it saves (bytes). */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Byte offsets that cut a slow log into `parts` ranges at record starts (a line `# Time:` or `# User@Host:`),
 * so each range can be parsed on its own. A cut lands after a `# Time:` line at worst, which carries nothing.
 */
export async function recordBoundaries(file: string, size: number, parts: number): Promise<number[]> {
  const cuts = [0];
  const fh = await fs.promises.open(file, 'r');
  const WINDOW = 1 << 20;
  const buf = Buffer.allocUnsafe(WINDOW);
  try {
    for (let k = 1; k < parts; k++) {
      let p = Math.max(cuts[cuts.length - 1]!, Math.floor((size * k) / parts));
      let found = -1;
      while (found < 0 && p < size) {
        const { bytesRead } = await fh.read(buf, 0, WINDOW, p);
        if (bytesRead === 0) break;
        const view = buf.subarray(0, bytesRead);
        const a = view.indexOf('\n# User@Host: '); const b = view.indexOf('\n# Time: ');
        const i = a < 0 ? b : b < 0 ? a : Math.min(a, b);
        if (i >= 0) found = p + i + 1; else p += bytesRead - 16;
      }
      if (found < 0) break;
      cuts.push(found);
    }
  } finally { await fh.close(); }
  cuts.push(size);
  return [...new Set(cuts)].sort((x, y) => x - y);
}
