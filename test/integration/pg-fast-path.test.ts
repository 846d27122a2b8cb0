import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FULL_SPANS_PER_STATEMENT } from '../../probes/fast-path/counter';
import { readAllSpans } from '../helpers/read-all-spans';
import { requireServer, ROOT, run, testbedEnv } from '../helpers/testbed';

const REGISTER = path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js');
const SCRIPT = 'fixtures/pipelines/pg-fast-path/repeat.cjs';

async function traced(fastPath: boolean, script = SCRIPT) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-fast-'));
  const env = { ...process.env, ...testbedEnv(), BATCH_DOCTOR_TRACE_DIR: dir, BATCH_DOCTOR_FAST_PATH: fastPath ? '1' : '0' };
  const r = await run(process.execPath, ['--require', REGISTER, script], { env });
  const m = await readAllSpans(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const count = (fp: string) => m.spans.filter((s) => s.attrs['db.fingerprint'] === fp);
  return { r, m, count };
}

// The fast path for repeated PostgreSQL statements against the real server.
describe('pg fast path', () => {
  beforeAll(async () => { const e = testbedEnv(); await requireServer('PostgreSQL', e['PGHOST']!, Number(e['PGPORT'])); });

  it('records every call, as the official instrumentation does, and the app sees the same results and errors', async () => {
    const bare = await run(process.execPath, [SCRIPT]);
    expect(bare.code, bare.stderr).toBe(0);
    const fast = await traced(true);
    const slow = await traced(false);
    for (const t of [fast, slow]) {
      expect(t.r.code, t.r.stderr).toBe(0);
      expect(t.r.stdout).toBe(bare.stdout);
      expect(t.count('select $1::int * ? as v')).toHaveLength(300);
      expect(t.count('select $1::int + ? as v')).toHaveLength(100);
      const div = t.count('select ? / $1::int as v');
      expect(div).toHaveLength(120);
      expect(div.filter((s) => s.error)).toHaveLength(60);
      expect(div.filter((s) => s.error).every((s) => s.errorType === '22012')).toBe(true);
      expect(t.count('select $1::int * ? as v').every((s) => s.rows === 1)).toBe(true);
    }
    expect(JSON.parse(bare.stdout).codes).toEqual(['22012']);
    // The fast path took most repeated calls; the official path made full spans for the rest.
    const fastIds = fast.m.spans.filter((s) => s.spanId.startsWith('f') && s.spanId.length === 16 && /^f0+/.test(s.spanId)).length;
    expect(fastIds).toBeGreaterThan(300);
    expect(slow.m.spans.filter((s) => /^f0{6,}/.test(s.spanId))).toHaveLength(0);
    // After its first FULL_SPANS_PER_STATEMENT full spans a statement takes the fast path on every call: no periodic full span, whose
    // cold code would cost more per call, averaged, than the fast path itself.
    const isFast = (s: { spanId: string }) => /^f0{6,}/.test(s.spanId);
    expect(fast.count('select $1::int * ? as v').filter(isFast)).toHaveLength(300 - FULL_SPANS_PER_STATEMENT);
    expect(fast.count('select ? / $1::int as v').filter(isFast)).toHaveLength(120 - FULL_SPANS_PER_STATEMENT);
    // The footer states the probes' own cost: set-up, exit work, and the calls by path.
    const cost = fast.m.processes[0]!.footer!.probeCost!;
    expect(cost.initMs).toBeGreaterThan(0);
    expect(cost.exitMs).toBeGreaterThan(0);
    expect(cost.officialDbCalls + cost.fastDbCalls).toBeGreaterThanOrEqual(520);
  });

  it('pg.Pool checkouts: every one recorded, the first few per pool as full spans and the rest compact, the app unchanged', async () => {
    const POOL = 'fixtures/pipelines/pg-fast-path/pool.cjs';
    const bare = await run(process.execPath, [POOL], { env: { ...process.env, ...testbedEnv() } });
    expect(bare.code, bare.stderr).toBe(0);
    const fast = await traced(true, POOL);
    const slow = await traced(false, POOL);
    for (const t of [fast, slow]) {
      expect(t.r.code, t.r.stderr).toBe(0);
      expect(t.r.stdout).toBe(bare.stdout);
      const checkouts = t.m.spans.filter((s) => s.name === 'pg-pool.connect');
      // 200 pool.query + 20 promise + 10 callback checkouts on the live pool, and the failed one.
      expect(checkouts).toHaveLength(231);
      expect(checkouts.every((s) => s.kind === 'db-connect' && s.attrs['db.system'] === 'postgresql')).toBe(true);
      expect(checkouts.filter((s) => s.error)).toHaveLength(1);
    }
    expect(JSON.parse(bare.stdout).failed).toBe('ECONNREFUSED');
    const isFast = (s: { spanId: string }) => /^f0{6,}/.test(s.spanId);
    const live = fast.m.spans.filter((s) => s.name === 'pg-pool.connect' && !s.error);
    expect(live.filter(isFast)).toHaveLength(230 - FULL_SPANS_PER_STATEMENT);
    expect(live.filter(isFast).every((s) => s.attrs['server.port'] === Number(testbedEnv()['PGPORT']))).toBe(true);
    expect(slow.m.spans.filter((s) => s.name === 'pg-pool.connect' && isFast(s))).toHaveLength(0);
  });
});
