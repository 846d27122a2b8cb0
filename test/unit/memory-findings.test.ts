import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { memoryFloorTrend } from '../../src/analysis/memory';
import type { Report } from '../../src/model/report';
import { RENDERERS } from '../../reports/registry';
import { TraceBuilder } from '../helpers/trace-builder';

const MiB = 1048576;

/** Memory samples every 100 ms over `ms`, heap used by `heapAt(t)`; rss 2x. */
function samples(ms: number, heapAt: (t: number) => number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let t = 0; t <= ms; t += 100) out.push([t, heapAt(t), 2 * heapAt(t)]);
  return out;
}
/** A saw-tooth of garbage over a live floor: up to 16 MiB, collected every 700 ms. */
const saw = (t: number) => ((t % 700) / 700) * 16 * MiB;

describe('memoryFloorTrend', () => {
  const flat = (xs: [number, number, number][]) => xs.flatMap(([t, h, r]) => [t, h, h, 0, 0, r]);

  it('reads what full collections left, when the probes recorded it', () => {
    const post = [0, 20, 2000, 40, 4000, 60, 6000, 80].map((v, i) => (i % 2 ? v * MiB : v));
    const t = memoryFloorTrend(flat(samples(6000, (x) => 20 * MiB + saw(x))), post, true)!;
    expect(t.method).toBe('post-gc');
    expect(t.r2).toBeCloseTo(1, 6);
    expect(t.risingShare).toBe(1);
    expect(t.growthBytes).toBeCloseTo(60 * MiB, -3);
    expect(t.startBytes).toBeCloseTo(20 * MiB, -3);
  });

  it('one full collection in a trace that counts them: no judgement (garbage may not have been collected yet)', () => {
    expect(memoryFloorTrend(flat(samples(6000, (x) => 20 * MiB + x * 10_000)), [0, 20 * MiB], true)).toBeNull();
  });

  it('two full collections: the rate of live growth from the pair, the shape from the bins', () => {
    // Live memory grows 10 MiB/s; the samples also carry old-generation garbage growing twice as fast.
    const t = memoryFloorTrend(flat(samples(6000, (x) => 20 * MiB + x * 30 * MiB / 1000 + saw(x))), [1000, 30 * MiB, 4000, 60 * MiB], true)!;
    expect(t.method).toBe('post-gc-pair');
    expect(t.slopeBytesPerMs).toBeCloseTo((10 * MiB) / 1000, 0);
    expect(t.r2).toBeGreaterThan(0.95);
    expect(t.growthBytes / MiB).toBeCloseTo(((t.to - t.from) / 1000) * 10, 0);
    expect(t.startBytes / MiB).toBeCloseTo(30 - ((1000 - t.from) / 1000) * 10, 0);
  });

  it('older traces: the lowest sample of each tenth of the run; one step is not steady', () => {
    const step = memoryFloorTrend(flat(samples(6000, (x) => (x < 3000 ? 20 : 200) * MiB + saw(x))), undefined, false)!;
    expect(step.method).toBe('bins');
    expect(step.risingShare).toBeLessThan(0.3);
    const ramp = memoryFloorTrend(flat(samples(6000, (x) => 20 * MiB + x * 20_000 + saw(x))), undefined, false)!;
    expect(ramp.r2).toBeGreaterThan(0.95);
    expect(ramp.risingShare).toBeGreaterThanOrEqual(0.8);
  });
});

