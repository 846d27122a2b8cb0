import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { main } from '../../src/cli/main';
import { loadThresholdsConfig } from '../../src/config/thresholds-config';
import { BatchDoctorError } from '../../src/errors';
import { TraceBuilder } from '../helpers/trace-builder';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-config-'));
const write = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };
const errorOf = (fn: () => unknown) => { try { fn(); } catch (e) { return e as BatchDoctorError; } throw new Error('no error'); };

describe('thresholds file', () => {
  it('reads job and stage thresholds', () => {
    const f = write('ok.json', JSON.stringify({ thresholds: { minRepeatedCalls: 50, minSavingMs: 200 }, stages: { load: { thresholds: { minRepeatedTotalMs: 5000 } } } }));
    expect(loadThresholdsConfig(f, true)).toEqual({ file: f, thresholds: { minRepeatedCalls: 50, minSavingMs: 200 }, stages: { load: { minRepeatedTotalMs: 5000 } } });
  });

  it('an absent default file is no error; an absent --config file is', () => {
    expect(loadThresholdsConfig(path.join(dir, 'none.json'), false)).toBeNull();
    expect(errorOf(() => loadThresholdsConfig(path.join(dir, 'none.json'), true)).code).toBe('BD_INPUT');
  });

  it('says which key is wrong and what it must be', () => {
    const cases: [string, RegExp][] = [
      ['{ "thresholds": ', /not valid JSON/],
      ['[]', /must hold a JSON object/],
      ['{ "tresholds": {} }', /Unknown key "tresholds"/],
      ['{ "thresholds": { "minRepeatCalls": 3 } }', /unknown threshold "minRepeatCalls"\. Known: minRepeatedCalls/],
      ['{ "thresholds": { "minRepeatedCalls": 2.5 } }', /"minRepeatedCalls" must be a whole number >= 1 \(got 2\.5\)/],
      ['{ "thresholds": { "minHotFunctionShare": 5 } }', /"minHotFunctionShare" must be a share between 0 and 1/],
      ['{ "thresholds": { "minSavingMs": "100" } }', /"minSavingMs" must be a number >= 0 \(got "100"\)/],
      ['{ "stages": { "load": { "minSavingMs": 1 } } }', /Unknown key "minSavingMs" in stages\."load"/],
    ];
    for (const [text, msg] of cases) {
      const e = errorOf(() => loadThresholdsConfig(write('bad.json', text), true));
      expect(e.code).toBe('BD_INPUT');
      expect(e.message).toMatch(msg);
    }
  });

  it('applies a stage\'s thresholds to the findings inside that stage only', () => {
    const b = new TraceBuilder(3000);
    b.stage('extract', 0, 1000);
    b.stage('load', 1000, 3000);
    b.db('select id, customer_id from orders where day = $1', 0, 10, { rows: 300 });
    for (let i = 0; i < 300; i++) b.db('select id, name from customers where id = $1', 10 + i * 3, 12 + i * 3, { rows: 1 });
    for (let i = 0; i < 300; i++) b.db('insert into summary (day, n) values (?+)', 1000 + i * 6, 1005 + i * 6, { rows: 1 });
    const m = b.build();
    const all = analyze(m, { toolVersion: 't' }).findings.map((f) => f.kind).sort();
    expect(all).toEqual(['n-plus-one-read', 'row-by-row-write']);
    // The load stage tolerates up to 1000 single-row statements; extract keeps the job's thresholds.
    const r = analyze(m, { toolVersion: 't', stageThresholds: { load: { minRepeatedCalls: 1000 } }, thresholdsFile: 'x.json' });
    expect(r.findings.map((f) => f.kind)).toEqual(['n-plus-one-read']);
    expect(r.thresholds).toMatchObject({ file: 'x.json', stages: { load: { minRepeatedCalls: 1000 } } });
    // And the job-wide minimum saving drops what is below it.
    expect(analyze(m, { toolVersion: 't', thresholds: { minSavingMs: 100_000 } }).findings).toEqual([]);
  });

  it('profile refuses a bad thresholds file before running anything', async () => {
    const marker = path.join(dir, 'ran');
    const f = write('bad2.json', '{ "thresholds": { "nope": 1 } }');
    let err = '';
    const r = await main(['profile', '--config', f, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '1')`],
      { stdout: new Writable({ write(_c, _e, cb) { cb(); } }), stderr: new Writable({ write(c, _e, cb) { err += String(c); cb(); } }), env: {}, cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(err).toMatch(/unknown threshold "nope".*\[BD_INPUT\]/s);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
