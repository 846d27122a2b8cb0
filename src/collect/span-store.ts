import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InterruptedError, WriteError } from '../errors';
import type { SpanGroupInfo, SpanKind, SpanRow, SpanSource, TraceSpan } from '../model/trace';

/** Anything spans can be pushed into: a {@link SpanStore}, or a plain array in tests. */
export interface SpanSink {
  push(span: TraceSpan): unknown;
}

/**
 * Rows held in memory before a sorted run is written to the spill file. 2^18 rows x 64 bytes = 16 MiB: large
 * enough that a run of a few hundred thousand spans never touches the disk, small enough that a run of a hundred
 * million spans holds the same 16 MiB (plus one read buffer per run while merging).
 */
export const DEFAULT_CHUNK_ROWS = 1 << 18;

/** Columns of a row (float64 each): start, end, rows (NaN: unknown), pid, group, detail, flags, errorType. */
const COLS = 8;
const ROW_BYTES = COLS * 8;
/** Rows read per file read while merging and streaming (512 KiB). */
const READ_ROWS = 8192;
const KINDS: readonly SpanKind[] = ['db', 'db-connect', 'ftp', 'stage', 'other'];
const KIND_CODE: Readonly<Record<string, number>> = { db: 0, 'db-connect': 1, ftp: 2, stage: 3, other: 4 };

/** Options of {@link SpanStore}. */
export interface SpanStoreOptions {
  /** Rows kept in memory before a sorted run is spilled to disk. Default {@link DEFAULT_CHUNK_ROWS}. */
  chunkRows?: number;
  /** Directory for the spill file. Default `os.tmpdir()` (TMPDIR). */
  tmpDir?: string;
}

/**
 * Where the readers put spans: database spans become fixed-size numeric rows (sorted runs spilled to a temporary
 * file, then merged into one file in start order), FTP and stage spans are also kept whole for the detectors that
 * read their attributes. Memory holds one chunk of rows, the group and error tables and the whole spans, so it
 * does not grow with the number of database calls.
 */
export class SpanStore implements SpanSink {
  /** FTP and stage spans: in push order while writing, sorted by start once {@link SpanStore.finish} ran (a row's `detail` indexes the sorted array). */
  readonly detail: TraceSpan[] = [];
  readonly groups: SpanGroupInfo[] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly byAttrs = new WeakMap<object, number>();
  private readonly errorTypes: string[] = [];
  private readonly errorTypeIndex = new Map<string, number>();
  private readonly chunkRows: number;
  private readonly tmpBase: string;
  private chunk: Float64Array;
  private n = 0;
  private total = 0;
  private dir: string | null = null;
  private runsFile: string | null = null;
  private runsFd: number | null = null;
  private readonly runs: { offset: number; rows: number }[] = [];
  private runsBytes = 0;
  private interrupted: string | null = null;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  constructor(options: SpanStoreOptions = {}) {
    this.chunkRows = Math.max(16, Math.floor(options.chunkRows ?? DEFAULT_CHUNK_ROWS));
    this.tmpBase = options.tmpDir ?? os.tmpdir();
    this.chunk = new Float64Array(Math.min(this.chunkRows, 4096) * COLS);
  }

  /** Spans pushed so far. */
  get count(): number { return this.total; }
  /** Earliest start and latest end of the spans pushed so far, epoch ms (infinite when none). */
  get minStart(): number { return this.lo; }
  get maxEnd(): number { return this.hi; }

  /**
   * Removes the spill file at once and makes every later push or finish throw {@link InterruptedError}: what a
   * command calls from a SIGINT or SIGTERM handler, so that the reading in progress stops at its next span.
   */
  interrupt(signal: string): void {
    this.interrupted = signal;
    this.close();
  }

  /** Adds one span (any order). */
  push(s: TraceSpan): void {
    if (this.interrupted !== null) throw new InterruptedError(this.interrupted);
    const code = KIND_CODE[s.kind] ?? 4;
    let group = -1, detail = -1;
    if (code <= 1) group = this.groupOf(s);
    else if (code <= 3) { detail = this.detail.length; this.detail.push(s); }
    let et = -1;
    if (s.errorType !== null) {
      et = this.errorTypeIndex.get(s.errorType) ?? -1;
      if (et < 0) { et = this.errorTypes.length; this.errorTypes.push(s.errorType); this.errorTypeIndex.set(s.errorType, et); }
    }
    if ((this.n + 1) * COLS > this.chunk.length) {
      if (this.n >= this.chunkRows) this.spillChunk();
      else { const bigger = new Float64Array(Math.min(this.chunkRows, this.n * 2) * COLS); bigger.set(this.chunk); this.chunk = bigger; }
    }
    const o = this.n * COLS, c = this.chunk;
    if (s.start < this.lo) this.lo = s.start;
    if (s.end > this.hi) this.hi = s.end;
    c[o] = s.start; c[o + 1] = s.end; c[o + 2] = s.rows ?? Number.NaN; c[o + 3] = s.pid;
    c[o + 4] = group; c[o + 5] = detail; c[o + 6] = code | (s.error ? 8 : 0); c[o + 7] = et;
    this.n++; this.total++;
  }