describe('memory-accumulation', () => {
  /** A job of `records` lookups over `ms`, its live memory growing `perRecord` bytes per record. */
  function job(records: number, ms: number, perRecord: number, o: { limit?: number; postGc?: boolean } = {}) {
    const b = new TraceBuilder(ms);
    for (let i = 0; i < records; i++) b.db('select * from orders where customer_id = $1', (i * ms) / records, (i * ms) / records + 0.5, { rows: 8 });
    const live = (t: number) => 20 * MiB + (perRecord * records * t) / ms;
    b.memory(samples(ms, (t) => live(t) + saw(t)), o.limit ?? 4096 * MiB);
    if (o.postGc !== false) b.postGc([0, 1500, 3000, 4500, 6000].filter((t) => t <= ms).map((t) => [t, live(t)]));
    return b.build();
  }

  it('memory kept per record: the rate, the records, the projection to the limit and the peak with chunks of 1,000', () => {
    const r = analyze(job(5000, 6000, 12 * 1024, { limit: 512 * MiB }), { toolVersion: 't' });
    const f = r.findings.find((x) => x.kind === 'memory-accumulation')!;
    expect(f, JSON.stringify(r.detectors)).toBeTruthy();
    expect(f.estimatedSavingMs).toBe(0);
    expect(f.evidence.metrics).toMatchObject({ method: 'post-gc', records: 5000 });
    expect(Number(f.evidence.metrics['bytesPerRecord'])).toBeCloseTo(12 * 1024, -2);
    expect(f.title).toMatch(/\+58\.\d+ MiB over the run, 12(\.\d+)? KiB kept per record \(5000 calls of select \* from orders/);
    expect(f.risk).toMatch(/heap limit \(512 MiB\) is reached after about \d+ more records/);
    // Live memory with one chunk: 20 MiB + 12 KiB x 1,000; the peak above one semi-space scales with it.
    const liveNow = 20 * MiB + 5000 * 12 * 1024, liveAfter = 20 * MiB + 1000 * 12 * 1024;
    // One semi-space of young garbage (V8's 16 MiB default: the trace reports no young generation) does not scale.
    expect(f.memory!.predictedPeakBytes! / MiB).toBeCloseTo((16 * MiB + (f.memory!.peakBytes - 16 * MiB) * (liveAfter / liveNow)) / MiB, 1);
    expect(f.memory!.shareOfLimit).toBeCloseTo(f.memory!.peakBytes / (512 * MiB), 3);
  });

  it('the peak with chunks is priced from all the records, not from when V8 happened to collect', () => {
    // Full collections in the middle of the run only: the floors' line spans half the records; the records before the
    // first and after the last collection were kept too.
    const b = new TraceBuilder(6000);
    for (let i = 0; i < 5000; i++) b.db('select * from orders where customer_id = $1', i * 1.2, i * 1.2 + 0.5, { rows: 8 });
    const live = (t: number) => 20 * MiB + (20 * 1024 * 5000 * t) / 6000;
    b.memory(samples(6000, (t) => live(t) + saw(t)), 4096 * MiB).postGc([1500, 2250, 3000, 3750, 4500].map((t) => [t, live(t)] as [number, number]));
    const f = analyze(b.build(), { toolVersion: 't' }).findings.find((x) => x.kind === 'memory-accumulation')!;
    expect(f).toBeTruthy();
    const liveNow = 20 * MiB + 5000 * 20 * 1024, liveAfter = 20 * MiB + 1000 * 20 * 1024;
    // One semi-space of young garbage (V8's 16 MiB default: the trace reports no young generation) does not scale.
    expect(f.memory!.predictedPeakBytes! / MiB).toBeCloseTo((16 * MiB + (f.memory!.peakBytes - 16 * MiB) * (liveAfter / liveNow)) / MiB, 1);
    expect(f.memory!.model).toMatch(/\(39\.\d+ \/ 117\.\d+ MiB;/);
  });

  it('memory that keeps growing after the records stopped is not kept per record', () => {
    const b = new TraceBuilder(6000);
    // 5,000 lookups in the first second only; the live memory climbs for the whole six seconds.
    for (let i = 0; i < 5000; i++) b.db('select * from orders where customer_id = $1', i * 0.2, i * 0.2 + 0.1, { rows: 8 });
    const live = (t: number) => 20 * MiB + t * 12 * 1024;
    b.memory(samples(6000, (t) => live(t) + saw(t))).postGc([0, 1500, 3000, 4500, 6000].map((t) => [t, live(t)] as [number, number]));
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.findings.some((x) => x.kind === 'memory-accumulation')).toBe(false);
  });

  it('two full collections around one step (a table loaded once): not steady, quiet', () => {
    const b = new TraceBuilder(6000);
    for (let i = 0; i < 3000; i++) b.db('select * from orders where customer_id = $1', i * 2, i * 2 + 0.5, { rows: 8 });
    b.memory(samples(6000, (t) => (t < 2000 ? 20 : 120) * MiB + saw(t))).postGc([[1000, 20 * MiB], [5000, 120 * MiB]]);
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.findings.some((x) => x.kind === 'memory-accumulation')).toBe(false);
  });

  it('quiet below 32 MiB of growth, and for a garbage saw-tooth over a flat floor', () => {
    expect(analyze(job(5000, 6000, 4 * 1024), { toolVersion: 't' }).findings.some((x) => x.kind === 'memory-accumulation')).toBe(false);
    expect(analyze(job(5000, 6000, 0), { toolVersion: 't' }).findings.some((x) => x.kind === 'memory-accumulation')).toBe(false);
  });

  it('says why it cannot judge a run with fewer than two full collections', () => {
    const b = new TraceBuilder(3000).memory(samples(3000, (t) => 20 * MiB + t * 30_000)).postGc([[0, 20 * MiB]]);
    const r = analyze(b.build(), { toolVersion: 't' });
    expect(r.findings.some((x) => x.kind === 'memory-accumulation')).toBe(false);
    expect(r.detectors.find((d) => d.id === 'memory-accumulation')).toMatchObject({ status: 'no-data', reason: expect.stringMatching(/two full garbage collections/) });
  });
});

