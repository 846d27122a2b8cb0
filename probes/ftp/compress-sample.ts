import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { safely } from '../guard';

/** Bytes of an upload sampled for its compressibility: 64 KiB, enough for gzip's window to see the data's redundancy. */
export const SAMPLE_BYTES = 64 * 1024;

type AnyFn = (...args: unknown[]) => unknown;
interface Writable { write: AnyFn }
interface Pipeable { pipe: AnyFn }

/**
 * Measures how well an upload's data compresses, from its first {@link SAMPLE_BYTES}: the ratio `ftp-uncompressed`
 * needs to price gzip, measured on the job's own bytes rather than assumed. The sample is compressed off the main
 * thread (zlib's thread pool) and only the ratio is kept; the bytes never leave the process.
 *
 * How the bytes are seen without changing the transfer: for a stream source, its next `pipe()` (basic-ftp pipes
 * the source into the data socket) is observed once, and that destination's first writes are read as they pass;
 * both instance properties are restored at once. For a local path, its first bytes are read asynchronously.
 * Anything else (a source never piped) gives no ratio. Never throws.
 */
export function sampleCompressibility(source: unknown, onRatio: (ratio: number) => void): void {
  safely('ftp-compress-sample', () => {
    if (typeof source === 'string') { readHead(source, onRatio); return; }
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

function tapWrites(dest: Writable, onRatio: (ratio: number) => void): void {
  if (!dest || typeof dest.write !== 'function' || Object.prototype.hasOwnProperty.call(dest, 'write')) return;
  const chunks: Buffer[] = [];
  let n = 0;
  const write = dest.write;
  dest.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
    safely('ftp-compress-sample', () => {
      const b = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : null;
      if (b) { chunks.push(Buffer.from(b.subarray(0, SAMPLE_BYTES - n))); n += Math.min(b.length, SAMPLE_BYTES - n); }
      if (n >= SAMPLE_BYTES || !b) { delete (dest as Partial<Writable>).write; if (n > 0) measure(Buffer.concat(chunks, n), onRatio); }
    });
    return write.call(this, chunk, ...rest);
  };
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
  zlib.gzip(sample, { level: 6 }, (err, out) => {
    if (!err && out.length > 0) safely('ftp-compress-sample', () => onRatio(sample.length / out.length));
  });
}
