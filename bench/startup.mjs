// Start-up cost of the probes per Node process: a job that only loads pg, mysql2/promise and basic-ftp (or, with
// --job orm, knex, sequelize and pg), bare and with the probes (without and with the CPU profile), interleaved;
// medians of the time when the main script starts and when its requires are done (performance.now(), ms since the
// process started). No server needed. --against PATH adds the same two variants for another build of the probes
// (PATH: its dist/probes/bundle/register.js, e.g. from a `git worktree` of an earlier commit): before and after in one run.
//   npm run build && node bench/startup.mjs [--runs 20] [--job orm] [--against PATH]   (Node 24: npx -p node@24 node bench/startup.mjs)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const runs = Number(arg('runs', 20));
const against = arg('against', null);
if (against && !fs.existsSync(against)) throw new Error(`--against: no such file ${against}`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-startup-'));
const job = path.join(root, 'bench', arg('job', '') === 'orm' ? 'startup-orm-job.cjs' : 'startup-job.cjs');
const register = path.join(root, 'dist/probes/bundle/register.js');
const probed = (env, reg = register, cache = 'code-cache') => ({ args: ['--require', reg, job], env: { BATCH_DOCTOR_TRACE_DIR: path.join(tmp, 'trace'), BATCH_DOCTOR_CODE_CACHE: path.join(tmp, cache), ...env } });
const variants = {
  bare: { args: [job], env: {} },
  'probes, no CPU profile': probed({ BATCH_DOCTOR_CPU_PROFILE: '0' }),
  probes: probed({}),
  ...(against ? {
    'other build, no CPU profile': probed({ BATCH_DOCTOR_CPU_PROFILE: '0' }, path.resolve(against), 'code-cache-other'),
    'other build': probed({}, path.resolve(against), 'code-cache-other'),
  } : {}),
};
const res = Object.fromEntries(Object.keys(variants).map((k) => [k, { main: [], loaded: [] }]));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

// One warm-up round (it also writes the probes' code cache), then interleaved rounds.
for (let round = -1; round < runs; round++) {
  for (const [name, v] of Object.entries(variants)) {
    fs.rmSync(path.join(tmp, 'trace'), { recursive: true, force: true });
    fs.mkdirSync(path.join(tmp, 'trace'));
    const r = spawnSync(process.execPath, v.args, { env: { ...process.env, ...v.env }, encoding: 'utf8' });
    if (r.status !== 0) { console.error(`${name} failed: ${r.stderr}`); process.exit(1); }
    const { main, loaded } = JSON.parse(r.stdout);
    if (round >= 0) { res[name].main.push(main); res[name].loaded.push(loaded); }
  }
}
const base = median(res.bare.loaded);
console.log(`start-up, ${runs} interleaved runs each, Node ${process.version}, job ${path.basename(job)}${against ? `, other build ${against}` : ''}`);
console.log('| variant | main script starts | requires done | cost of the probes |');
console.log('|---|---|---|---|');
for (const [name, r] of Object.entries(res)) {
  const loaded = median(r.loaded);
  console.log(`| ${name} | ${median(r.main).toFixed(1)} ms | ${loaded.toFixed(1)} ms | ${name === 'bare' ? '' : `+${(loaded - base).toFixed(1)} ms`} |`);
}
fs.rmSync(tmp, { recursive: true, force: true });
