import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllSpans } from '../helpers/read-all-spans';
import { requireServer, ROOT, run, testbedEnv } from '../helpers/testbed';

const REGISTER = path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js');
const SCRIPT = 'fixtures/pipelines/mysql-fast-path/repeat.cjs';

async function traced(fastPath: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-myfast-'));
  const env = { ...process.env, ...testbedEnv(), BATCH_DOCTOR_TRACE_DIR: dir, BATCH_DOCTOR_FAST_PATH: fastPath ? '1' : '0' };
  const r = await run(process.execPath, ['--require', REGISTER, SCRIPT], { env });
  const m = await readAllSpans(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const spans = (fp: string) => m.spans.filter((s) => s.kind === 'db' && s.attrs['db.fingerprint'] === fp);
  return { r, m, spans };
}

// The mysql2 fast path against the real MariaDB.
describe('mysql2 fast path', () => {
  beforeAll(async () => { const e = testbedEnv(); await requireServer('MariaDB', e['MYSQL_HOST']!, Number(e['MYSQL_TCP_PORT'])); });

  it('records every call like the official instrumentation, and the app sees the same results and errors', async () => {
    const bare = await run(process.execPath, [SCRIPT]);
    expect(bare.code, bare.stderr).toBe(0);
    expect(JSON.parse(bare.stdout)).toMatchObject({ rows: 260, errors: 60, codes: ['ER_DUP_ENTRY'] });
    const fast = await traced(true);
    const slow = await traced(false);
    for (const t of [fast, slow]) {
      expect(t.r.code, t.r.stderr).toBe(0);
      expect(t.r.stdout).toBe(bare.stdout);
      expect(t.spans('select ? * ? as v')).toHaveLength(300);
      const inserts = t.spans('insert into fast_path_t(id, v) values (?+)');
      expect(inserts).toHaveLength(320);
      const failed = inserts.filter((s) => s.error);
      expect(failed).toHaveLength(60);
      // The official mysql2 instrumentation keeps only the error message (which holds data, so it is not
      // recorded): its spans carry no code. The fast path records mysql2's error code.
      expect(failed.every((s) => s.errorType === 'ER_DUP_ENTRY' || s.errorType === null)).toBe(true);
      expect(inserts.filter((s) => !s.error).every((s) => s.rows === 1)).toBe(true);
    }
    expect(fast.m.spans.filter((s) => /^f0{6,}/.test(s.spanId)).length).toBeGreaterThan(300);
    expect(fast.spans('insert into fast_path_t(id, v) values (?+)').some((s) => s.errorType === 'ER_DUP_ENTRY')).toBe(true);
    expect(slow.m.spans.filter((s) => /^f0{6,}/.test(s.spanId))).toHaveLength(0);
  });
});
