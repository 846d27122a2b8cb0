import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { node24Path, requireTestbed, ROOT, run, testbedEnv } from '../helpers/testbed';

/**
 * The probes keep no timer or handle alive and add no signal handler: a job reports what keeps its event loop alive
 * (`process.getActiveResourcesInfo()`) and its signal listeners before and after its work, bare and under the
 * probes, on Node 20 and Node 24. Only the documented `beforeExit`/`exit` listeners (the final flush) may differ.
 */
const JOB = 'fixtures/pipelines/safety/no-handles.cjs';
const REGISTER = path.join(ROOT, 'dist', 'probes', 'bundle', 'register.js');

describe('the probes hold nothing open', () => {
  beforeAll(async () => { await requireTestbed(); });

  for (const [name, node] of [['Node 20', () => process.execPath], ['Node 24', node24Path]] as const) {
    it(`${name}: no timer, handle or signal handler of the probes' own`, async () => {
      const env = { ...process.env, ...testbedEnv() };
      const bare = await run(node(), [JOB], { env });
      expect(bare.code, bare.stderr).toBe(0);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-handles-'));
      const probed = await run(node(), ['--require', REGISTER, JOB], { env: { ...env, BATCH_DOCTOR_TRACE_DIR: dir } });
      expect(probed.code, probed.stderr).toBe(0);
      // The probes ran (they wrote a trace) ...
      expect(fs.readdirSync(dir).some((f) => f.startsWith('trace-'))).toBe(true);
      fs.rmSync(dir, { recursive: true, force: true });
      const a = JSON.parse(bare.stdout) as { before: { signals: Record<string, number>; alive: string[] }; after: { signals: Record<string, number>; alive: string[] } };
      const b = JSON.parse(probed.stdout) as typeof a;
      // ... and left what keeps the loop alive as it was, before the work and after it.
      expect(b.before.alive).toEqual(a.before.alive);
      expect(b.after.alive).toEqual(a.after.alive);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR2']) {
        expect(b.before.signals[sig], sig).toBe(a.before.signals[sig]);
        expect(b.after.signals[sig], sig).toBe(a.after.signals[sig]);
      }
    }, 300_000);
  }
});
