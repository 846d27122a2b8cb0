import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HeaderRecord } from '../../probes/trace-records';
import { node24Path, ROOT, run } from '../helpers/testbed';

// The probes' bundle is loaded with a V8 code cache (probes/load-bundle.ts). No server is needed: the job is a
// one-line script, and the trace header says what became of the cache.
const REGISTER = path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-code-cache-'));
const JOB = 'process.stdout.write("job output\\n"); process.exitCode = 3;';

/** Runs the one-line job with the probes; returns its output and the trace header's codeCache. */
async function probed(node: string, cacheDir: string, label: string): Promise<{ code: number | null; stdout: string; codeCache: HeaderRecord['codeCache'] }> {
  const traceDir = path.join(tmp, `trace-${label}`);
  fs.mkdirSync(traceDir, { recursive: true });
  const r = await run(node, ['--require', REGISTER, '-e', JOB], { env: { ...process.env, BATCH_DOCTOR_TRACE_DIR: traceDir, BATCH_DOCTOR_CODE_CACHE: cacheDir, BATCH_DOCTOR_CPU_PROFILE: '0' } });
  const files = fs.readdirSync(traceDir);
  expect(files).toHaveLength(1);
  const header = JSON.parse(fs.readFileSync(path.join(traceDir, files[0]!), 'utf8').split('\n')[0]!) as HeaderRecord;
  return { code: r.code, stdout: r.stdout, codeCache: header.codeCache };
}

const cacheFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.bin')) : []);

describe('code cache of the probes bundle', () => {
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [label, node] of [['Node 20', process.execPath], ['Node 24', '']] as const) {
    it(`${label}: the first run writes a private cache file, the next one uses it; the job is unchanged`, async () => {
      const exe = node || node24Path();
      const dir = path.join(tmp, `cache-${label.replace(' ', '')}`);
      const first = await probed(exe, dir, `${label}-1`);
      expect(first).toMatchObject({ code: 3, stdout: 'job output\n', codeCache: 'miss' });
      expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
      const files = cacheFiles(dir);
      expect(files).toHaveLength(1);
      expect((fs.statSync(path.join(dir, files[0]!)).mode & 0o777).toString(8)).toBe('600');
      expect(files[0]).toContain(process.platform === 'linux' ? `-${(await run(exe, ['-p', 'process.version'])).stdout.trim()}-` : '-');
      const second = await probed(exe, dir, `${label}-2`);
      expect(second).toMatchObject({ code: 3, stdout: 'job output\n', codeCache: 'hit' });
    });
  }

  it('a process in which the probes stand aside writes no cache; the next one that runs them does', async () => {
    // A cache written where the probes did not start holds only the bundle's top level: every later process would
    // compile the probes' start-up itself (+15-20 ms each).
    const dir = path.join(tmp, 'cache-aside');
    const env = { ...process.env, BATCH_DOCTOR_CODE_CACHE: dir, BATCH_DOCTOR_CPU_PROFILE: '0' };
    delete env['BATCH_DOCTOR_TRACE_DIR'];
    delete env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    const aside = await run(process.execPath, ['--require', REGISTER, '-e', JOB], { env });
    expect(aside).toMatchObject({ code: 3, stdout: 'job output\n' });
    expect(cacheFiles(dir)).toEqual([]);
    expect((await probed(process.execPath, dir, 'aside-1')).codeCache).toBe('miss');
    expect(cacheFiles(dir)).toHaveLength(1);
    expect((await probed(process.execPath, dir, 'aside-2')).codeCache).toBe('hit');
  });

  it('a damaged cache file is rejected by V8, the job runs as usual, and the file is rewritten', async () => {
    const dir = path.join(tmp, 'cache-damaged');
    await probed(process.execPath, dir, 'damaged-1');
    const file = path.join(dir, cacheFiles(dir)[0]!);
    const garbage = Buffer.alloc(4096, 0x5a);
    fs.writeFileSync(file, garbage);
    const r = await probed(process.execPath, dir, 'damaged-2');
    expect(r).toMatchObject({ code: 3, stdout: 'job output\n', codeCache: 'rejected' });
    expect(fs.readFileSync(file).equals(garbage)).toBe(false);
    expect(fs.statSync(file).size).toBeGreaterThan(50_000);
    expect((await probed(process.execPath, dir, 'damaged-3')).codeCache).toBe('hit');
  });

  it('a directory others can write is neither read nor written; BATCH_DOCTOR_CODE_CACHE=0 turns the cache off', async () => {
    const open = path.join(tmp, 'cache-open');
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    expect(await probed(process.execPath, open, 'open')).toMatchObject({ code: 3, stdout: 'job output\n', codeCache: 'off' });
    expect(cacheFiles(open)).toEqual([]);
    expect(await probed(process.execPath, '0', 'zero')).toMatchObject({ code: 3, stdout: 'job output\n', codeCache: 'off' });
  });

  it('BATCH_DOCTOR_DISABLED=1: the bundle is neither read nor compiled, no trace is written, and the job is unchanged', async () => {
    const traceDir = path.join(tmp, 'trace-disabled');
    fs.mkdirSync(traceDir, { recursive: true });
    // The loader marks the global when it has run the bundle (its code-cache state); the bundle marks its hub.
    const probe = 'process.stdout.write(String(globalThis[Symbol.for("batch-doctor.probes.code-cache")]) + " " + typeof globalThis[Symbol.for("batch-doctor.probes.hub")] + "\\n"); process.exitCode = 3;';
    const env = { ...process.env, BATCH_DOCTOR_TRACE_DIR: traceDir, BATCH_DOCTOR_CODE_CACHE: path.join(tmp, 'cache-disabled'), BATCH_DOCTOR_CPU_PROFILE: '0' };
    const off = await run(process.execPath, ['--require', REGISTER, '-e', probe], { env: { ...env, BATCH_DOCTOR_DISABLED: '1' } });
    expect(off).toMatchObject({ code: 3, stdout: 'undefined undefined\n' });
    expect(fs.readdirSync(traceDir)).toEqual([]);
    // The same run with the probes on: the loader ran the bundle, which started.
    const on = await run(process.execPath, ['--require', REGISTER, '-e', probe], { env });
    expect(on).toMatchObject({ code: 3, stdout: 'miss object\n' });
    expect(fs.readdirSync(traceDir)).toHaveLength(1);
  });
});
