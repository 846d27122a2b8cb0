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

  it('forwards postgres.js statements as named, fingerprinted spans', async () => {
    const col = await otlpServer(200);
    const dir = path.join(tmp, 'pgjs-forward');
    fs.mkdirSync(dir);
    const r = await run(process.execPath, ['--require', REGISTER, 'fixtures/pipelines/coverage/postgres-js-n1.cjs'],
      { env: { ...baseEnv(), BATCH_DOCTOR_TRACE_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${col.port}` } });
    col.close();
    expect(r.code, r.stderr).toBe(0);
    const sent = col.bodies.join('\n');
    expect(sent.match(/postgres\.query/g)?.length).toBeGreaterThanOrEqual(2500);
    expect(sent).toContain('select id, name, region from cx_customers where id = $1');
    // Recorded in the trace file too, with no probe error (a span without a name used to fail the recorder).
    const footer = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]!), 'utf8').trim().split('\n').pop()!);
    expect(footer.internalErrors).toEqual({});
  }, 60_000);

  /**
   * Behaviour, not speed: the job finishes with its own exit code and output, and a silent collector holds it for
   * well under the exporter's default 10 s timeout per batch (what a hang would cost). How much it adds against a
   * healthy collector (the documented 2 s at most) is a timing figure: `node bench/forward-silent.mjs`
   * (docs/probes.md).
   */
  it('a collector that accepts and never answers does not hang the job', async () => {
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
    const h = await once(healthy.port, 0);
    const s = await once(silent.port, 0);
    healthy.close(); silent.close();
    expect(healthy.bodies.length).toBeGreaterThan(0);
    expect(s - h, `healthy ${Math.round(h)} ms, silent ${Math.round(s)} ms`).toBeLessThan(FORWARD_FLUSH_TIMEOUT_MS + 5000);
  }, 60_000);
});