  /** The statement class or connect kind of a database span (interned: one entry per distinct class). */
  private groupOf(s: TraceSpan): number {
    const fpAttr = s.attrs['db.fingerprint'];
    // Spans of one shape share their attrs object: when the fingerprint is in it, the object decides the group.
    if (fpAttr !== undefined && s.kind === 'db') { const g = this.byAttrs.get(s.attrs); if (g !== undefined) return g; }
    const system = String(s.attrs['db.system'] ?? '');
    const fingerprint = s.kind === 'db' ? String(fpAttr ?? `<${s.name}>`) : '';
    const key = `${s.kind}\u0000${system}\u0000${fingerprint}\u0000${s.kind === 'db' ? '' : s.name}`;
    let g = this.groupIndex.get(key);
    if (g === undefined) {
      g = this.groups.length;
      this.groups.push({ kind: s.kind as 'db' | 'db-connect', system, fingerprint, name: s.name, parsed: s.attrs['db.fingerprint.unparsed'] !== true });
      this.groupIndex.set(key, g);
    }
    if (fpAttr !== undefined && s.kind === 'db') this.byAttrs.set(s.attrs, g);
    return g;
  }

  /** Sorts the rows in memory by start (stable) and returns them as a new array. */
  private sortedChunk(): Float64Array {
    const n = this.n, c = this.chunk;
    const idx = new Uint32Array(n);
    let inOrder = true;
    for (let i = 0; i < n; i++) { idx[i] = i; if (i > 0 && c[i * COLS]! < c[(i - 1) * COLS]!) inOrder = false; }
    if (inOrder) return c.slice(0, n * COLS);
    idx.sort((a, b) => c[a * COLS]! - c[b * COLS]! || a - b);
    const out = new Float64Array(n * COLS);
    for (let i = 0; i < n; i++) out.set(c.subarray(idx[i]! * COLS, idx[i]! * COLS + COLS), i * COLS);
    return out;
  }

  private spillChunk(): void {
    const sorted = this.sortedChunk();
    try {
      if (this.runsFd === null) {
        this.dir = fs.mkdtempSync(path.join(this.tmpBase, 'batch-doctor-spans-'));
        this.runsFile = path.join(this.dir, 'runs.bin');
        this.runsFd = fs.openSync(this.runsFile, 'w+');
      }
      const buf = Buffer.from(sorted.buffer, sorted.byteOffset, sorted.byteLength);
      let off = 0;
      while (off < buf.length) off += fs.writeSync(this.runsFd, buf, off, buf.length - off, this.runsBytes + off);
    } catch (e) {
      this.close();
      throw new WriteError(this.runsFile ?? this.tmpBase, `${(e as Error).message} (the spill file of the span store; set TMPDIR to a directory with room for about ${Math.ceil((this.total * ROW_BYTES) / 2 ** 20)} MiB)`);
    }
    this.runs.push({ offset: this.runsBytes, rows: this.n });
    this.runsBytes += this.n * ROW_BYTES;
    this.n = 0;
  }

  /**
   * Ends the writing: the spans as a source in start order. Without a spill the rows stay in memory; with one, the
   * sorted runs are merged into one file that every pass then reads from start to end.
   */
  finish(): SpanSource {
    if (this.interrupted !== null) throw new InterruptedError(this.interrupted);
    const groups = this.groups, errorTypes = this.errorTypes, total = this.total;
    // Whole spans sorted by start (stable); rows keep their push-order index, mapped through `rank` when read.
    const order = this.detail.map((_, i) => i).sort((a, b) => this.detail[a]!.start - this.detail[b]!.start || a - b);
    const rank = new Int32Array(order.length);
    order.forEach((from, to) => { rank[from] = to; });
    const sortedDetail = order.map((i) => this.detail[i]!);
    for (let i = 0; i < sortedDetail.length; i++) this.detail[i] = sortedDetail[i]!;
    if (this.runs.length === 0) {
      const rows = this.sortedChunk();
      this.chunk = new Float64Array(0);
      return { groups, count: total, forEach: (fn) => emitRows(rows, total, errorTypes, rank, fn), close: () => undefined };
    }
    if (this.n > 0) this.spillChunk();
    this.chunk = new Float64Array(0);
    const merged = path.join(this.dir!, 'merged.bin');
    try { mergeRuns(this.runsFd!, this.runs, merged); } catch (e) {
      this.close();
      throw new WriteError(merged, `${(e as Error).message} (merging the span store's spill file; set TMPDIR to a directory with room for about ${Math.ceil((2 * total * ROW_BYTES) / 2 ** 20)} MiB)`);
    }
    fs.closeSync(this.runsFd!); this.runsFd = null;
    fs.rmSync(this.runsFile!, { force: true });
    const file = merged;
    return {
      groups, count: total,
      forEach: (fn) => {
        const fd = fs.openSync(file, 'r');
        try {
          const buf = Buffer.alloc(READ_ROWS * ROW_BYTES);
          const f64 = new Float64Array(buf.buffer, buf.byteOffset, READ_ROWS * COLS);
          let pos = 0, left = total;
          while (left > 0) {
            const want = Math.min(left, READ_ROWS);
            readFully(fd, buf, want * ROW_BYTES, pos);
            emitRows(f64, want, errorTypes, rank, fn);
            pos += want * ROW_BYTES; left -= want;
          }
        } finally { fs.closeSync(fd); }
      },
      close: () => this.close(),
    };
  }

