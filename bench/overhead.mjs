// Overhead of the probes on the orders-export sample: bare runs against runs with the probes loaded,
// interleaved in one session, medians of wall time and of CPU time (user + system, all threads).
// Needs the testbed (bash testbed/start.sh) and seeded data (node fixtures/pipelines/orders-export/seed.cjs).
//   node bench/overhead.mjs [--runs N] [--days D] [--entry main.cjs|main.mjs] [--only probes,no-cpu,...]
// --only keeps bare plus the named variants (keys: probes, no-cpu, no-fast, profile): more rounds in the same time.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const runs = Number(arg('runs', 5));
const days = arg('days', '28');
const entry = arg('entry', 'main.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-bench-'));
const sample = path.join(root, 'fixtures/pipelines/orders-export', entry);
const register = path.join(root, 'dist/probes/bundle/register.js');
const cliPath = path.join(root, 'dist/bin/batch-doctor.js');
const traceDir = path.join(tmp, 'trace');
const base = { ...process.env, EXPORT_DAYS: days, OUT_DIR: path.join(tmp, 'files') };

// Each variant runs the job itself under /usr/bin/time (wall and CPU of the job's process);
// "batch-doctor profile" is the whole command a user runs, analysis and report included.
const variants = {
  bare: { args: [sample], env: {} },
  probes: { args: ['--require', register, sample], env: { BATCH_DOCTOR_TRACE_DIR: traceDir } },
  'probes, no CPU profile': { args: ['--require', register, sample], env: { BATCH_DOCTOR_TRACE_DIR: traceDir, BATCH_DOCTOR_CPU_PROFILE: '0' } },
  'probes, no fast path': { args: ['--require', register, sample], env: { BATCH_DOCTOR_TRACE_DIR: traceDir, BATCH_DOCTOR_FAST_PATH: '0' } },
  'probes, no call sites': { args: ['--require', register, sample], env: { BATCH_DOCTOR_TRACE_DIR: traceDir, BATCH_DOCTOR_CALL_SITES: '0' } },
  'batch-doctor profile': { args: [cliPath, 'profile', '--format', 'none', '--out', path.join(tmp, 'r'), '--', process.execPath, sample], env: {} },
};
const keys = { probes: 'probes', 'no-cpu': 'probes, no CPU profile', 'no-fast': 'probes, no fast path', 'no-sites': 'probes, no call sites', profile: 'batch-doctor profile' };
const only = arg('only', '');
if (only) {
  const keep = new Set(['bare', ...only.split(',').map((k) => { if (!keys[k]) { console.error(`--only: unknown variant ${k} (one of ${Object.keys(keys).join(', ')})`); process.exit(2); } return keys[k]; })]);
  for (const k of Object.keys(variants)) if (!keep.has(k)) delete variants[k];
}
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, { wall: [], cpu: [] }]));
const names = Object.keys(variants);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

// One warm-up round, then interleaved rounds so that drift affects all variants alike; the order rotates each
// round (no variant always runs right after another), and each variant's ratio is also taken within its round
// (paired with that round's bare run), which removes slow spells longer than a round.
for (let round = -1; round < runs; round++) {
  const order = names.map((_, i) => names[(i + Math.max(round, 0)) % names.length]);
  for (const name of order) {
    const v = variants[name];
    fs.rmSync(traceDir, { recursive: true, force: true });
    fs.mkdirSync(traceDir, { recursive: true });
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, ...v.args], { env: { ...base, ...v.env }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) { console.error(`${name} failed: ${r.stderr}`); process.exit(1); }
    const [e, u, s] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    if (round >= 0) { res[name].wall.push(e); res[name].cpu.push(u + s); }
  }
}
const bw = median(res.bare.wall), bc = median(res.bare.cpu);
const quartiles = (xs) => { const s = [...xs].sort((a, b) => a - b); const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]; return [q(0.25), q(0.75)]; };
console.log(`orders-export (${entry}, EXPORT_DAYS=${days}), ${runs} interleaved runs each, Node ${process.version}`);
console.log('| variant | median wall | wall ratio | paired wall ratio (IQR) | median CPU (user+sys) | CPU ratio | paired CPU ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, r] of Object.entries(res)) {
  const pw = r.wall.map((w, i) => w / res.bare.wall[i]), pc = r.cpu.map((c, i) => c / res.bare.cpu[i]);
  const [lo, hi] = quartiles(pw);
  console.log(`| ${name} | ${median(r.wall).toFixed(2)} s | ${(median(r.wall) / bw).toFixed(3)}x | ${median(pw).toFixed(3)}x (${lo.toFixed(2)}-${hi.toFixed(2)}) | ${median(r.cpu).toFixed(2)} s | ${(median(r.cpu) / bc).toFixed(3)}x | ${median(pc).toFixed(3)}x |`);
}
fs.rmSync(tmp, { recursive: true, force: true });
