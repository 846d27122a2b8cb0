import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import type { Report } from '../../src/model/report';

/**
 * fixtures/otlp/recorded: one live profile of the sample pipeline (scripts/record-otlp-fixture.mjs) kept three ways:
 * the probes' trace file, the OTLP requests as the Collector's file exporter writes them (JSON lines), and as
 * length-prefixed protobuf. `analyze` gives the same report from each, but for what OTLP cannot carry.
 */
const DIR = path.join(__dirname, '..', '..', 'fixtures', 'otlp', 'recorded');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-recorded-'));
const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });

async function analyzeTo(name: string, inputs: string[]): Promise<Report> {
  const dest = path.join(out, name);
  const r = await main(['analyze', '--format', 'none', '--out', dest, ...inputs], { stdout: sink(), stderr: sink(), env: {}, cwd: out });
  expect(r.exitCode).toBe(0);
  return JSON.parse(fs.readFileSync(path.join(dest, 'report.json'), 'utf8')) as Report;
}

describe('recorded OTLP fixtures against the live trace they were recorded with', () => {
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('JSON lines and protobuf give the same report as the trace file, but for CPU signals and process lifetime', async () => {
    const traces = fs.readdirSync(DIR).filter((f) => f.startsWith('trace-')).map((f) => path.join(DIR, f));
    const live = await analyzeTo('live', traces);
    const json = await analyzeTo('json', [path.join(DIR, 'otlp.jsonl')]);
    const pb = await analyzeTo('pb', [path.join(DIR, 'otlp.pb')]);
    const classes = (r: Report) => r.queries.map((q) => [q.system, q.fingerprint, q.calls, q.errors, q.rows, Math.round(q.totalMs)]).sort();
    expect(classes(json)).toEqual(classes(live));
    expect(classes(pb)).toEqual(classes(json));
    // protobuf and JSON are the same requests: identical reports apart from the input's name.
    const strip = (r: Report) => ({ ...r, run: { ...r.run, command: [] }, tool: null, thresholds: null });
    expect(strip(pb)).toEqual(strip(json));
    const transfers = (r: Report) => r.ftp.transfers.map((t) => [t.direction, t.bytes, t.mode, Math.round(t.ms)]);
    expect(transfers(json)).toEqual(transfers(live));
    // The forwarded spans keep the probes' precise starts, so the union of database and FTP time is the live one.
    expect(json.breakdown.busyMs.db).toBeCloseTo(live.breakdown.busyMs.db, 1);
    expect(json.breakdown.busyMs.ftp).toBeCloseTo(live.breakdown.busyMs.ftp, 1);
    expect(json.findings.map((f) => f.id)).toContain(live.findings[0]!.id);
    expect(json.findings[0]!.kind).toBe(live.findings[0]!.kind);
  });
});
