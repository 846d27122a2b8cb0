import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report';
import { cli, node24Path, requireTestbed, ROOT, run, testbedEnv } from '../helpers/testbed';

const SAMPLE = 'fixtures/pipelines/orders-export';
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'report.schema.json'), 'utf8')));

function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) out[f] = createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex');
  return out;
}

// A short export window keeps each run near a second; the N+1 is still thousands of calls.
const JOB_ENV = { EXPORT_DAYS: '4' };

describe('batch-doctor profile on the orders-export sample (real PostgreSQL, MariaDB, vsftpd)', () => {
  // The sample's tables are seeded once, by the global set-up: seeding again here (DROP TABLE, CREATE, fill) raced
  // with other test files running the sample at the same time, whose lookups then found no customer.
  beforeAll(async () => { await requireTestbed(); });

  const cases: { node: string; entry: string }[] = [
    { node: '20', entry: 'main.cjs' },
    { node: '20', entry: 'main.mjs' },
    { node: '24', entry: 'main.cjs' },
    { node: '24', entry: 'main.mjs' },
  ];
  for (const c of cases) {
    it(`Node ${c.node}, ${c.entry}: same stdout, exit code and files as a bare run; a valid report with the N+1 on top`, async () => {
      const nodeBin = c.node === '24' ? node24Path() : process.execPath;
      if (c.node === '24') expect((await run(nodeBin, ['--version'])).stdout).toMatch(/^v24\./);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-e2e-'));
      const env = (out: string) => ({ ...process.env, ...testbedEnv(), ...JOB_ENV, OUT_DIR: out });
      const bare = await run(nodeBin, [`${SAMPLE}/${c.entry}`], { env: env(path.join(tmp, 'bare')) });
      expect(bare.code, bare.stderr).toBe(0);
      const prof = await cli(['profile', '--out', path.join(tmp, 'report'), '--', nodeBin, `${SAMPLE}/${c.entry}`], { env: env(path.join(tmp, 'profiled')) });
      expect(prof.code, prof.stderr).toBe(0);
      expect(prof.stdout).toBe(bare.stdout);
      expect(hashDir(path.join(tmp, 'profiled'))).toEqual(hashDir(path.join(tmp, 'bare')));
      expect(prof.stderr).toContain('where the time went');

      const report = JSON.parse(fs.readFileSync(path.join(tmp, 'report', 'report.json'), 'utf8')) as Report;
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
      expect(report.run.nodeVersions[0]).toMatch(new RegExp(`^v${c.node}\\.`));
      const total = report.breakdown.categories.reduce((a, x) => a + x.ms, 0);
      expect(Math.abs(total - report.run.wallMs) / report.run.wallMs).toBeLessThan(0.05);
      // The wall time is the command's own, measured from outside: it cannot exceed what the test saw.
      expect(report.run.wallMs).toBeLessThanOrEqual(prof.ms);
      expect(report.breakdown.categories.find((x) => x.category === 'db')!.ms).toBeGreaterThan(0);
      expect(report.breakdown.categories.find((x) => x.category === 'ftp')!.ms).toBeGreaterThan(0);
      const top = report.findings[0]!;
      expect(top.kind).toBe('n-plus-one-read');
      expect(top.evidence.fingerprint).toBe('select id, name, email, country from customers where id = $1');
      expect(top.evidence.metrics['calls']).toBe(Number(bare.stdout.match(/exported (\d+) orders/)![1]));
      expect(report.queries.some((q) => q.system === 'mysql' && q.fingerprint.startsWith('insert into daily_summary'))).toBe(true);
      expect(report.ftp.files).toBe(8);
      expect(report.ftp.transfers.every((t) => t.bytes! > 0)).toBe(true);
      expect(report.runtime.hotFunctions.length).toBeGreaterThan(0);
      fs.rmSync(tmp, { recursive: true, force: true });
    });
  }
});
