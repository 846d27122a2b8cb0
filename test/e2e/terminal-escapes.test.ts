import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, requireTestbed, testbedEnv } from '../helpers/testbed';

/**
 * Terminal escape sequences from the job (a stage name, quoted identifiers in its SQL) never reach the user's
 * terminal or a Markdown summary raw: they are shown as `\u001b` text. Runs a real job on PostgreSQL.
 */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-esc-'));
/** Any C0 control except line feed and tab, DEL, or a C1 control. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('escape sequences from the job', () => {
  beforeAll(async () => { await requireTestbed(); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('are escaped in the stderr table, report --format table and md, and slow-log / explain text', async () => {
    const out = path.join(tmp, 'run');
    const r = await cli(['profile', '--format', 'table', '--no-explain', '--out', out, '--', process.execPath, 'fixtures/pipelines/safety/escapes.cjs'],
      { env: { ...process.env, ...testbedEnv() } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('escapes done\n'); // the job's own output is its own business, passed through
    const outputs: [string, string][] = [['profile stderr', r.stderr]];
    for (const format of ['table', 'md', 'json']) {
      const x = await cli(['report', path.join(out, 'report.json'), '--format', format]);
      expect(x.code, x.stderr).toBe(0);
      outputs.push([`report ${format}`, x.stdout + x.stderr]);
    }
    // The data is there, made visible.
    expect(r.stderr).toContain('\\u001b]0;PWNED-TITLE\\u0007');
    for (const [name, text] of outputs) {
      expect(text, name).toMatch(/PWNED-TITLE/);
      expect(RAW_CONTROL.exec(text)?.[0], name).toBeUndefined();
    }
    // A slow log with the same sequences in a statement.
    const log = path.join(tmp, 'slow.log');
    fs.writeFileSync(log, ['# User@Host: u[u] @ h []', '# Query_time: 0.5  Lock_time: 0  Rows_sent: 1  Rows_examined: 1',
      'SELECT `x\u001b]0;PWNED-TITLE\u0007` FROM t\u009b2J;', ''].join('\n'));
    const s = await cli(['slow-log', log, '--format', 'table']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/PWNED-TITLE/);
    expect(RAW_CONTROL.exec(s.stdout + s.stderr)?.[0]).toBeUndefined();
  }, 60_000);

  it('an unknown command or a bad argument with escape sequences is echoed escaped', async () => {
    const r = await cli(['\u001b]0;PWNED\u0007']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('\\u001b]0;PWNED\\u0007');
    expect(RAW_CONTROL.exec(r.stderr)?.[0]).toBeUndefined();
    const f = await cli(['analyze', `/nonexistent/\u001b[2Jtrace.jsonl`]);
    expect(f.code).toBe(2);
    expect(RAW_CONTROL.exec(f.stderr)?.[0]).toBeUndefined();
  });
});
