import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/testbed';

/** `slow-log` says what it found: compressed logs are read, empty and unknown files and logs without durations are named as such. */
const LOGS = path.join(ROOT, 'fixtures', 'logs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-slowin-'));
const json = (stdout: string) => JSON.parse(stdout) as { statements: number; classes: { fingerprint: string; calls: number }[]; warnings: string[] };

describe('slow-log inputs', () => {
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a gzip-compressed slow log gives the same digest as the plain one, and no temporary file is left', async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('batch-doctor-log-')).length;
    const plain = await cli(['slow-log', '--format', 'json', path.join(LOGS, 'mysql8-slow.log')]);
    const gz = await cli(['slow-log', '--format', 'json', path.join(LOGS, 'mysql8-slow.log.gz')]);
    expect(gz.code, gz.stderr).toBe(0);
    expect(json(gz.stdout).classes).toEqual(json(plain.stdout).classes);
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('batch-doctor-log-')).length).toBe(before);
    // A gzip-compressed PostgreSQL jsonlog: detected from the content inside.
    const pgz = path.join(tmp, 'postgresql.json.gz');
    fs.writeFileSync(pgz, zlib.gzipSync(fs.readFileSync(path.join(LOGS, 'postgresql-jsonlog.json'))));
    const p = await cli(['slow-log', '--format', 'json', pgz]);
    expect(p.code, p.stderr).toBe(0);
    expect(json(p.stdout).statements).toBe(3);
  });

  it('empty, binary, unknown and truncated-gzip files get a message that names what was found', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['empty.log', Buffer.alloc(0), /is empty/],
      ['blank.log', Buffer.from('\n\n'), /is empty/],
      ['binary.log', Buffer.from([1, 2, 0, 3, 4]), /binary file/],
      ['notes.txt', Buffer.from('dear diary\nnothing to see\n'), /does not look like .*--type mysql\|postgresql/],
      ['cut.log.gz', zlib.gzipSync(Buffer.from('# Query_time: 1\nSELECT 1;\n'.repeat(1000))).subarray(0, 60), /could not be decompressed|truncated/],
    ];
    for (const [name, bytes, re] of cases) {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, bytes);
      const r = await cli(['slow-log', f]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(re);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
    }
  });

  it('a PostgreSQL log without durations is named as one, with the setting to change', async () => {
    const r = await cli(['slow-log', '--format', 'json', path.join(LOGS, 'postgresql-no-durations.log')]);
    expect(r.code, r.stderr).toBe(0);
    const d = json(r.stdout);
    expect(d.statements).toBe(0);
    expect(d.warnings.join(' ')).toMatch(/PostgreSQL stderr log, but it holds no statement durations.*log_min_duration_statement/);
  });
});

describe('zstd-compressed logs', () => {
  it('are read on a Node.js that has zstd (24), and refused with the way out on one that has not (20)', async () => {
    const { node24Path } = await import('../helpers/testbed');
    const { execFileSync } = await import('node:child_process');
    const node24 = node24Path();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-zst-'));
    const zst = path.join(dir, 'mysql8-slow.log.zst');
    execFileSync(node24, ['-e', `const z=require('zlib'),fs=require('fs');fs.writeFileSync(${JSON.stringify(zst)}, z.zstdCompressSync(fs.readFileSync(${JSON.stringify(path.join(LOGS, 'mysql8-slow.log'))})))`]);
    const cliPath = path.join(ROOT, 'dist', 'bin', 'batch-doctor.js');
    const on24 = execFileSync(node24, [cliPath, 'slow-log', '--format', 'json', zst], { encoding: 'utf8' });
    expect(json(on24).statements).toBe(4);
    const on20 = await cli(['slow-log', zst]);
    if (typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === 'function') expect(on20.code).toBe(0);
    else {
      expect(on20.code).toBe(2);
      expect(on20.stderr).toMatch(/zstd-compressed.*Node\.js 22\.15 or newer can.*zstd -d/);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});

describe('slow-log interrupted', () => {
  it('a decompressed copy is removed at the first SIGINT, and the command ends within a second', async () => {
    const { spawn } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-slowint-'));
    const tmpdir = path.join(dir, 'tmp');
    fs.mkdirSync(tmpdir);
    const rec = (i: number) => `# User@Host: u[u] @ h []\n# Query_time: 0.001  Lock_time: 0  Rows_sent: 1  Rows_examined: 1\nSELECT * FROM t${i % 50} WHERE id = ${i} AND note = 'secret-${i}';\n`;
    const big = path.join(dir, 'slow.log.gz');
    const gz = zlib.createGzip({ level: 1 });
    const outStream = fs.createWriteStream(big);
    gz.pipe(outStream);
    const block = Array.from({ length: 10_000 }, (_, i) => rec(i)).join(''); // ~1.1 MB
    for (let i = 0; i < 120; i++) gz.write(block);
    await new Promise<void>((resolve) => { outStream.on('finish', () => resolve()); gz.end(); });
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bin', 'batch-doctor.js'), 'slow-log', big], { env: { ...process.env, TMPDIR: tmpdir }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // Interrupt while the copy is being written.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !fs.readdirSync(tmpdir).some((d) => fs.readdirSync(path.join(tmpdir, d)).length > 0)) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    child.kill('SIGINT');
    const r = await exited;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.signal).toBe('SIGINT');
    expect(fs.readdirSync(tmpdir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
