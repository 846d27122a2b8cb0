import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { main } from '../../src/cli/main';
import { splitCommand } from '../../src/cli/commands/profile';
import { terminalRenderer } from '../../reports/terminal';
import { TraceBuilder } from '../helpers/trace-builder';

function sink() { let s = ''; return { stream: new Writable({ write(c, _e, cb) { s += String(c); cb(); } }), text: () => s }; }
async function runCli(args: string[]) {
  const out = sink(), err = sink();
  const r = await main(args, { stdout: out.stream, stderr: err.stream, env: {}, cwd: os.tmpdir() });
  return { ...r, stdout: out.text(), stderr: err.text() };
}

function sampleReport() {
  const b = new TraceBuilder(3000);
  b.db('select id, customer_id from orders where day = $1', 0, 50, { rows: 500 });
  for (let i = 0; i < 500; i++) b.db('select id, name from customers where id = $1', 60 + i * 4, 62 + i * 4, { rows: 1 });
  b.busy(0, 3000, 0.4);
  return analyze(b.build(), { toolVersion: '9.9.9' });
}

describe('command line', () => {
  it('splits options from the command', () => {
    expect(splitCommand(['--out', 'x', '--', 'node', '--inspect', 'a.js'])).toEqual({ options: ['--out', 'x'], command: ['node', '--inspect', 'a.js'] });
    expect(splitCommand(['-o', 'x', 'node', 'a.js', '--flag'])).toEqual({ options: ['-o', 'x'], command: ['node', 'a.js', '--flag'] });
  });

  it('unknown commands and options are usage errors with a hint', async () => {
    const a = await runCli(['frobnicate']);
    expect(a.exitCode).toBe(2);
    expect(a.stderr).toContain('unknown command "frobnicate"');
    const b = await runCli(['report', '--bogus', 'x']);
    expect(b.exitCode).toBe(2);
    expect(b.stderr).toMatch(/Unknown option '--bogus'.*--help/);
  });

  it('report re-renders a saved report, and refuses what is not one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-rep-'));
    const file = path.join(dir, 'report.json');
    fs.writeFileSync(file, JSON.stringify(sampleReport()));
    const t = await runCli(['report', file]);
    expect(t.exitCode).toBe(0);
    expect(t.stdout).toContain('N+1 reads: 500 single-key lookups on customers');
    const j = await runCli(['report', file, '--format', 'json']);
    expect(JSON.parse(j.stdout).tool.version).toBe('9.9.9');
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"hello":');
    const bad = await runCli(['report', path.join(dir, 'bad.json')]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not valid JSON');
    expect(bad.stderr).toContain('[BD_REPORT_READ]');
    const missing = await runCli(['report', path.join(dir, 'nope.json')]);
    expect(missing.stderr).toContain('no such file');
  });

  it('the terminal table shows the breakdown, ranked findings and the what-if line', () => {
    const text = terminalRenderer.render(sampleReport(), { color: false, width: 100 });
    expect(text).toMatchSnapshot();
  });
});
