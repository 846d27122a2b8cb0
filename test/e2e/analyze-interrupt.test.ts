import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHUNK_ROWS } from '../../src/collect/span-store';
import { CLI } from '../helpers/testbed';


/** OTLP JSON lines (the Collector's file exporter format) with `n` database spans of one statement. */
function writeOtlp(file: string, n: number): void {
  const fd = fs.openSync(file, 'w');
  const kv = (key: string, v: string | number) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });
  const t0 = 1_795_000_000_000_000_000n;
  for (let done = 0; done < n;) {
    const spans = [];
    for (let i = 0; i < 500 && done < n; i++, done++) {
      const start = t0 + BigInt(done) * 300_000n;
      spans.push({ traceId: (done + 1).toString(16).padStart(32, '0'), spanId: (done + 1).toString(16).padStart(16, '0'), name: 'pg.query:SELECT', kind: 3,
        startTimeUnixNano: String(start), endTimeUnixNano: String(start + 150_000n),
        attributes: [kv('db.system', 'postgresql'), kv('db.statement', `select a from t where id = ${done}`)], status: { code: 0 } });
    }
    fs.writeSync(fd, JSON.stringify({ resourceSpans: [{ resource: { attributes: [kv('service.name', 'w'), kv('process.pid', 4242)] }, scopeSpans: [{ spans }] }] }) + '\n');
  }
  fs.closeSync(fd);
}

describe('batch-doctor analyze, interrupted', () => {
  it('Ctrl-C while reading: exit 130, a one-line BD_INTERRUPTED message, the spill file removed, no report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-interrupt-'));
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const file = path.join(dir, 'traces.jsonl');
    writeOtlp(file, 3 * DEFAULT_CHUNK_ROWS); // enough spans for the store to spill sorted runs to TMPDIR
    const child = spawn(process.execPath, [CLI, 'analyze', '--format', 'none', '--out', path.join(dir, 'out'), file], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt once the first sorted run is on disk.
    const deadline = Date.now() + 60_000;
    while (fs.readdirSync(tmp).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fs.readdirSync(tmp).length, 'the store never spilled').toBe(1);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/Interrupted by SIGINT.*\[BD_INTERRUPTED\]/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'out', 'report.json'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
