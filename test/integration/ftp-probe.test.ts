import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllSpans } from '../helpers/read-all-spans';

import { requireServer, ROOT, run, testbedEnv } from '../helpers/testbed';

// The basic-ftp instrumentation against a real vsftpd.
describe('basic-ftp probe (vsftpd)', () => {
  beforeAll(async () => { const e = testbedEnv(); await requireServer('vsftpd', e['FTP_HOST']!, Number(e['FTP_PORT'])); });

  it('records connect, uploads with bytes and mode, download, list and the 550 of a missing file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-ftp-'));
    const env = { ...process.env, ...testbedEnv(), BATCH_DOCTOR_TRACE_DIR: dir };
    const r = await run(process.execPath, ['--require', path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js'), 'fixtures/pipelines/ftp-probe/ftp-calls.cjs'], { env, cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ got: 100000, listed: 2, code: 550 });
    const m = await readAllSpans(dir);
    const ftp = m.spans.filter((s) => s.kind === 'ftp');
    const names = ftp.map((s) => s.name);
    expect(names).toContain('ftp.connect');
    expect(names).toContain('ftp.list');
    const uploads = ftp.filter((s) => s.name === 'ftp.upload');
    expect(uploads.map((u) => u.attrs['ftp.bytes'])).toEqual([100000, expect.any(Number)]);
    expect(uploads.map((u) => u.attrs['ftp.transfer.mode'])).toEqual(['binary', 'ascii']);
    expect(uploads[0]!.attrs['ftp.remote.ext']).toBe('.bin');
    const downloads = ftp.filter((s) => s.name === 'ftp.download');
    expect(downloads[0]!.attrs['ftp.bytes']).toBe(100000);
    expect(downloads[1]!.error).toBe(true);
    expect(downloads[1]!.attrs['ftp.response.code']).toBe('550');
    expect(uploads[0]!.attrs['server.port']).toBe(Number(testbedEnv()['FTP_PORT']));
    const raw = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    expect(raw).not.toContain(testbedEnv()['FTP_PASSWORD']!);
    expect(raw).not.toContain('binary.bin'); // remote paths are reduced to their extension by default
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
