import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARD_FLUSH_TIMEOUT_MS } from '../../probes/names';
import { otlpServer, readAllFiles, silentServer } from '../helpers/collectors';
import { cli, requireTestbed, ROOT, run, testbedEnv } from '../helpers/testbed';

/**
 * What leaves the profiled process for the user's own collector (OTEL_EXPORTER_OTLP_ENDPOINT), on the real
 * servers: a collector that keeps every request body, and one that accepts and never answers.
 */

const REGISTER = path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-fwd-'));
const baseEnv = () => ({ ...process.env, ...testbedEnv() });

describe('spans forwarded to the user collector', () => {
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('carry no password, bind value, literal or statement name: not in the command line, the error texts or the span names', async () => {
    const c = `CNRYFWD${process.pid}`;
    const col = await otlpServer(200);
    const out = path.join(tmp, 'leaky');
    const script = [
      `PGPASSWORD=${c}a DB_SECRET=${c}b X_API_TOKEN='${c}c with space'`,
      JSON.stringify(process.execPath), 'fixtures/pipelines/safety/leaky.cjs',
      `--password ${c}d password=${c}e --dsn=postgres://u:${c}f@127.0.0.1/x -p${c}g --token ${c}h --pass ${c}i MYSQL_PWD=${c}j`,
    ].join(' ');
    const r = await cli(['profile', '--format', 'table', '--out', out, '--', 'sh', '-c', script],
      { env: { ...baseEnv(), CANARY: c, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${col.port}` } });
    col.close();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('leaky done\n');
    const sent = col.bodies.join('\n');
    // Something was forwarded, and through the sanitizer: statements fingerprinted, the statement name hashed,
    // the errors reduced to their code, the command line present but redacted.
    expect(sent).toContain('select $1::int + ? as n');
    expect(sent).toMatch(/pg\.query:stmt-[0-9a-f]{8}/);
    expect(sent).toContain('22P02');
    expect(sent).toContain('process.command_args');
    expect(sent).toContain('***');
    for (const [name, text] of [['forwarded', sent], ['stderr', r.stderr], ['report and traces', readAllFiles(out)]] as const) {
      expect(text, name).not.toContain(c);
      expect(text, name).not.toContain(testbedEnv()['PGPASSWORD']!);
    }
  }, 60_000);

  it(`a collector that accepts and never answers costs the job under ${FORWARD_FLUSH_TIMEOUT_MS} ms`, async () => {
    const once = async (port: number, i: number) => {
      const dir = path.join(tmp, `hang-${port}-${i}`);
      fs.mkdirSync(dir);
      const r = await run(process.execPath, ['--require', REGISTER, 'fixtures/pipelines/safety/one-query.cjs'],
        { env: { ...baseEnv(), BATCH_DOCTOR_TRACE_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('one query done\n');
      return r.ms;
    };
    const healthy = await otlpServer(200);
    const silent = await silentServer();
    const h: number[] = []; const s: number[] = [];
    // Interleaved, so the machine's load drifts alike on both.
    for (let i = 0; i < 3; i++) { h.push(await once(healthy.port, i)); s.push(await once(silent.port, i)); }
    healthy.close(); silent.close();
    expect(healthy.bodies.length).toBeGreaterThan(0);
    // The promise holds for every run, not on average: the worst pair counts (before the fix: 1.98-2.06 s here).
    const added = Math.max(...s.map((x, i) => x - h[i]!));
    expect(added, `healthy ${h.map(Math.round).join('/')} ms, silent ${s.map(Math.round).join('/')} ms`).toBeLessThan(FORWARD_FLUSH_TIMEOUT_MS);
  }, 60_000);
});
