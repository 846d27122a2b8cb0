import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { SAMPLES_PER_KIND, sampleCompressibility } from '../../probes/ftp/compress-sample';

let file = 0;
/** The ratio sampled from `source`, uploaded as a file of its own kind (`remote`, default a new extension each time). */
const ratioOf = (source: unknown, run: () => Promise<void>, remote = `out.k${file++}`): Promise<number | null> => new Promise((resolve, reject) => {
  let ratio: number | null = null;
  sampleCompressibility(source, remote, (r) => { ratio = r; });
  run().then(() => setTimeout(() => resolve(ratio), 200), reject);
});

describe('the probes\' compressibility sample of an upload', () => {
  const text = Buffer.from('id,customer,amount\n'.repeat(20_000));
  const random = crypto.randomBytes(300_000);

  it('reads the first bytes a piped stream writes, gives the gzip ratio, and leaves the stream and the socket as they were', async () => {
    const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
    const src = Readable.from([text]);
    const dest = sink();
    const received: Buffer[] = [];
    dest.on('pipe', () => undefined);
    const r = await ratioOf(src, () => new Promise<void>((res) => { src.pipe(dest); dest.on('finish', () => res()); }));
    expect(r).toBeGreaterThan(20);
    expect(Object.prototype.hasOwnProperty.call(src, 'pipe')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(dest, 'write')).toBe(false);
    // The bytes that pass are untouched.
    const src2 = Readable.from([random]);
    const pass = new PassThrough();
    pass.on('data', (d: Buffer) => received.push(d));
    const r2 = await ratioOf(src2, () => pipeline(src2, pass));
    void r2;
    expect(Buffer.concat(received).equals(random)).toBe(true);
    const src3 = Readable.from([random]);
    const r3 = await ratioOf(src3, () => new Promise<void>((res) => { const d = sink(); src3.pipe(d); d.on('finish', () => res()); }));
    expect(r3).toBeLessThan(1.05);
  });

  it('reads a local file\'s head, and gives nothing for what it cannot read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-cs-'));
    const f = path.join(dir, 'x.csv');
    fs.writeFileSync(f, text);
    expect(await ratioOf(f, async () => undefined)).toBeGreaterThan(20);
    expect(await ratioOf(path.join(dir, 'missing'), async () => undefined)).toBeNull();
    expect(await ratioOf(42, async () => undefined)).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('samples the first uploads of each kind of file only, so its cost does not grow with the number of files', async () => {
    const ratios: (number | null)[] = [];
    for (let i = 0; i < SAMPLES_PER_KIND + 3; i++) ratios.push(await ratioOf(text, async () => undefined, `export/part-${i}.CSV`));
    expect(ratios.slice(0, SAMPLES_PER_KIND).every((r) => r !== null && r > 20)).toBe(true);
    expect(ratios.slice(SAMPLES_PER_KIND)).toEqual([null, null, null]);
    // Another kind has a budget of its own.
    expect(await ratioOf(text, async () => undefined, 'export/part-0.json')).toBeGreaterThan(20);
  });
});
