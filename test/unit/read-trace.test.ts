import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTraceDir, readTraceFile } from '../../src/collect/read-trace';
import { readAllSpans } from '../helpers/read-all-spans';
import { TraceMissingError } from '../../src/errors';
import { TraceWriter } from '../../probes/trace-writer';

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
    const m = await readAllSpans(dir);
    expect(m.spans).toHaveLength(2);
    expect(m.spans[0]).toMatchObject({ spanId: 'aa', pid: 42, kind: 'db', start: 100.5, end: 101.25, rows: 1, error: false });
    expect(m.spans[1]).toMatchObject({ parentSpanId: 'aa', error: true, errorType: '57014' });
    expect(m.spans[1]!.attrs['db.fingerprint']).toBe('select ?');
  });

  it('reads back the fast-path column blocks as the spans the writer was given', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-rt-'));
    const w = new TraceWriter(dir, 42);
    w.write(header as never);
    w.write({ type: 'shape', id: 3, name: 'pg.query:SELECT', kind: 'db', attrs: { 'db.system': 'postgresql', 'db.fingerprint': 'select ?' } });
    const calls = Array.from({ length: 7000 }, (_, i) => ({ seq: i, parent: i % 3 === 0 ? `p${i}` : null, start: 1.7e12 + i * 0.37, rows: i % 5 === 0 ? null : i % 4, err: i % 11 === 0 ? '22012' : null }));
    for (const c of calls) w.writeFast(3, c.seq, c.parent, c.start, c.start + 0.125, c.rows, c.err);
    w.close(); // 7,000 calls: one block at 5,000 and one at close
    const text = fs.readFileSync(w.file, 'utf8');
    expect(text.match(/"type":"fast"/g)).toHaveLength(2);
    const spans: import('../../src/model/trace').TraceSpan[] = [];
    const p = await readTraceFile(w.file, spans);
    expect(p!.badLines).toBe(0);
    expect(spans.map((s) => [s.spanId, s.parentSpanId, s.start, s.end, s.rows, s.error, s.errorType, s.attrs['db.fingerprint']])).toEqual(
      calls.map((c) => [`f${c.seq.toString(16).padStart(15, '0')}`, c.parent, c.start, c.start + 0.125, c.rows, c.err !== null, c.err, 'select ?']));
  });

  it('counts a fast block whose columns do not match its row count as one bad line', async () => {
    const dir = write([JSON.stringify(header), JSON.stringify({ type: 'shape', id: 1, name: 'q', kind: 'db', attrs: {} }),
      JSON.stringify({ type: 'fast', n: 2, cols: Buffer.alloc(40).toString('base64'), parents: [], errors: [] })]);
    const spans: never[] = [];
    const p = await readTraceFile(path.join(dir, 'trace-42.jsonl'), spans);
    expect(spans).toHaveLength(0);
    expect(p!.badLines).toBe(1);
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
