import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { requireTestbed, ROOT, testbedEnv } from './helpers/testbed';

/**
 * Seeds the sample data once, before any test file: tests that profile the sample pipeline must not depend on
 * which file happens to run first. In CI (CI=true) a testbed that cannot be reached fails the run here; locally
 * the unit tests still run and every integration test fails on its own with the same message.
 */
export default async function setup(): Promise<void> {
  try { await requireTestbed(); }
  catch (err) {
    if (process.env['CI'] === 'true') throw err;
    return;
  }
  for (const seed of ['pipelines/orders-export/seed.cjs', 'pipelines/families/missing-index/seed.cjs', 'corpus/seed.cjs']) {
    execFileSync(process.execPath, [path.join(ROOT, 'fixtures', seed)], { env: { ...process.env, ...testbedEnv() }, stdio: 'inherit' });
  }
}