describe('file-held-whole', () => {
  it('a download collected in memory: memory (external) rose by more than the file; a streamed one did not', () => {
    const held = new TraceBuilder(3000);
    held.ftp('ftp.download', 1000, 2000, { 'ftp.bytes': 48 * MiB, 'ftp.remote.ext': '.csv' });
    held.memory([[0, 10 * MiB, 60 * MiB, 1 * MiB], [900, 10 * MiB, 60 * MiB, 1 * MiB], [1500, 10 * MiB, 120 * MiB, 50 * MiB], [2000, 12 * MiB, 170 * MiB, 95 * MiB], [2900, 12 * MiB, 170 * MiB, 49 * MiB]], 4096 * MiB);
    const f = analyze(held.build(), { toolVersion: 't' }).findings.find((x) => x.kind === 'file-held-whole')!;
    expect(f.title).toMatch(/^Files held whole in memory for 1 download\(s\): the largest, 48 MiB, raised memory by 96 MiB$/);
    expect(f.evidence.summary).toBe('ftp.download *.csv of 48 MiB: memory +96 MiB');
    expect(f.memory).toMatchObject({ peakBytes: 107 * MiB, predictedPeakBytes: 11 * MiB + 64 * 1024 });
    expect(f.recommendation.summary).toMatch(/createWriteStream/);

    const streamed = new TraceBuilder(3000);
    streamed.ftp('ftp.download', 1000, 2000, { 'ftp.bytes': 48 * MiB });
    streamed.memory([[0, 10 * MiB, 60 * MiB, 1 * MiB], [900, 10 * MiB, 60 * MiB, 1 * MiB], [1500, 10 * MiB, 80 * MiB, 20 * MiB], [2000, 10 * MiB, 80 * MiB, 33 * MiB]]);
    const r = analyze(streamed.build(), { toolVersion: 't' });
    expect(r.findings.some((x) => x.kind === 'file-held-whole')).toBe(false);
    expect(r.detectors.find((d) => d.id === 'file-held-whole')).toMatchObject({ status: 'ran' });
  });

  it('an upload of a file read whole just before it; small files are not judged', () => {
    const b = new TraceBuilder(4000);
    b.ftp('ftp.upload', 2000, 2500, { 'ftp.bytes': 40 * MiB });
    b.ftp('ftp.upload', 3000, 3100, { 'ftp.bytes': 8 * MiB });
    b.memory([[0, 10 * MiB, 60 * MiB, 0], [1000, 10 * MiB, 60 * MiB, 0], [2100, 10 * MiB, 110 * MiB, 41 * MiB], [2600, 10 * MiB, 110 * MiB, 41 * MiB], [3050, 10 * MiB, 110 * MiB, 9 * MiB]]);
    const f = analyze(b.build(), { toolVersion: 't' }).findings.find((x) => x.kind === 'file-held-whole')!;
    expect(f.evidence.metrics).toMatchObject({ transfers: 1, largestBytes: 40 * MiB, largestGrowthBytes: 41 * MiB });
    expect(f.recommendation.summary).toMatch(/Upload from a path or a read stream/);
  });
});

