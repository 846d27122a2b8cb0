import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTraceDir, readTraceFile } from '../../src/collect/read-trace';
import { TraceMissingError } from '../../src/errors';

const RUN = { command: [], startedAt: 0, endedAt: 1, exitCode: 0, signal: null };
const header = { type: 'header', format: 'batch-doctor-trace', version: 1, pid: 42, ppid: 1, runId: null, nodeVersion: 'v20', platform: 'linux', script: 'x', startedAt: 10, processStartedAt: 5, keepLiterals: false };

function write(lines: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-rt-'));
  fs.writeFileSync(path.join(dir, 'trace-42.jsonl'), lines.join('\n'));
  return dir;
}

describe('reading trace files', () => {
  it('resolves compact spans through their shape', async () => {
    const dir = write([
      JSON.stringify(header),
      JSON.stringify({ type: 'shape', id: 1, name: 'pg.query:SELECT', kind: 'db', attrs: { 'db.system': 'postgresql', 'db.fingerprint': 'select ?' } }),
      '[1,"aa",null,100.5,101.25,1,null]',
      '[1,"bb","aa",102,103,null,"57014"]',
    ]);
    const m = await readTraceDir(dir, RUN);
    expect(m.spans).toHaveLength(2);
    expect(m.spans[0]).toMatchObject({ spanId: 'aa', pid: 42, kind: 'db', start: 100.5, end: 101.25, rows: 1, error: false });
    expect(m.spans[1]).toMatchObject({ parentSpanId: 'aa', error: true, errorType: '57014' });
    expect(m.spans[1]!.attrs['db.fingerprint']).toBe('select ?');
  });

  it('skips and counts garbage lines', async () => {
    const dir = write([JSON.stringify(header), '{not json', '[9,"x",null,1,2,null,null]', '{"type":"span","spanId":1}', '"str"', '[1,2]', '{"type":"weird"}']);
    const spans: never[] = [];
    const p = await readTraceFile(path.join(dir, 'trace-42.jsonl'), spans);
    expect(spans).toHaveLength(0);
    expect(p!.badLines).toBe(6);
  });

  it('an empty or missing directory is a clear error', async () => {
    await expect(readTraceDir(path.join(os.tmpdir(), 'no-such-dir-bd'), RUN)).rejects.toBeInstanceOf(TraceMissingError);
    await expect(readTraceDir(fs.mkdtempSync(path.join(os.tmpdir(), 'bd-empty-')), RUN)).rejects.toBeInstanceOf(TraceMissingError);
  });

  it('never throws anything but its own errors on random content (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(fc.string(), fc.json(), fc.constant(JSON.stringify(header))), { maxLength: 30 }), async (lines) => {
      const dir = write(lines);
      try { await readTraceDir(dir, RUN); } catch (e) { expect((e as { code?: string }).code).toMatch(/^BD_/); }
      fs.rmSync(dir, { recursive: true, force: true });
    }), { numRuns: 100 });
  });
});
