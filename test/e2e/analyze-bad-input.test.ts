import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cli } from '../helpers/testbed';

/**
 * `analyze` on input that is no trace: it refuses devices, gives up on data that yields no record after a bounded
 * amount, and stops within a second of the first SIGTERM or SIGINT, whatever it is reading.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-badin-'));

/** Starts `analyze` on `file`, sends `signal` after `afterMs`, and says how long the exit took after the signal. */
async function interrupt(file: string, signal: NodeJS.Signals, afterMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stderr: string; msAfterSignal: number }> {
  const child = spawn(process.execPath, [CLI, 'analyze', '--format', 'none', '--out', path.join(tmp, `out-${signal}`), file], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise((r) => setTimeout(r, afterMs));
  const t0 = performance.now();
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(killer);
  return { code, stderr, msAfterSignal: performance.now() - t0 };
}

describe('analyze on input that is no trace', () => {
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('refuses /dev/zero and other devices at once, in one paragraph', async () => {
    for (const dev of ['/dev/zero', '/dev/null', '/dev/urandom']) {
      const r = await cli(['analyze', '--format', 'none', '--out', path.join(tmp, 'o'), dev], { timeoutMs: 10_000 });
      expect(r.code, dev).toBe(2);
      expect(r.stderr, dev).toMatch(/not a regular file, a directory or a pipe \(it is a character device\)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.ms, dev).toBeLessThan(5000);
    }
  });

  it('gives up on a large file that yields no record (zeros, JSON-looking garbage)', async () => {
    const zeros = path.join(tmp, 'zeros.bin');
    fs.closeSync(fs.openSync(zeros, 'w'));
    fs.truncateSync(zeros, 200 * 1024 * 1024); // sparse: 200 MiB of zeros
    const junk = path.join(tmp, 'junk.jsonl');
    fs.writeFileSync(junk, '{' + 'x'.repeat(80 * 1024 * 1024));
    for (const f of [zeros, junk]) {
      const r = await cli(['analyze', '--format', 'none', '--out', path.join(tmp, 'o'), f], { timeoutMs: 60_000 });
      expect(r.code, f).toBe(2);
      expect(r.stderr, f).toMatch(/BD_TRACE_CORRUPT|BD_INPUT/);
      expect(r.stderr, f).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it('stops within a second of the first SIGTERM or SIGINT while reading an endless pipe, and removes its copy of the pipe', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const fifo = path.join(tmp, `pipe-${signal}`);
      execFileSync('mkfifo', [fifo]);
      // Its own TMPDIR, where analyze copies the pipe (about 0.5 GB a second of this writer).
      const spool = fs.mkdtempSync(path.join(tmp, `spool-${signal}-`));
      // An endless writer of JSON-looking lines that are no trace records.
      const writer = spawn('sh', ['-c', `yes '{"not":"a trace"}' > ${fifo}`], { stdio: 'ignore' });
      const r = await interrupt(fifo, signal, 1500, { ...process.env, TMPDIR: spool });
      writer.kill('SIGKILL');
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/BD_INTERRUPTED/);
      expect(r.msAfterSignal).toBeLessThan(1000);
      expect(fs.readdirSync(spool), 'the copy of the pipe was left behind').toEqual([]);
    }
  }, 60_000);

  it('stops within a second of the first SIGTERM while reading a huge file of zeros', async () => {
    const big = path.join(tmp, 'big.pb');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 8 * 1024 ** 3); // sparse
    const r = await interrupt(big, 'SIGTERM', 700);
    // Either it already gave up on the zeros (exit 2), or it was stopped by the signal (130): never still running.
    expect([2, 130]).toContain(r.code);
    expect(r.msAfterSignal).toBeLessThan(1000);
  }, 30_000);
});
