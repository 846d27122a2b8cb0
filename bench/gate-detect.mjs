// How often the gate's timing rule catches a 30% slower transform stage, and lets a 3% slower one pass, on this
// machine: T trials; each profiles the unchanged and the changed gate-job interleaved (N runs each), writes a
// baseline from the unchanged reports and gates the changed ones (the interleaved procedure of docs/gate.md).
//   node bench/gate-detect.mjs [--trials 4] [--runs 10]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { trials: { type: 'string', default: '4' }, runs: { type: 'string', default: '10' } } });
const cli = path.join(root, 'dist/bin/batch-doctor.js');
const job = path.join(root, 'fixtures/pipelines/gate-job/job.cjs');
const bd = (args, env = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
const tally = {};
for (const factor of ['1.3', '1.03']) {
  tally[factor] = { regression: 0, inconclusive: 0, pass: 0 };
  for (let t = 0; t < Number(values.trials); t++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-detect-'));
    const base = []; const cand = [];
    for (let i = 0; i < Number(values.runs); i++) {
      for (const [list, f] of [[base, '1'], [cand, factor]]) {
        const out = path.join(dir, `${f}-${i}`);
        const r = bd(['profile', '--format', 'none', '--no-explain', '--out', out, '--', process.execPath, job], { LOGIC_FACTOR: f });
        if (r.status !== 0) throw new Error(r.stderr);
        list.push(path.join(out, 'report.json'));
      }
    }
    const b = path.join(dir, 'b.json');
    bd(['gate', '--baseline', b, '--update-baseline', ...base.flatMap((f) => ['--current', f])]);
    const res = JSON.parse(bd(['gate', '--baseline', b, '--format', 'json', ...cand.flatMap((f) => ['--current', f])]).stdout);
    const tr = res.checks.find((c) => c.name === 'stage transform');
    const verdict = res.status === 'regression' ? 'regression' : res.summary.inconclusive ? 'inconclusive' : 'pass';
    tally[factor][verdict]++;
    console.error(`x${factor} trial ${t + 1}: ${verdict}; transform ${tr.stats ? `x${tr.stats.ratio} [${tr.stats.ciLow}, ${tr.stats.ciHigh}] p=${tr.stats.pValue}` : tr.verdict}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
for (const [f, t] of Object.entries(tally)) console.log(`transform x${f}: ${t.regression} regression, ${t.inconclusive} inconclusive, ${t.pass} pass (of ${values.trials} trials, ${values.runs}+${values.runs} interleaved runs)`);
