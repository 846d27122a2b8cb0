import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllSpans } from '../helpers/read-all-spans';
import { node24Path, requireTestbed, ROOT, run, testbedEnv } from '../helpers/testbed';

const REGISTER = path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js');

// The register module loaded by hand, both ways, into both kinds of pipeline.
describe('loading the probes with --require and --import', () => {
  beforeAll(async () => { await requireTestbed(); });

  const cases = [
    { flag: '--require', entry: 'main.cjs', env: {} },
    { flag: '--require', entry: 'main.mjs', env: {} },
    { flag: '--import', entry: 'main.cjs', env: {} },
    { flag: '--import', entry: 'main.mjs', env: {} },
    // Without the ESM loader hook, basic-ftp is still caught through the file that defines Client.
    { flag: '--require', entry: 'main.mjs', env: { BATCH_DOCTOR_ESM: '0' } },
  ];
  for (const c of cases) {
    it(`${c.flag} with ${c.entry}${c.env.BATCH_DOCTOR_ESM ? ' (no loader hook)' : ''}: database and FTP spans recorded`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-route-'));
      const env = { ...process.env, ...testbedEnv(), ...c.env, EXPORT_DAYS: '1', OUT_DIR: path.join(dir, 'out'), BATCH_DOCTOR_TRACE_DIR: dir };
      const r = await run(process.execPath, [c.flag, REGISTER, `fixtures/pipelines/orders-export/${c.entry}`], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const m = await readAllSpans(dir);
      expect(m.processes).toHaveLength(1);
      expect(m.spans.filter((s) => s.kind === 'db' && s.attrs['db.system'] === 'postgresql').length).toBeGreaterThan(100);
      expect(m.spans.some((s) => s.kind === 'db' && s.attrs['db.system'] === 'mysql')).toBe(true);
      expect(m.spans.filter((s) => s.name === 'ftp.upload')).toHaveLength(8);
      expect(m.processes[0]!.footer?.exitCode).toBe(0);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  // An ESM main without loaders of its own gets no loader hook: the probes route Node's own loads of the
  // instrumented packages' files through require (probes/esm-cjs-bridge.ts). This job imports pg-pool and pg's
  // Client file directly, so nothing else requires them: without that route, no hook would run.
  const POOL_ONLY = 'fixtures/pipelines/esm-entry/pool-only.mjs';
  const poolOnly = async (node: string, env: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-bridge-'));
    const r = await run(node, ['--require', REGISTER, POOL_ONLY], { env: { ...process.env, ...testbedEnv(), ...env, BATCH_DOCTOR_TRACE_DIR: dir } });
    const m = await readAllSpans(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return { r, names: m.spans.map((s) => s.name).sort() };
  };
  for (const [label, node] of [['Node 20', () => process.execPath], ['Node 24', node24Path]] as const) {
    it(`${label}: an ESM job's direct imports of pg-pool and pg/lib/client.js are instrumented without a loader hook`, async () => {
      const bare = await run(node(), [POOL_ONLY], { env: { ...process.env, ...testbedEnv() } });
      expect(bare.code, bare.stderr).toBe(0);
      const probed = await poolOnly(node(), {});
      expect(probed.r.code, probed.r.stderr).toBe(0);
      expect(probed.r.stdout).toBe(bare.stdout);
      expect(probed.r.stderr).toBe('');
      expect(probed.names).toEqual(['pg-pool.connect', 'pg.connect', 'pg.query:SELECT batch']);
      // The same job with the ESM route turned off: the files load without require, and no hook runs.
      const off = await poolOnly(node(), { BATCH_DOCTOR_ESM: '0' });
      expect(off.r.stdout).toBe(bare.stdout);
      expect(off.names).toEqual([]);
    }, 120_000);
  }
});
