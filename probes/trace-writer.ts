import * as fs from 'node:fs';
import * as path from 'node:path';
import { faultInjected, safely } from './guard';
import { FAST_BLOCK_COLUMNS, type CompactSpan, type FastSpanBlockRecord, type TraceRecord } from './trace-records';

/** Records buffered in memory before a synchronous flush to disk (a bound on memory: ~2 KB each at most). */
export const FLUSH_EVERY_RECORDS = 5000;
/** Columns of a buffered fast-path span: as written (shape, sequence, start, end, rows). */
const FAST_COLUMNS = FAST_BLOCK_COLUMNS;
/** Flush period, ms. Short enough that a killed process loses little; the timer is unref'd. */
export const FLUSH_INTERVAL_MS = 1000;

const jsonOrNull = (v: string | null) => (v === null ? 'null' : JSON.stringify(v));
/** JSON of a compact span, built by hand: it runs once per database call in the host, ~5x faster than JSON.stringify. */
function compactLine(r: CompactSpan): string {
  return `[${r[0]},"${r[1]}",${r[2] === null ? 'null' : `"${r[2]}"`},${r[3]},${r[4]},${r[5] ?? 'null'},${jsonOrNull(r[6])}]`;
}

/**
 * Appends trace records to `trace-<pid>.jsonl` (`trace-<pid>-t<threadId>.jsonl` in a worker thread) in the trace directory. Writes
 * are synchronous and batched: one small write per second or per
 * {@link FLUSH_EVERY_RECORDS} records, and a final one from the `exit` event, so
 * nothing is lost when the host calls `process.exit()`. A failing disk disables
 * the writer; it never throws.
 */
export class TraceWriter {
  private fd: number | null = null;
  private buffer: string[] = [];
  /**
   * Fast-path spans, buffered as numbers in columns (shape, sequence, start, end, rows): nothing is built per
   * call, and no per-call string waits in the heap for the flush (each young-generation collection would copy
   * it). Parents and error types are references to existing strings. Written at flush as one
   * {@link FastSpanBlockRecord}.
   */
  private readonly fastCols = new Float64Array(FAST_COLUMNS * FLUSH_EVERY_RECORDS);
  private readonly fastParents: (string | null)[] = new Array<string | null>(FLUSH_EVERY_RECORDS).fill(null);
  private readonly fastErrors = new Map<number, string>();
  private fastN = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Records that could not be written. */
  dropped = 0;
  readonly file: string;

  /** `dir` null: an inactive writer that writes nothing (forwarding only). A worker thread (`threadId` > 0) writes `trace-<pid>-t<threadId>.jsonl`. */
  constructor(dir: string | null, pid: number, threadId = 0) {
    this.file = dir === null ? '' : path.join(dir, threadId ? `trace-${pid}-t${threadId}.jsonl` : `trace-${pid}.jsonl`);
    if (dir === null) return;
    safely('writer', () => {
      if (faultInjected('writer')) throw new Error('injected writer fault');
      this.fd = fs.openSync(this.file, 'a', 0o600);
      this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    });
  }

  /** True when records are being written. */
  get active(): boolean { return this.fd !== null; }

  /**
   * The most memory the writer's buffers held, bytes: the longest queue of serialized records between two flushes
   * (one byte per character: the records are ASCII JSON) plus the fast-path columns, allocated once.
   */
  get peakBufferBytes(): number {
    return Math.max(this.peakPendingChars, this.pendingChars) + this.fastCols.byteLength + this.fastParents.length * 8;
  }

  private pendingChars = 0;
  private peakPendingChars = 0;

  /** Queues one record. */
  write(record: TraceRecord | CompactSpan): void {
    if (this.fd === null) { this.dropped++; return; }
    const line = safely('serialize', () => (Array.isArray(record) ? compactLine(record) : JSON.stringify(record)));
    if (line === undefined) { this.dropped++; return; }
    this.buffer.push(line);
    this.pendingChars += line.length;
    if (this.buffer.length >= FLUSH_EVERY_RECORDS) this.flush();
  }

  /** Queues one fast-path span (`rows` and `errorType` null as in {@link CompactSpan}); see {@link FastSpanBlockRecord}. */
  writeFast(shapeId: number, seq: number, parentSpanId: string | null, start: number, end: number, rows: number | null, errorType: string | null): void {
    if (this.fd === null) { this.dropped++; return; }
    const i = this.fastN++;
    const c = this.fastCols, o = i * FAST_COLUMNS;
    c[o] = shapeId; c[o + 1] = seq; c[o + 2] = start; c[o + 3] = end; c[o + 4] = rows === null ? Number.NaN : rows;
    this.fastParents[i] = parentSpanId;
    if (errorType !== null) this.fastErrors.set(i, errorType);
    if (this.fastN >= FLUSH_EVERY_RECORDS) this.flush();
  }

  /** Appends the buffered fast-path spans as one block line (after the string records: shapes precede their spans). */
  private drainFast(into: string[]): void {
    const n = this.fastN;
    const bytes = Buffer.allocUnsafe(n * FAST_COLUMNS * 8);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const c = this.fastCols;
    // Little-endian whatever the host: a plain copy on x64 and arm64.
    for (let k = 0; k < n * FAST_COLUMNS; k++) view.setFloat64(k * 8, c[k]!, true);
    const parents: [number, string][] = [];
    for (let i = 0; i < n; i++) {
      const p = this.fastParents[i];
      if (p !== null && p !== undefined) { parents.push([i, p]); this.fastParents[i] = null; }
    }
    const block: FastSpanBlockRecord = { type: 'fast', n, cols: bytes.toString('base64'), parents, errors: [...this.fastErrors] };
    into.push(JSON.stringify(block));
    this.fastN = 0;
    this.fastErrors.clear();
  }

  /** Writes the buffer to disk now. */
  flush(): void {
    if (this.fd === null) return;
    if (this.fastN > 0) safely('serialize', () => this.drainFast(this.buffer));
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    this.buffer = [];
    if (this.pendingChars > this.peakPendingChars) this.peakPendingChars = this.pendingChars;
    this.pendingChars = 0;
    const ok = safely('writer', () => { fs.writeSync(this.fd!, lines.join('\n') + '\n'); return true; });
    if (!ok) { this.dropped += lines.length; this.close(); }
  }

  /** Flushes and closes the file. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.fd === null) return;
    const fd = this.fd;
    if (this.buffer.length || this.fastN) this.flush();
    this.fd = null;
    safely('writer', () => fs.closeSync(fd));
  }
}
