import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { parse as parseCsvSync } from 'csv-parse/sync';
import type { DigestAccumulator } from '../digest';
import type { DigestSource } from '../../model/db';
import { readMysqlSlowLog } from './mysql-slow-log';
import { readMysqlSlowLogParallel } from './parallel-slow-log';
import { jsonLogEntry, readPostgresLog, syslogToStderr, type PostgresLogFormat } from './postgresql-log';

/** Bytes read from the start of a log to tell its format. */
export const SNIFF_BYTES = 64 * 1024;

/** What a log file is, told from its content (never from its name alone). */
export type LogKind =
  | { kind: 'mysql' }
  | { kind: 'postgresql'; format: PostgresLogFormat; durations: boolean }
  | { kind: 'empty' }
  | { kind: 'compressed'; codec: 'gzip' | 'zstd' | 'bzip2' | 'xz' }
  | { kind: 'binary' }
  | { kind: 'unknown' };

const MYSQL_HEADER = /^# (?:Query_time|User@Host|Time|Thread_id): /m;
const MYSQL_BANNER = /^\S.*, Version: .*started with:\s*$/m;
/** A stderr entry of any log_line_prefix: a level word, a colon and one or two spaces. */
const PG_ENTRY = /^\S.*?\b(?:LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DETAIL|HINT|STATEMENT): {1,2}\S/m;
const PG_DURATION = /duration: [0-9.]+ ms/;
/** csvlog's first column: the log time. */
const CSV_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [^,]*,/;

/** Tells a log's kind from its first {@link SNIFF_BYTES}. */
export function sniffLog(head: Buffer): LogKind {
  if (head.length === 0) return { kind: 'empty' };
  if (head[0] === 0x1f && head[1] === 0x8b) return { kind: 'compressed', codec: 'gzip' };
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return { kind: 'compressed', codec: 'zstd' };
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return { kind: 'compressed', codec: 'bzip2' };
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return { kind: 'compressed', codec: 'xz' };
  if (head.subarray(0, 4096).includes(0)) return { kind: 'binary' };
  const text = head.toString('utf8');
  if (text.trim() === '') return { kind: 'empty' };
  const durations = PG_DURATION.test(text);
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 50);
  // JSON lines: PostgreSQL's jsonlog, or CloudNativePG's records (its operator's own lines interleave).
  const json = lines.map(jsonLogEntry);
  if (json.some((e) => e !== null)) {
    return { kind: 'postgresql', format: lines.some((l) => l.includes('"record"') && l.includes('"logger"')) ? 'cnpg' : 'jsonlog', durations };
  }
  if (MYSQL_HEADER.test(text) || MYSQL_BANNER.test(text)) return { kind: 'mysql' };
  if (lines.some((l) => syslogToStderr(l) !== null && PG_ENTRY.test(syslogToStderr(l)!))) return { kind: 'postgresql', format: 'syslog', durations };
  if (CSV_START.test(lines[0] ?? '')) {
    try {
      // Parse whole records from the head (the last may be cut off): csvlog has 22 to 26 columns.
      const recs = parseCsvSync(text.slice(0, text.lastIndexOf('\n') + 1), { relax_column_count: true, relax_quotes: true, skip_records_with_error: true }) as string[][];
      if (recs.length && recs.every((r) => r.length >= 22)) return { kind: 'postgresql', format: 'csvlog', durations };
    } catch { /* not CSV */ }
  }
  if (PG_ENTRY.test(text)) return { kind: 'postgresql', format: 'stderr', durations };
  return { kind: 'unknown' };
}

/** Reads the first {@link SNIFF_BYTES} of a file. */
export function readHead(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    return buf.subarray(0, fs.readSync(fd, buf, 0, SNIFF_BYTES, 0));
  } finally { fs.closeSync(fd); }
}

/** Whether this Node can decompress the codec (zstd needs Node 22.15+ / 23.8+). */
export function canDecompress(codec: string): boolean {
  return codec === 'gzip' || (codec === 'zstd' && typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function');
}

/** A fresh private directory for a decompressed log (the caller removes it, also when interrupted). */
export function makeLogTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'batch-doctor-log-'));
}

/**
 * Decompresses a log into a private temporary file (mode 600) in `dir` (from {@link makeLogTempDir}) and returns its
 * path. Logs are read several times (format, parallel ranges), so they are decompressed once.
 */
export async function decompressToTemp(file: string, codec: 'gzip' | 'zstd', dir: string): Promise<{ path: string; dir: string }> {
  const out = path.join(dir, path.basename(file).replace(/\.(gz|zst)$/i, '') || 'log');
  const z = codec === 'gzip' ? zlib.createGunzip() : (zlib as unknown as { createZstdDecompress: () => NodeJS.ReadWriteStream }).createZstdDecompress();
  try {
    await pipeline(fs.createReadStream(file), z, fs.createWriteStream(out, { mode: 0o600 }));
  } catch (err) {
    fs.rmSync(out, { force: true });
    throw err;
  }
  return { path: out, dir };
}

/** A log type to read: a MySQL/MariaDB slow log, or a PostgreSQL log in one of its formats. */
export type LogType = { kind: 'mysql' } | { kind: 'postgresql'; format: PostgresLogFormat };

/**
 * Reads a log of a known type into `acc`: the whole file (a MySQL slow log on several threads when it is large), or
 * the byte range given (what a log grew by during a run).
 */
export async function readLog(file: string, acc: DigestAccumulator, type: LogType, range?: { start: number; end: number }): Promise<{ source: DigestSource; badRecords: number }> {
  if (type.kind === 'mysql') {
    const r = range ? await readMysqlSlowLog(file, acc, range) : await readMysqlSlowLogParallel(file, acc);
    return { source: 'mysql-slow-log', badRecords: r.badRecords };
  }
  return { source: 'postgresql-log', badRecords: (await readPostgresLog(file, acc, type.format, range)).badRecords };
}
