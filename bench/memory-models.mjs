// How close the memory findings' predicted peaks come to the peak the fixed job measures: each pair of
// fixtures/pipelines/memory is one job written two ways (held whole, and bounded), profiled one after the other in
// each round; the held run's finding predicts the bounded run's peak.
//   npm run build && bash testbed/start.sh && source testbed/env.sh
//   node bench/memory-models.mjs [--rounds 3] [--node "$(npx -y -p node@24 which node)"]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, node: { type: 'string' } } });
const node = values.node ?? process.execPath;
const cli = path.join(root, 'dist/bin/batch-doctor.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-memory-models-'));
const job = (f) => path.join(root, 'fixtures/pipelines/memory', f);
/** [held job, the finding it should get, bounded job, what the bounded job's peak is measured as]. */
const PAIRS = [
  ['whole.cjs', 'large-result-set', 'cursor.cjs', 'heap'],
  ['accumulate.cjs', 'memory-accumulation', 'chunked.cjs', 'heap'],
  ['sftp-held.cjs', 'file-held-whole', 'sftp-streamed.cjs', 'heap+external'],
];
const MiB = 1048576;

function profile(file, n) {
  const out = path.join(tmp, `${file}-${n}`);
  const r = spawnSync(process.execPath, [cli, 'profile', '--format', 'none', '--no-explain', '--out', out, '--', node, job(file)], { encoding: 'utf8', cwd: root, env: { ...process.env, OUT_DIR: tmp } });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
}
/** The bounded run's peak: heap used (what the cursor and chunk models predict), or heap used + external (files). */
function peakOf(report, how) {
  const m = report.memory;
  if (how === 'heap') return m.peakHeapUsedBytes;
  // The highest heap + external of one sample is not in the report; the sum of the two peaks bounds it from above.
  return Math.max(...m.processes.map((p) => p.peakHeapUsedBytes + p.peakExternalBytes));
}

const rows = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [held, kind, bounded, how] of PAIRS) {
    const h = profile(held, round);
    const f = h.findings.find((x) => x.kind === kind);
    const b = profile(bounded, round);
    const measured = peakOf(b, how);
    const predicted = f?.memory?.predictedPeakBytes ?? null;
    const falseAlarm = b.findings.some((x) => x.kind === kind);
    rows.push(`| ${round + 1} | ${held} -> ${bounded} | ${f ? 'yes' : '**no**'} | ${f ? (f.memory.peakBytes / MiB).toFixed(1) : '-'} | ${predicted === null ? '-' : (predicted / MiB).toFixed(1)} | ${(measured / MiB).toFixed(1)} (${how}) | ${predicted === null ? '-' : `${(((predicted - measured) / measured) * 100).toFixed(0)}%`} | ${falseAlarm ? '**yes**' : 'no'} |`);
    console.error(`round ${round + 1}: ${held} done`);
  }
}
const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log('| round | pair | finding on the held job | its peak MiB | predicted peak MiB | bounded job measured MiB | error | finding on the bounded job |');
console.log('|---:|---|---|---:|---:|---:|---:|---|');
for (const r of rows) console.log(r);
console.log(`\nnode ${v}, ${os.cpus().length} CPUs.`);
fs.rmSync(tmp, { recursive: true, force: true });
