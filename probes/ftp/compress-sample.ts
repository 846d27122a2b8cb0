import * as fs from 'node:fs';
import * as path from 'node:path';
import { safely } from '../guard';

/** Bytes of an upload sampled for its compressibility: 64 KiB, enough for gzip's window to see the data's redundancy. */
export const SAMPLE_BYTES = 64 * 1024;

/**
 * Uploads sampled per kind of file (the remote path's extension; one kind for paths without one), per process: 4.
 * A job's files of one kind come from one writer and compress alike, and the analysis weighs the sampled ratios by
 * bytes, so more samples of a kind add little. Each sample costs a 64 KiB copy on the main thread and a gzip -6 of
 * it on zlib's thread pool (~1.3 ms of CPU on incompressible data, this project's machine); sampling every upload
 * made the cost grow with the number of files: 24 SFTP uploads of 192 KiB paid ~40 ms of main-thread time and ~30 ms
 * of pool CPU (docs/overhead.md, 2026-12-07 later).
 */
export const SAMPLES_PER_KIND = 4;

const sampledPerKind = new Map<string, number>();

/**
 * Whether an upload to `remotePath` is sampled: true for the first {@link SAMPLES_PER_KIND} uploads of its kind
 * (extension), counting this one. Never throws.
 */
export function takeSample(remotePath: unknown): boolean {
  const kind = typeof remotePath === 'string' ? path.extname(remotePath).toLowerCase() : '';
  const n = sampledPerKind.get(kind) ?? 0;
  if (n >= SAMPLES_PER_KIND) return false;
  sampledPerKind.set(kind, n + 1);
  return true;
}

type AnyFn = (...args: unknown[]) => unknown;
interface Writable { write: AnyFn }
interface Pipeable { pipe: AnyFn }

/**
 * Measures how well an upload's data compresses (the first {@link SAMPLES_PER_KIND} uploads of each kind of file, see
 * {@link takeSample}), from its first {@link SAMPLE_BYTES}: the ratio `ftp-uncompressed`
 * needs to price gzip, measured on the job's own bytes rather than assumed. The sample is compressed off the main
 * thread (zlib's thread pool) and only the ratio is kept; the bytes never leave the process.
 *
 * How the bytes are seen without changing the transfer: for a stream source, its next `pipe()` (basic-ftp pipes
 * the source into the data socket) is observed once, and that destination's first writes are read as they pass;
 * both instance properties are restored at once. For a local path, its first bytes are read asynchronously.
 * Anything else (a source never piped) gives no ratio. Never throws.
 */
export function sampleCompressibility(source: unknown, remotePath: unknown, onRatio: (ratio: number) => void): void {
  safely('ftp-compress-sample', () => {
    if (!takeSample(remotePath)) return;
    if (typeof source === 'string') { readHead(source, onRatio); return; }
    if (Buffer.isBuffer(source)) { measure(Buffer.from(source.subarray(0, SAMPLE_BYTES)), onRatio); return; }
    const s = source as Pipeable | null;
    if (!s || typeof s.pipe !== 'function' || Object.prototype.hasOwnProperty.call(s, 'pipe')) return;
    const pipe = s.pipe;
    s.pipe = function (this: unknown, dest: unknown, ...rest: unknown[]) {
      delete (s as Partial<Pipeable>).pipe;
      safely('ftp-compress-sample', () => tapWrites(dest as Writable, onRatio));
      return pipe.call(this, dest, ...rest);
    };
  });
}

/** Samples the first {@link SAMPLE_BYTES} written to `dest` (a stream the job writes or pipes into), as for a piped source. */
export function sampleWrites(dest: unknown, remotePath: unknown, onRatio: (ratio: number) => void): void {
  safely('ftp-compress-sample', () => { if (takeSample(remotePath)) tapWrites(dest as Writable, onRatio); });
}

/**
 * Reads the first {@link SAMPLE_BYTES} written to `dest` as they pass: its `write` calls and the chunk of its
 * `end(chunk)` (how a whole Buffer is often sent), measured once full or at `end`. Both instance properties are
 * removed (restoring the prototype's) as soon as the sample is taken.
 */
function tapWrites(dest: Writable & { end?: AnyFn }, onRatio: (ratio: number) => void): void {
  if (!dest || typeof dest.write !== 'function' || Object.prototype.hasOwnProperty.call(dest, 'write') || Object.prototype.hasOwnProperty.call(dest, 'end')) return;
  const chunks: Buffer[] = [];
  let n = 0;
  let done = false;
  const write = dest.write;
  const end = dest.end;
  const finish = () => {
    if (done) return;
    done = true;
    delete (dest as Partial<Writable>).write;
    if (typeof end === 'function') delete (dest as { end?: AnyFn }).end;
    if (n > 0) measure(Buffer.concat(chunks, n), onRatio);
  };
  /** Adds a chunk to the sample; false when it is not bytes (the sample stops there). */
  const take = (chunk: unknown): boolean => {
    const b = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : null;
    if (!b) return false;
    chunks.push(Buffer.from(b.subarray(0, SAMPLE_BYTES - n)));
    n += Math.min(b.length, SAMPLE_BYTES - n);
    return true;
  };
  dest.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
    safely('ftp-compress-sample', () => { if (!take(chunk) || n >= SAMPLE_BYTES) finish(); });
    return write.call(this, chunk, ...rest);
  };
  if (typeof end === 'function') {
    dest.end = function (this: unknown, ...args: unknown[]) {
      safely('ftp-compress-sample', () => { if (args.length && typeof args[0] !== 'function' && args[0] != null) take(args[0]); finish(); });
      return end.apply(this, args);
    };
  }
}

function readHead(file: string, onRatio: (ratio: number) => void): void {
  fs.open(file, 'r', (err, fd) => {
    if (err) return;
    const buf = Buffer.allocUnsafe(SAMPLE_BYTES);
    fs.read(fd, buf, 0, SAMPLE_BYTES, 0, (e, bytes) => {
      fs.close(fd, () => undefined);
      if (!e && bytes > 0) safely('ftp-compress-sample', () => measure(buf.subarray(0, bytes), onRatio));
    });
  });
}

/** Samples under this size say little about a file (headers dominate): no ratio. */
const MIN_SAMPLE_BYTES = 4096;

function measure(sample: Buffer, onRatio: (ratio: number) => void): void {
  if (sample.length < MIN_SAMPLE_BYTES) return;
  // Loaded on the first sample only: most jobs upload nothing, and node:zlib (with the stream modules it loads) costs
  // ~1-3 ms of start-up in every profiled process.
  const zlib = require('node:zlib') as typeof import('node:zlib');
  zlib.gzip(sample, { level: 6 }, (err, out) => {
    if (!err && out.length > 0) safely('ftp-compress-sample', () => onRatio(sample.length / out.length));
  });
}
