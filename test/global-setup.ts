import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTestbed, ROOT, testbedEnv } from './helpers/testbed';

/**
 * Gives the run its own TMPDIR, and seeds the sample data once, before any test file: tests that profile the sample
 * pipeline must not depend on which file happens to run first. In CI (CI=true) a testbed that cannot be reached
 * fails the run here; locally the unit tests still run and every integration test fails on its own with the same
 * message.
 */
export default async function setup(): Promise<() => void> {
  // One temporary directory for the whole run (the test files, and every CLI and job they start, inherit TMPDIR),
  // removed at the end: what a test or a killed child leaves there does not pile up on the machine.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-tests-'));
  process.env['TMPDIR'] = tmp;
  const teardown = () => fs.rmSync(tmp, { recursive: true, force: true });
  try { await requireTestbed(); }
  catch (err) {
    if (process.env['CI'] === 'true') { teardown(); throw err; }
    return teardown;
  }
  for (const seed of ['pipelines/orders-export/seed.cjs', 'pipelines/families/missing-index/seed.cjs', 'corpus/seed.cjs']) {
    execFileSync(process.execPath, [path.join(ROOT, 'fixtures', seed)], { env: { ...process.env, ...testbedEnv() }, stdio: 'inherit' });
  }
  return teardown;
}
