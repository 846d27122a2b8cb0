import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/** Every file under dir, read as text. */
function readAll(dir: string): string {
  let s = '';
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    s += e.isDirectory() ? readAll(p) : fs.readFileSync(p, 'utf8');
  }
  return s;
}

describe('canary literals and passwords never reach an output', () => {
  beforeAll(async () => { await requireTestbed(); });

  it('inline literals, bind values, MySQL values, remote paths, a password on the command line and in a URL', async () => {
    const canary = `CNRY${process.pid}`;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-canary-'));
    const pw = `${canary}-p@ss:/w?rd#`;
    const r = await cli(['profile', '--format', 'table', '--out', out, '--', process.execPath, 'fixtures/pipelines/canary/canary.cjs',
      '--password', pw, `--db=postgres://bob:${encodeURIComponent(pw)}@127.0.0.1/x`, `--dsn=mysql://bob:${pw}@127.0.0.1/x`],
    { env: { ...process.env, ...testbedEnv(), CANARY: canary } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('canary done\n');
    const report = fs.readFileSync(path.join(out, 'report.json'), 'utf8');
    // The statements are there, without their values.
    expect(report).toContain('select ? as x, ? as n');
    expect(report).toContain('select $1::text as x');
    expect(report).toContain('<unparseable select statement, redacted>');
    for (const [name, text] of [['stderr', r.stderr], ['report and traces', readAll(out)]] as const) {
      expect(text, name).not.toContain(canary);
      expect(text, name).not.toContain(testbedEnv()['PGPASSWORD']!);
      expect(text, name).not.toContain(testbedEnv()['FTP_PASSWORD']!);
    }
    fs.rmSync(out, { recursive: true, force: true });
  });
});
