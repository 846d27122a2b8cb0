import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllSpans } from '../helpers/read-all-spans';
import { requireTestbed, ROOT, run, testbedEnv } from '../helpers/testbed';

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
});
