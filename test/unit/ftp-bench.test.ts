import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferLimits, knee } from '../../src/ftp/bench';
import { recommend } from '../../src/ftp/bench-analysis';
import { HashSink, verifyBytes, verifyDownload, verifyUploadSize } from '../../src/ftp/bench-verify';
import { FtpVerificationError } from '../../src/errors';
import { createHash } from 'node:crypto';
import { parseFtpUrl, passwordFromNetrc } from '../../src/ftp/target';
import type { FtpBenchCell } from '../../src/model/ftp-bench';

const cell = (streams: number, throughput: number, files = 8): FtpBenchCell => ({
  workload: 'large-files', direction: 'upload', streams, files, bytes: 1, wallMs: 1, throughput, verified: true, refusedConnections: 0,
});

describe('ftp-bench analysis', () => {
  it('the knee is the smallest stream count within 10% of the best', () => {
    expect(knee([cell(1, 10), cell(2, 19), cell(4, 37), cell(8, 40)])).toEqual({ streams: 4, throughput: 37 });
    expect(knee([cell(1, 10), cell(2, 10.5), cell(4, 10.2)])).toEqual({ streams: 1, throughput: 10 });
    expect(knee([])).toBeNull();
  });

  it('recognises a per-session cap by near-linear scaling, counting only the files that could run at once', () => {
    expect(inferLimits([cell(1, 4), cell(2, 7.9), cell(4, 15.5)], []).perSessionCapLikely).toBe(true);
    expect(inferLimits([cell(1, 4), cell(4, 15.5, 4), cell(8, 15.6, 4)], []).perSessionCapLikely).toBe(true);
    expect(inferLimits([cell(1, 10), cell(4, 12)], []).perSessionCapLikely).toBe(false);
    const l = inferLimits([cell(1, 4)], [{ streams: 8, codes: ['421', '421', '421'] }]);
    expect(l.maxConnections).toBe(5);
    expect(l.notes[0]).toContain('421');
  });

  it('parses URLs relative to the login directory and refuses passwords in them', () => {
    expect(parseFtpUrl('ftp://bob@h:2121/')).toMatchObject({ host: 'h', port: 2121, user: 'bob', dir: '', tls: false });
    expect(parseFtpUrl('ftps://bob@h/up/in/')).toMatchObject({ port: 21, dir: 'up/in', tls: true });
    expect(parseFtpUrl('ftp://bob@h/%2Ftmp')).toMatchObject({ dir: '/tmp' });
    expect(() => parseFtpUrl('ftp://bob:pw@h/')).toThrow(/Do not put the password in the URL/);
    expect(() => parseFtpUrl('http://h/')).toThrow(/ftp:\/\//);
  });

  it('reads .netrc, and refuses one that others can read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-netrc-u-'));
    const f = path.join(dir, '.netrc');
    fs.writeFileSync(f, 'machine other login x password nope\nmachine h login bob password s3cret\ndefault login anonymous password guest\n', { mode: 0o600 });
    expect(passwordFromNetrc(f, 'h', 'bob')).toBe('s3cret');
    expect(passwordFromNetrc(f, 'zzz', 'anonymous')).toBe('guest');
    fs.chmodSync(f, 0o640);
    expect(() => passwordFromNetrc(f, 'h', 'bob')).toThrow(/chmod 600/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('ftp-bench verification (pure checks)', () => {
  const bytes = Buffer.from('the bytes that were sent');
  const f = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  it('passes what came back equal, and throws BD_FTP_VERIFY naming the file for a wrong size or wrong bytes', () => {
    expect(() => verifyUploadSize('a.bin', 24, 24)).not.toThrow();
    expect(() => verifyUploadSize('a.bin', 12, 24)).toThrow(expect.objectContaining({ code: 'BD_FTP_VERIFY', message: expect.stringContaining('the upload a.bin has 12 bytes on the server, 24 were sent') }));
    expect(() => verifyBytes('the download of a.bin', bytes, f)).not.toThrow();
    const flipped = Buffer.from(bytes); flipped[0] = flipped[0]! ^ 1;
    expect(() => verifyBytes('the download of a.bin', flipped, f)).toThrow(FtpVerificationError);
    expect(() => verifyBytes('the download of a.bin', bytes.subarray(1), f)).toThrow(/the download of a.bin came back different \(23 bytes, 24 uploaded/);
  });
  it('a HashSink hashes what it is given, up to its limit', async () => {
    const sink = new HashSink();
    await new Promise<void>((resolve, reject) => sink.end(bytes, () => resolve()).on('error', reject));
    expect(() => verifyDownload('x', sink, f)).not.toThrow();
  });
});

describe('ftp-bench recommendations', () => {
  const c = (workload: FtpBenchCell['workload'], direction: FtpBenchCell['direction'], streams: number, throughput: number, files = 4, bytes = 4e6): FtpBenchCell =>
    ({ workload, direction, streams, files, bytes, wallMs: (bytes / throughput) * 1000, throughput, verified: true, refusedConnections: 0 });
  it('recommends each workload at its knee, and prices small files\' per-file overhead against large files\' throughput', () => {
    const cells = [c('large-files', 'upload', 1, 1e6), c('large-files', 'upload', 4, 3.9e6), c('large-files', 'upload', 8, 4e6),
      c('small-files', 'upload', 1, 0.5e6, 100, 1e6), c('small-files', 'upload', 4, 1.9e6, 100, 1e6)];
    const r = recommend(cells);
    expect(r.recommendations).toEqual([
      { workload: 'small-files', direction: 'upload', streams: 4, throughput: 1.9e6, singleStreamThroughput: 0.5e6 },
      { workload: 'large-files', direction: 'upload', streams: 4, throughput: 3.9e6, singleStreamThroughput: 1e6 },
    ]);
    // 100 small files of 10 kB took 2 s at one stream; their bytes alone at 1 MB/s take 1 s: 10 ms per file.
    expect(r.perFileOverheadMs).toBeCloseTo(10, 6);
  });
});
