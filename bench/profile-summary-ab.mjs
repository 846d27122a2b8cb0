// What summarizing the CPU profile costs at a job's exit, this build against another: CPU profiles of real jobs are
// recorded once (V8's profiler, as the probes start it), then each is summarized in fresh processes, one call each
// (cold, as at exit), alternating the two builds; medians per profile, and a check that both give the same record.
//   npm run build && bash testbed/start.sh && source testbed/env.sh && node fixtures/corpus/seed.cjs
//   git worktree add /tmp/bd-before <commit> && (cd /tmp/bd-before && npm ci && npm run build)
//   node bench/profile-summary-ab.mjs --against /tmp/bd-before/dist/probes/runtime.js [--runs 7] [--node PATH]
// An upper bound: these processes load dist/probes/runtime.js without the code cache the probes' bundle is loaded
// with, so V8 also compiles the summary on its first call. In a probed job the same summary takes less (docs/overhead.md).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { against: { type: 'string' }, runs: { type: 'string', default: '7' }, node: { type: 'string' }, jobs: { type: 'string', default: 'knex-n1,sequelize-n1,mysql-row-insert,pg-cpu-kdf' } } });
if (!values.against || !fs.existsSync(values.against)) throw new Error('--against PATH: the other build\'s dist/probes/runtime.js');
const node = values.node ?? process.execPath;
const mine = path.join(root, 'dist/probes/runtime.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-profile-summary-'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// Records a job's CPU profile with the settings the probes use (1 ms sampling, started before the job).
const RECORD = `const { Session } = require('node:inspector'); const fs = require('node:fs');
const s = new Session(); s.connect(); s.post('Profiler.enable'); s.post('Profiler.setSamplingInterval', { interval: 1000 }); s.post('Profiler.start');
process.on('exit', () => s.post('Profiler.stop', (e, r) => fs.writeFileSync(process.env.BD_OUT, JSON.stringify(r.profile))));
process.chdir(require('node:path').dirname(process.env.BD_JOB)); require(process.env.BD_JOB);`;
// Summarizes one profile once in a fresh process: the time of the call, and the record's hash.
const ONE = `const fs = require('node:fs'); const { performance } = require('node:perf_hooks');
const S = require(process.argv[1]).summarizeProfile; const p = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const t0 = performance.now(); const r = S(p, 1000); const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, hash: require('node:crypto').createHash('sha1').update(JSON.stringify(r)).digest('hex') }));`;

console.log('| job | profile nodes | samples | this build, ms (median) | other build, ms (median) | same record |');
console.log('|---|---:|---:|---:|---:|---|');
for (const job of values.jobs.split(',')) {
  const out = path.join(tmp, `${job}.json`);
  const rec = spawnSync(node, ['-e', RECORD], { env: { ...process.env, BD_JOB: path.join(root, 'fixtures/corpus', job, 'slow.cjs'), BD_OUT: out }, encoding: 'utf8' });
  if (rec.status !== 0 || !fs.existsSync(out)) throw new Error(`${job}: ${rec.stderr}`);
  const prof = JSON.parse(fs.readFileSync(out, 'utf8'));
  const a = [], b = [], hashes = new Set();
  for (let i = 0; i < Number(values.runs); i++) {
    for (const [file, into] of i % 2 ? [[values.against, b], [mine, a]] : [[mine, a], [values.against, b]]) {
      const r = spawnSync(node, ['-e', ONE, file, out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      const { ms, hash } = JSON.parse(r.stdout);
      into.push(ms);
      hashes.add(hash);
    }
  }
  console.log(`| ${job} | ${prof.nodes.length} | ${prof.samples.length} | ${median(a).toFixed(2)} | ${median(b).toFixed(2)} | ${hashes.size === 1 ? 'yes' : '**no**'} |`);
}
console.log(`\n${Number(values.runs)} fresh processes per build and profile, alternating; node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${os.cpus().length} CPUs.`);
fs.rmSync(tmp, { recursive: true, force: true });