  /** Removes the spill directory. Idempotent. */
  close(): void {
    if (this.runsFd !== null) { try { fs.closeSync(this.runsFd); } catch { /* already closed */ } this.runsFd = null; }
    if (this.dir) { fs.rmSync(this.dir, { recursive: true, force: true }); this.dir = null; }
  }
}

/** A source over spans held in memory (tests, small runs): the same rows a store would give. */
export function spanSourceOf(spans: Iterable<TraceSpan>): { source: SpanSource; detail: TraceSpan[] } {
  const store = new SpanStore();
  for (const s of spans) store.push(s);
  return { source: store.finish(), detail: store.detail };
}

function emitRows(c: Float64Array, n: number, errorTypes: readonly string[], rank: Int32Array, fn: (row: SpanRow) => void): void {
  const row: SpanRow = { start: 0, end: 0, pid: 0, kind: 'db', error: false, errorType: null, rows: null, group: -1, detail: -1 };
  for (let i = 0; i < n; i++) {
    const o = i * COLS;
    const flags = c[o + 6]!, et = c[o + 7]!, rows = c[o + 2]!;
    row.start = c[o]!; row.end = c[o + 1]!; row.rows = Number.isNaN(rows) ? null : rows; row.pid = c[o + 3]!;
    row.group = c[o + 4]!; const d = c[o + 5]!; row.detail = d >= 0 ? rank[d]! : -1; row.kind = KINDS[flags & 7]!; row.error = (flags & 8) !== 0;
    row.errorType = et >= 0 ? errorTypes[et]! : null;
    fn(row);
  }
}

function readFully(fd: number, buf: Buffer, bytes: number, pos: number): void {
  let got = 0;
  while (got < bytes) {
    const r = fs.readSync(fd, buf, got, bytes - got, pos + got);
    if (r === 0) throw new Error('the spill file ended early');
    got += r;
  }
}

/** K-way merge of sorted runs (ties: the earlier run first, which keeps the push order) into one file. */
function mergeRuns(fd: number, runs: readonly { offset: number; rows: number }[], outFile: string): void {
  const k = runs.length;
  const bufs = runs.map(() => Buffer.alloc(READ_ROWS * ROW_BYTES));
  const views = bufs.map((b) => new Float64Array(b.buffer, b.byteOffset, READ_ROWS * COLS));
  const pos = new Float64Array(k), left = new Float64Array(k), have = new Int32Array(k), at = new Int32Array(k);
  const fill = (r: number): boolean => {
    if (left[r]! <= 0) return false;
    const want = Math.min(left[r]!, READ_ROWS);
    readFully(fd, bufs[r]!, want * ROW_BYTES, pos[r]!);
    pos[r]! += want * ROW_BYTES; left[r]! -= want; have[r] = want; at[r] = 0;
    return true;
  };
  // A binary heap of run numbers ordered by (current row's start, run number).
  const heap: number[] = [];
  const less = (a: number, b: number) => { const x = views[a]![at[a]! * COLS]!, y = views[b]![at[b]! * COLS]!; return x < y || (x === y && a < b); };
  const up = (i: number) => { while (i > 0) { const p = (i - 1) >> 1; if (!less(heap[i]!, heap[p]!)) break; [heap[i], heap[p]] = [heap[p]!, heap[i]!]; i = p; } };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1; let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!]; i = m;
    }
  };
  for (let r = 0; r < k; r++) { pos[r] = runs[r]!.offset; left[r] = runs[r]!.rows; if (fill(r)) { heap.push(r); up(heap.length - 1); } }
  const out = fs.openSync(outFile, 'w');
  try {
    const obuf = Buffer.alloc(READ_ROWS * ROW_BYTES);
    const ov = new Float64Array(obuf.buffer, obuf.byteOffset, READ_ROWS * COLS);
    let on = 0;
    const flush = () => { let off = 0; const len = on * ROW_BYTES; while (off < len) off += fs.writeSync(out, obuf, off, len - off); on = 0; };
    while (heap.length) {
      const r = heap[0]!;
      ov.set(views[r]!.subarray(at[r]! * COLS, at[r]! * COLS + COLS), on * COLS);
      if (++on === READ_ROWS) flush();
      at[r]!++;
      if (at[r]! >= have[r]! && !fill(r)) { const last = heap.pop()!; if (heap.length) { heap[0] = last; down(0); } }
      else down(0);
    }
    flush();
  } finally { fs.closeSync(out); }
}
