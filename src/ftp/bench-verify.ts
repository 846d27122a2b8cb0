import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { FtpVerificationError } from '../errors';

/**
 * ftp-bench's checks that a transfer really happened: an upload's size on the server, a download's bytes by
 * SHA-256. Each throws an {@link FtpVerificationError} (BD_FTP_VERIFY) saying which file and what differed.
 */

/** A local file the benchmark sends: its name, path, size and SHA-256. */
export interface LocalFile { name: string; file: string; size: number; sha256: string }

/** A Writable that hashes what it receives, and can stop after `limit` bytes. */
export class HashSink extends Writable {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly limit = Infinity, private readonly onFull?: () => void) { super(); }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const take = Math.min(chunk.length, this.limit - this.bytes);
    if (take > 0) { this.hash.update(take === chunk.length ? chunk : chunk.subarray(0, take)); this.bytes += take; }
    if (this.bytes >= this.limit) this.onFull?.();
    cb();
  }
}

/** An upload stored with the size it was sent with, or throws. */
export function verifyUploadSize(remoteName: string, serverSize: number, sentSize: number): void {
  if (serverSize !== sentSize) throw new FtpVerificationError(`the upload ${remoteName} has ${serverSize} bytes on the server, ${sentSize} were sent`);
}

/** A download received whole into a {@link HashSink} equal to the file it was uploaded from, or throws. */
export function verifyDownload(what: string, sink: HashSink, f: Pick<LocalFile, 'size' | 'sha256'>): void {
  if (sink.bytes !== f.size || sink.hash.digest('hex') !== f.sha256) throw new FtpVerificationError(`${what} came back different (${sink.bytes} bytes, ${f.size} uploaded; SHA-256 compared)`);
}

/** Bytes received (a reassembled segmented download) equal to the file they were uploaded from, or throws. */
export function verifyBytes(what: string, bytes: Buffer, f: Pick<LocalFile, 'size' | 'sha256'>): void {
  if (bytes.length !== f.size || createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new FtpVerificationError(`${what} came back different (${bytes.length} bytes, ${f.size} uploaded; SHA-256 compared)`);
}
