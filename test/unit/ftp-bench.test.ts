import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferLimits, knee } from '../../src/ftp/bench';
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
