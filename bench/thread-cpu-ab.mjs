// Where a workload's overhead goes in CPU terms: the job run bare and under the probes (their own CPU profile off
// unless --cpu-profile), alternating, and for each arm the medians of the main thread's CPU time (user, system), the
// time it waited for a CPU, its context switches, and the whole process's CPU (every thread), from /proc through
// bench/thread-cpu.cjs (Linux). The "difference" row is probed minus bare. On a 2-core machine that shares its cores
// with the database server, CPU the probes add on any thread is CPU the server does not get.
//   npm run build && source testbed/env.sh
//   node bench/thread-cpu-ab.mjs --job fixtures/corpus/knex-n1/slow.cjs [--runs 7] [--node PATH] [--cpu-profile]
//     [--env NAME=VALUE ...] (added to the probed arm)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  job: { type: 'string' }, runs: { type: 'string', default: '7' }, node: { type: 'string' },
  'cpu-profile': { type: 'boolean', default: false }, env: { type: 'string', multiple: true, default: [] },
} });
if (!values.job) throw new Error('--job FILE is required');
const node = values.node ?? process.execPath;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-thread-cpu-'));
const out = path.join(tmp, 'out.jsonl');
const trace = path.join(tmp, 'trace');
const preload = path.join(root, 'bench/thread-cpu.cjs');
const register = path.join(root, 'dist/probes/bundle/register.js');
const extra = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

for (let r = -1; r < Number(values.runs); r++) { // run -1 warms the caches (the probes' code cache among them)
  for (const arm of r % 2 ? ['probed', 'bare'] : ['bare', 'probed']) {
    fs.rmSync(trace, { recursive: true, force: true });
    fs.mkdirSync(trace);
    const env = { ...process.env, THREAD_CPU_ARM: r < 0 ? 'warm-up' : arm, THREAD_CPU_RUN: String(r), THREAD_CPU_OUT: out };
    if (arm === 'probed') Object.assign(env, { BATCH_DOCTOR_TRACE_DIR: trace, BATCH_DOCTOR_CODE_CACHE: path.join(tmp, 'cache'), ...(values['cpu-profile'] ? {} : { BATCH_DOCTOR_CPU_PROFILE: '0' }), ...extra });
    const args = [...(arm === 'probed' ? ['--require', register] : []), '--require', preload, path.resolve(values.job)];
    const res = spawnSync(node, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${arm} run failed: ${res.stderr}`);
  }
}
const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
fs.rmSync(tmp, { recursive: true, force: true });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const keys = ['wall', 'mainCpu', 'mainUser', 'mainSystem', 'runDelay', 'voluntary', 'involuntary', 'processCpu'];
const med = (arm) => Object.fromEntries(keys.map((k) => [k, median(rows.filter((x) => x.arm === arm).map((x) => x[k]))]));
const b = med('bare'), p = med('probed');
// The difference is paired: probed minus bare of the same run, then the median.
const runs = [...new Set(rows.filter((x) => x.arm === 'bare').map((x) => x.run))];
const pair = (k) => median(runs.map((r) => rows.find((x) => x.arm === 'probed' && x.run === r)[k] - rows.find((x) => x.arm === 'bare' && x.run === r)[k]));
const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`${path.relative(root, path.resolve(values.job))}: ${values.runs} runs per arm, node ${v}; medians; probed: ${values['cpu-profile'] ? 'the CPU profile on' : 'the CPU profile off'}${values.env.length ? `, ${values.env.join(' ')}` : ''}\n`);
console.log('| arm | wall ms | main thread CPU ms | user | system | waited for a CPU | voluntary switches | involuntary | process CPU ms (all threads) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const fmt = (o, sign = false) => keys.map((k) => `${sign && o[k] >= 0 ? '+' : ''}${Math.round(o[k])}`).join(' | ');
console.log(`| bare | ${fmt(b)} |`);
console.log(`| probed | ${fmt(p)} |`);
console.log(`| difference (paired) | ${fmt(Object.fromEntries(keys.map((k) => [k, pair(k)])), true)} |`);
