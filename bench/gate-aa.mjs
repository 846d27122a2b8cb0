// A/A: the unchanged gate-job against its own baseline, N consecutive gate runs. Counts false alarms (exit 1),
// tool errors (exit 2) and inconclusive timings. Needs the testbed and the seeded sample data.
//   node bench/gate-aa.mjs [--runs 20] [--repeat 7]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, repeat: { type: 'string', default: '7' } } });
const cli = path.join(root, 'dist/bin/batch-doctor.js');
const job = path.join(root, 'fixtures/pipelines/gate-job/job.cjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-gate-aa-'));
const baseline = path.join(dir, 'baseline.json');
const gate = (extra) => spawnSync(process.execPath, [cli, 'gate', '--baseline', baseline, '--repeat', values.repeat, ...extra, '--', process.execPath, job], { encoding: 'utf8', maxBuffer: 64 << 20 });

const b = gate(['--update-baseline']);
if (b.status !== 0) { console.error(b.stderr); process.exit(2); }
console.error(b.stdout.trim());
const tally = { pass: 0, regression: 0, error: 0, inconclusiveRuns: 0 };
const t0 = Date.now();
for (let i = 1; i <= Number(values.runs); i++) {
  const r = gate(['--format', 'json']);
  if (r.status === 2 || !r.stdout.trim()) { tally.error++; console.error(`run ${i}: tool error: ${r.stderr.slice(-300)}`); continue; }
  const res = JSON.parse(r.stdout);
  if (r.status === 1) tally.regression++; else tally.pass++;
  if (res.summary.inconclusive) tally.inconclusiveRuns++;
  const wall = res.checks.find((c) => c.name === 'wall time');
  console.error(`run ${i}: ${res.status}${res.summary.inconclusive ? ` (${res.summary.inconclusive} inconclusive)` : ''}, wall ${wall.stats ? `x${wall.stats.ratio} [${wall.stats.ciLow}, ${wall.stats.ciHigh}]` : '-'}`);
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${values.runs} consecutive gate runs of the unchanged job (--repeat ${values.repeat}), ${((Date.now() - t0) / 60000).toFixed(1)} min: ` +
  `${tally.pass} pass, ${tally.regression} false alarms, ${tally.error} tool errors; ${tally.inconclusiveRuns} runs with an inconclusive timing (exit 0).`);
process.exitCode = tally.regression || tally.error ? 1 : 0;
