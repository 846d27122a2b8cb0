import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { SpanStore } from '../../src/collect/span-store';
import { InterruptedError } from '../../src/errors';
import type { SpanRow, TraceModel, TraceSpan } from '../../src/model/trace';
import { prng, TraceBuilder } from '../helpers/trace-builder';

const KINDS = ['db', 'db', 'db', 'db-connect', 'ftp', 'stage', 'other'] as const;

function randomSpans(n: number, seed: number): TraceSpan[] {
  const rnd = prng(seed);
  const shapes = [0, 1, 2, 3].map((i) => ({ 'db.system': i % 2 ? 'mysql' : 'postgresql', 'db.fingerprint': `select ${i}` }));
  const out: TraceSpan[] = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[Math.floor(rnd() * KINDS.length)]!;
    const start = Math.floor(rnd() * 1000) + (rnd() < 0.5 ? 0.25 : 0); // many ties
    out.push({
      spanId: String(i), parentSpanId: null, pid: 1 + Math.floor(rnd() * 3), name: kind === 'ftp' ? 'ftp.upload' : kind === 'stage' ? 'batch_doctor.stage' : `${kind}-op`,
      kind, start, end: start + rnd() * 20, error: rnd() < 0.1, errorType: rnd() < 0.5 ? 'E1' : null, rows: rnd() < 0.5 ? Math.floor(rnd() * 10) : null,
      attrs: kind === 'db' ? shapes[Math.floor(rnd() * 4)]! : kind === 'stage' ? { 'batch_doctor.stage.name': 'load' } : {},
    });
  }
  return out;
}

const rowsOf = (store: SpanStore) => {
  const src = store.finish();
  const rows: SpanRow[] = [];
  src.forEach((r) => rows.push({ ...r }));
  return { src, rows };
};

describe('span store', () => {
  it('gives the same rows, in stable start order, whether it spilled sorted runs to disk or not', () => {
    const spans = randomSpans(5000, 3);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-store-test-'));
    const mem = new SpanStore(), disk = new SpanStore({ chunkRows: 97, tmpDir: tmp });
    for (const s of spans) { mem.push(s); disk.push(s); }
    const a = rowsOf(mem), b = rowsOf(disk);
    expect(fs.readdirSync(tmp)).toHaveLength(1); // the spill directory exists while the source is open
    expect(b.rows).toEqual(a.rows);
    expect(a.rows).toHaveLength(5000);
    // Start order, ties in push order: the same as a stable sort of the input.
    const expected = spans.map((s, i) => [s.start, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    expect(a.rows.map((r) => r.start)).toEqual(expected.map(([s]) => s));
    const ends = expected.map(([, i]) => spans[i]!.end);
    expect(b.rows.map((r) => r.end)).toEqual(ends);
    // Whole spans (FTP, stage) are indexed by the rows, in start order.
    for (const r of b.rows) {
      if (r.kind === 'ftp' || r.kind === 'stage') { expect(disk.detail[r.detail]!.start).toBe(r.start); expect(disk.detail[r.detail]!.end).toBe(r.end); }
      else expect(r.detail).toBe(-1);
    }
    expect(disk.detail.map((s) => s.start)).toEqual([...disk.detail.map((s) => s.start)].sort((x, y) => x - y));
    // One group per statement class, rows point at the right one.
    expect(b.src.groups.filter((g) => g.kind === 'db').map((g) => g.fingerprint).sort()).toEqual(['select 0', 'select 1', 'select 2', 'select 3']);
    b.src.close();
    expect(fs.readdirSync(tmp)).toHaveLength(0);
    b.src.close(); // idempotent
  });

  it('gives the same report from a spilled store as from memory', () => {
    const b = new TraceBuilder(2000);
    const rnd = prng(11);
    for (let i = 0; i < 3000; i++) { const s = rnd() * 1900; b.db(`select * from t where id = $1 -- ${i % 3}`, s, s + rnd() * 2, { rows: 1, error: rnd() < 0.02 }); }
    for (let i = 0; i < 20; i++) b.db('select * from orders', i * 90, i * 90 + 30, { rows: 500 });
    for (let i = 0; i < 8; i++) b.ftp('ftp.upload', 100 + i * 200, 180 + i * 200, { 'ftp.bytes': 1e6, 'ftp.remote.ext': '.csv', 'ftp.transfer.mode': 'binary' });
    b.busy(0, 2000, 0.4);
    const m = b.build();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-store-test-'));
    const store = new SpanStore({ chunkRows: 128, tmpDir: tmp });
    const all: TraceSpan[] = [];
    // Rebuild the same spans into a spilling store: the builder's spans are its detail plus its rows.
    const builder = b as unknown as { spans: TraceSpan[] };
    for (const s of builder.spans) { store.push(s); all.push(s); }
    const spilled: TraceModel = { ...m, spans: store.detail, source: store.finish() };
    const strip = (r: ReturnType<typeof analyze>) => JSON.stringify({ ...r, run: { ...r.run } });
    expect(strip(analyze(spilled, { toolVersion: 't' }))).toBe(strip(analyze(m, { toolVersion: 't' })));
    expect(all.length).toBe(3028);
    spilled.source.close();
    expect(fs.readdirSync(tmp)).toHaveLength(0);
  });

  it('interrupt removes the spill file at once and stops the reading at its next span', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-store-test-'));
    const store = new SpanStore({ chunkRows: 16, tmpDir: tmp });
    const spans = randomSpans(100, 5);
    for (const s of spans) store.push(s);
    expect(fs.readdirSync(tmp)).toHaveLength(1);
    store.interrupt('SIGINT');
    expect(fs.readdirSync(tmp)).toHaveLength(0);
    expect(() => store.push(spans[0]!)).toThrow(InterruptedError);
    expect(() => store.finish()).toThrow(/Interrupted by SIGINT/);
  });
});
