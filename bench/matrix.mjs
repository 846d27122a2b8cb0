// Probe overhead on a matrix of workloads that real batch jobs have: each workload run bare and with the probes
// loaded as `batch-doctor profile` loads them (--require register.js, a trace directory, the CPU profile on),
// interleaved; per workload the paired ratio (probed / bare wall of the same round), its median and spread. Also
// the start-up cost per process: `node -e 0` bare against probed.
//   npm run build && bash testbed/start.sh && source testbed/env.sh && node fixtures/corpus/seed.cjs
//   node bench/matrix.mjs [--rounds 7] [--only a,b] [--memory]      (Node 24: --node "$(npx -y -p node@24 which node)")
// --memory adds a third arm per workload, the probes with memory sampling off (BATCH_DOCTOR_MEMORY=0), and reports
// what the sampling costs: the paired ratio of the probed run with it over the probed run without it.
// --arm NAME=VALUE does the same for any probe switch (e.g. --arm BATCH_DOCTOR_CPU_PROFILE=0: what the CPU profile costs).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, only: { type: 'string' }, node: { type: 'string' }, memory: { type: 'boolean', default: false }, arm: { type: 'string' } } });
// The third arm: the probes with one switch changed (--memory is --arm BATCH_DOCTOR_MEMORY=0).
const arm = values.arm ?? (values.memory ? 'BATCH_DOCTOR_MEMORY=0' : null);
if (arm !== null && !/^[A-Z_]+=.*$/.test(arm)) throw new Error(`--arm wants NAME=VALUE, not ${arm}`);
const armEnv = arm === null ? null : { [arm.slice(0, arm.indexOf('='))]: arm.slice(arm.indexOf('=') + 1) };
const node = values.node ?? process.execPath;
const corpus = (n) => path.join(root, 'fixtures/corpus', n, 'slow.cjs');
const cov = (f) => path.join(root, 'fixtures/pipelines/coverage', f);
const WORKLOADS = [
  ['pg lookups, bind parameter (5,400)', corpus('pg-n1-bind')],
  ['pg lookups, key concatenated (5,000)', corpus('pg-n1-literal')],
  ['pg UPDATE of one row, literal key (4,000)', corpus('pg-progress-literal')],
  ['pg.Pool lookups, 4 at once (8,000)', corpus('pool-n1-concurrent')],
  ['mysql2 execute, single-row INSERT (3,000)', corpus('mysql-row-insert')],
  ['mysql2 connection per lookup (120)', corpus('mysql-connection-per-lookup')],
  ['one SELECT of 300,000 rows (pg)', corpus('pg-large-filter')],
  ['CPU-bound (key derivation per record)', corpus('pg-cpu-kdf')],
  ['knex lookups (5,000)', corpus('knex-n1')],
  ['sequelize lookups (3,000)', corpus('sequelize-n1')],
  ['FTP: 40 sessions, one small file each', corpus('ftp-session-per-file')],
  ['ESM job, pg lookups (3,000)', path.join(root, 'fixtures/workloads/esm-lookups.mjs')],
  ['worker_threads, 2 x 1,500 pg lookups', path.join(root, 'fixtures/workloads/worker-threads.cjs')],
  // The clients of the driver-coverage issue (fixtures/pipelines/coverage/).
  ['postgres.js lookups (2,500)', cov('postgres-js-n1.cjs')],
  ['mysqljs `mysql` lookups (1,500)', cov('mysqljs-n1.cjs')],
  ['pg-copy-streams COPY FROM + TO (50,000 rows)', cov('pg-copy.cjs')],
  ['SFTP: 24 uploads + 1 download, one session', cov('sftp-serial.cjs')],
  ['FTP via `ftp` (mscdex): 12 uploads + 1 download', cov('mscdex-ftp-serial.cjs')],
  ['MariaDB connector, socket safety net (1,500)', cov('mariadb-connector.cjs')],
  // Memory-heavy jobs (fixtures/pipelines/memory/): where memory sampling has the most to read.
  ['600,000 rows read whole (pg)', path.join(root, 'fixtures/pipelines/memory/whole.cjs')],
  ['600,000 rows through a cursor (pg-cursor)', path.join(root, 'fixtures/pipelines/memory/cursor.cjs')],
].filter(([name]) => !values.only || values.only.split(',').some((o) => name.includes(o)));
const register = path.join(root, 'dist/probes/bundle/register.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-matrix-'));
const trace = path.join(tmp, 'trace');
const probedEnv = { ...process.env, BATCH_DOCTOR_TRACE_DIR: trace, BATCH_DOCTOR_CODE_CACHE: path.join(tmp, 'cache'), NODE_OPTIONS: `--require ${register}` };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]; };
const timed = (args, env) => {
  fs.rmSync(trace, { recursive: true, force: true });
  fs.mkdirSync(trace);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(node, args, { encoding: 'utf8', cwd: root, env });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

const rows = [];
const startup = { bare: [], probed: [] };
for (let round = -1; round < Number(values.rounds); round++) {
  // Round -1 warms the disk cache and writes the probes' code cache; it is not counted.
  for (const w of WORKLOADS) {
    const b = timed([w[1]], process.env), p = timed([w[1]], probedEnv);
    const nm = armEnv ? timed([w[1]], { ...probedEnv, ...armEnv }) : null;
    if (round >= 0) (w.r ??= []).push({ b, p, nm });
  }
  const sb = timed(['-e', '0'], process.env), sp = timed(['-e', '0'], probedEnv);
  if (round >= 0) { startup.bare.push(sb); startup.probed.push(sp); }
  console.error(`round ${round + 1} done`);
}
for (const w of WORKLOADS) {
  const ratios = w.r.map((x) => x.p / x.b);
  const mem = armEnv ? w.r.map((x) => x.p / x.nm) : null;
  rows.push(`| ${w[0]} | ${Math.round(median(w.r.map((x) => x.b)))} | ${Math.round(median(w.r.map((x) => x.p)))} | ${median(ratios).toFixed(3)}x | ${q(ratios, 0.25).toFixed(2)}-${q(ratios, 0.75).toFixed(2)} |${mem ? ` ${Math.round(median(w.r.map((x) => x.nm)))} | ${median(mem).toFixed(3)}x (${q(mem, 0.25).toFixed(2)}-${q(mem, 0.75).toFixed(2)}) |` : ''}`);
}
const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`| workload | bare ms | probed ms | paired ratio (median) | IQR |${arm ? ` probed with ${arm}, ms | probed / probed with ${arm} (IQR) |` : ''}`);
console.log(`|---|---:|---:|---:|---|${arm ? '---:|---|' : ''}`);
for (const r of rows) console.log(r);
console.log(`| start-up: \`node -e 0\` | ${median(startup.bare).toFixed(1)} | ${median(startup.probed).toFixed(1)} | +${(median(startup.probed) - median(startup.bare)).toFixed(1)} ms | |${arm ? ' | |' : ''}`);
console.log(`\n${values.rounds} interleaved rounds; node ${v}, ${os.cpus().length} CPUs.`);
fs.rmSync(tmp, { recursive: true, force: true });