describe('growth toward the peak, attributed', () => {
  it('splits each rise among the calls in flight and the job code, scaled to the net growth', () => {
    const b = new TraceBuilder(3000);
    b.stage('extract', 0, 3000);
    b.db('select * from events', 500, 1500, { rows: 300_000 });
    b.ftp('ftp.download', 1500, 2000, { 'ftp.bytes': 10 * MiB, 'ftp.remote.ext': 'csv' });
    b.memory([[0, 20 * MiB, 40 * MiB], [500, 20 * MiB, 40 * MiB], [1000, 70 * MiB, 90 * MiB], [1500, 120 * MiB, 140 * MiB], [2000, 120 * MiB, 160 * MiB, 10 * MiB], [2500, 140 * MiB, 180 * MiB, 10 * MiB]]);
    const g = analyze(b.build(), { toolVersion: 't' }).memory!.growth!;
    expect(g).toMatchObject({ baseBytes: 20 * MiB, peakBytes: 150 * MiB });
    expect(g.owners.map((o) => [o.kind, o.label, Math.round(o.bytes / MiB)])).toEqual([
      ['query', 'select * from events', 100],
      ['code', 'job code in stage extract', 20],
      ['transfer', 'ftp.download *.csv', 10],
    ]);
    expect(g.owners.reduce((a, o) => a + o.share, 0)).toBeCloseTo(1, 2);
    expect(g.method).toMatch(/An estimate/);
  });
});

describe('risks rank by the share of the heap limit, in their own section', () => {
  function report(): Report {
    const b = new TraceBuilder(8000);
    // A time finding (N+1) and two memory risks: a large result the job uses (written back in 300 batches: no time
    // claimed; its read peaked at 75% of a 1 GiB limit) and the heap near its limit (90%, later in the run).
    for (let i = 0; i < 2000; i++) b.db('select * from customers where id = $1', 100 + i * 2, 101 + i * 2, { rows: 1 });
    b.db('select * from events', 4500, 5000, { rows: 300_000 });
    for (let i = 0; i < 300; i++) b.db('insert into archive (a, b) values (?+)', 6100 + i * 3, 6101 + i * 3, { rows: 1000 });
    b.memory([[0, 100 * MiB, 200 * MiB], [4400, 100 * MiB, 200 * MiB], [5000, 768 * MiB, 900 * MiB], [7500, 921.6 * MiB, 1000 * MiB], [7900, 300 * MiB, 1000 * MiB]], 1024 * MiB);
    return analyze(b.build(), { toolVersion: 't' });
  }

  it('time findings first; then the risks, the larger share of the limit first', () => {
    const r = report();
    const kinds = r.findings.map((f) => f.kind);
    expect(kinds[0]).toBe('n-plus-one-read');
    const risks = r.findings.filter((f) => f.estimatedSavingMs === 0 && f.risk);
    expect(risks.map((f) => f.kind)).toEqual(['heap-near-limit', 'large-result-set']);
    expect(risks.map((f) => f.memory!.shareOfLimit)).toEqual([0.9, 0.75]);
  });

  it('every human format shows them apart from the bottlenecks, with the memory model', () => {
    const r = report();
    const table = RENDERERS['table']!.render(r, { width: 160 });
    expect(table).toMatch(/risk \(no time saved\)/);
    expect(table).toMatch(/memory: peak 768(\.00)? MiB \(75\.0% of the heap limit\), about \d+(\.\d+)? MiB after the fix/);
    const md = RENDERERS['md']!.render(r, {});
    expect(md).toMatch(/### Risks \(no time saved\)/);
    const html = RENDERERS['html']!.render(r, {});
    expect(html).toMatch(/<section id="risks"><h2>Risks that save no time/);
    expect(html.indexOf('id="risks"')).toBeGreaterThan(html.indexOf('id="findings"'));
    // The memory section: peaks per process, and what the memory grew during on its way to the peak.
    expect(html).toMatch(/<section id="memory"><h2>Memory<\/h2>/);
    expect(html).toMatch(/What it grew during, toward its peak \(100\.00 MiB to 921\.60 MiB\)/);
    expect(html).toMatch(/<td>query<\/td><td><code>select \* from events<\/code><\/td>/);
  });
});
