import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportTraceRequest } from '../../src/collect/otlp-proto';
import type { Report } from '../../src/model/report';
import { otlpServer } from '../helpers/collectors';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

const byFingerprint = (r: Report) => Object.fromEntries(r.queries.map((q) => [`${q.system} ${q.fingerprint}`, q.calls]));

/**
 * batch-doctor analyze on OTLP recorded from a live run: the sample pipeline profiled with its spans also sent to
 * an OTLP endpoint; the recorded requests, as JSON lines and as length-prefixed protobuf, analysed afterwards.
 */
describe('batch-doctor analyze', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-analyze-'));
  let live: Report;
  beforeAll(async () => {
    await requireTestbed();
    const s = await otlpServer(200);
    const r = await cli(['profile', '--format', 'none', '--no-explain', '--out', path.join(out, 'live'), '--', process.execPath, 'fixtures/pipelines/orders-export/main.cjs'],
      { env: { ...process.env, ...testbedEnv(), EXPORT_DAYS: '3', OUT_DIR: path.join(out, 'files'), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${s.port}` } });
    s.close();
    expect(r.code, r.stderr).toBe(0);
    live = JSON.parse(fs.readFileSync(path.join(out, 'live', 'report.json'), 'utf8')) as Report;
    fs.writeFileSync(path.join(out, 'otlp.jsonl'), s.bodies.map((b) => JSON.stringify(JSON.parse(b))).join('\n') + '\n');
    const parts = s.bodies.map((b) => { const m = Buffer.from(encodeExportTraceRequest(JSON.parse(b))); const h = Buffer.alloc(4); h.writeUInt32BE(m.length); return Buffer.concat([h, m]); });
    fs.writeFileSync(path.join(out, 'otlp.pb'), Buffer.concat(parts));
  }, 120_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  for (const file of ['otlp.jsonl', 'otlp.pb']) {
    it(`${file}: the same statement classes, calls, transfers and top finding as the live run`, async () => {
      const dir = path.join(out, `${file}-report`);
      const r = await cli(['analyze', '--format', 'none', '--out', dir, path.join(out, file)]);
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
      expect(byFingerprint(rep)).toEqual(byFingerprint(live));
      expect(rep.ftp.files).toBe(live.ftp.files);
      expect(rep.ftp.bytes).toBe(live.ftp.bytes);
      expect(rep.findings[0]!.kind).toBe(live.findings[0]!.kind);
      expect(rep.findings[0]!.id).toBe(live.findings[0]!.id);
      // The same spans with the same times: per-class totals and the union of database and FTP time agree (the
      // forwarder sends the probes' precise starts, not the SDK's whole-millisecond ones). Wall time and logic do not:
      // OTLP carries neither the process lifetime nor CPU signals (docs/analyze.md).
      const totals = (x: Report) => Object.fromEntries(x.queries.map((q) => [q.fingerprint, Math.round(q.totalMs)]));
      expect(totals(rep)).toEqual(totals(live));
      expect(rep.breakdown.busyMs.db).toBeCloseTo(live.breakdown.busyMs.db, 1);
      expect(rep.breakdown.busyMs.ftp).toBeCloseTo(live.breakdown.busyMs.ftp, 1);
      expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
    }, 60_000);
  }

  it('reads its own trace files too (a run directory)', async () => {
    const runs = path.join(out, 'live', 'runs');
    const runDir = path.join(runs, fs.readdirSync(runs)[0]!);
    const r = await cli(['analyze', '--format', 'none', '--out', path.join(out, 'own'), runDir]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(fs.readFileSync(path.join(out, 'own', 'report.json'), 'utf8')) as Report;
    expect(byFingerprint(rep)).toEqual(byFingerprint(live));
  });

  it('truncated, malformed or hostile files: a clear error or a report, never a crash or a hang (property)', async () => {
    const jsonl = fs.readFileSync(path.join(out, 'otlp.jsonl'));
    const pb = fs.readFileSync(path.join(out, 'otlp.pb'));
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(jsonl, pb), fc.nat(), fc.uint8Array({ maxLength: 64 }), fc.boolean(),
      async (src, cut, noise, prepend) => {
        const at = src.length ? cut % src.length : 0;
        const bytes = prepend ? Buffer.concat([Buffer.from(noise), src.subarray(0, at)]) : Buffer.concat([src.subarray(0, at), Buffer.from(noise)]);
        const f = path.join(out, `fuzz${src === pb ? '.pb' : '.jsonl'}`);
        fs.writeFileSync(f, bytes);
        const r = await cli(['analyze', '--format', 'none', '--out', path.join(out, 'fuzz-out'), f], { timeoutMs: 30_000 });
        expect(r.signal, r.stderr).toBeNull();
        expect([0, 2]).toContain(r.code);
        expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
        if (r.code === 2) expect(r.stderr).toMatch(/\[BD_[A-Z_]+\]/);
      }), { numRuns: 25 });
  }, 300_000);
});
