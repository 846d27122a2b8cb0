// Where a workload's extra main-thread time under the probes goes, by function: runs the job bare and probed
// (alternating, --runs each) under `node --cpu-prof`, sums each profile's self time by function (and by where the
// function lives: the probes' bundle, node_modules, Node's internals, the job, GC, idle) and prints the medians of the
// probed minus bare difference. V8's profiler inflates what it samples; the differences, not the absolute figures,
// are the reading. Needs the testbed (testbed/env.sh) and a build (npm run build).
//   node bench/cpu-prof-diff.mjs --job fixtures/corpus/knex-n1/slow.cjs [--runs 5] [--interval 100] [--top 25]
//     [--env BATCH_DOCTOR_CPU_PROFILE=0] (added to the probed arm; the probes' own CPU profile is off by default here,
//     as two profilers cannot share a thread)  [--node PATH]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  job: { type: 'string' }, runs: { type: 'string', default: '5' }, interval: { type: 'string', default: '100' },
  top: { type: 'string', default: '25' }, env: { type: 'string', multiple: true, default: [] }, node: { type: 'string' },
} });
if (!values.job) throw new Error('--job FILE is required');
const node = values.node ?? process.execPath;
const register = path.join(root, 'dist/probes/bundle/register.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-cpuprof-'));
const extra = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

/** Where a profile node's function lives. */
function where(cf) {
  if (cf.functionName === '(garbage collector)') return 'GC';
  if (cf.functionName === '(idle)') return 'idle';
  if (cf.functionName === '(program)') return 'program (V8, outside JS)';
  const u = cf.url || '';
  if (u.includes('/probes/') || u.includes('batch-doctor') || u.startsWith('evalmachine')) return 'probes';
  if (u.includes('/node_modules/@opentelemetry/')) return 'OpenTelemetry packages';
  if (u.includes('/node_modules/')) return 'node_modules';
  if (u.startsWith('node:') || u === '') return 'Node internals (and natives)';
  return 'the job';
}

/** Self time per function and per place, ms, of one .cpuprofile. */
function selfTimes(file) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const msPerSample = (p.endTime - p.startTime) / 1000 / Math.max(1, p.samples.length);
  const fn = new Map(), place = new Map();
  for (const [id, n] of counts) {
    const cf = byId.get(id).callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? path.basename(cf.url) : ''}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + n * msPerSample);
    const w = where(cf);
    place.set(w, (place.get(w) ?? 0) + n * msPerSample);
  }
  return { fn, place, wall: (p.endTime - p.startTime) / 1000 };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length ? (s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) : 0; };
const arms = { bare: [], probed: [] };
for (let r = 0; r < Number(values.runs); r++) {
  for (const arm of r % 2 ? ['probed', 'bare'] : ['bare', 'probed']) {
    const dir = path.join(tmp, `${arm}-${r}`);
    fs.mkdirSync(dir);
    const trace = path.join(tmp, `trace-${r}`);
    fs.mkdirSync(trace, { recursive: true });
    const env = arm === 'bare' ? { ...process.env } : { ...process.env, BATCH_DOCTOR_TRACE_DIR: trace, BATCH_DOCTOR_CPU_PROFILE: '0', ...extra, NODE_OPTIONS: `--require ${register}` };
    execFileSync(node, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', values.interval, path.resolve(values.job)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    // The main thread's profile: thread id 0 in Node's file name (CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile);
    // a worker that ends first writes its own before it, with an earlier time.
    const main = fs.readdirSync(dir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    if (!main) throw new Error(`no main-thread profile in ${dir}`);
    arms[arm].push(selfTimes(path.join(dir, main)));
  }
}
fs.rmSync(tmp, { recursive: true, force: true });

function table(title, key) {
  const names = new Set();
  for (const a of Object.values(arms)) for (const x of a) for (const k of x[key].keys()) names.add(k);
  const rows = [...names].map((n) => {
    const b = median(arms.bare.map((x) => x[key].get(n) ?? 0)), p = median(arms.probed.map((x) => x[key].get(n) ?? 0));
    return [n, b, p, p - b];
  }).sort((a, b) => Math.abs(b[3]) - Math.abs(a[3]));
  console.log(`\n${title}\n\n| ${key === 'fn' ? 'function' : 'where'} | bare ms | probed ms | difference |\n|---|---:|---:|---:|`);
  for (const [n, b, p, d] of rows.slice(0, key === 'fn' ? Number(values.top) : 99)) console.log(`| ${n} | ${b.toFixed(1)} | ${p.toFixed(1)} | ${d >= 0 ? '+' : ''}${d.toFixed(1)} |`);
}
console.log(`${path.relative(root, path.resolve(values.job))}: ${values.runs} runs per arm, --cpu-prof-interval ${values.interval} µs, node ${execFileSync(node, ['-v']).toString().trim()}; medians; probed arm: the probes with their own CPU profile off${values.env.length ? `, ${values.env.join(' ')}` : ''}`);
console.log(`profiled span: bare ${median(arms.bare.map((x) => x.wall)).toFixed(0)} ms, probed ${median(arms.probed.map((x) => x.wall)).toFixed(0)} ms`);
table('Self time by where the function lives', 'place');
table('Self time by function (largest differences)', 'fn');
