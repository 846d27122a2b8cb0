// Probe overhead on a matrix of workloads that real batch jobs have: each workload run bare and with the probes
// loaded as `batch-doctor profile` loads them (--require register.js, a trace directory, the CPU profile on),
// interleaved; per workload the paired ratio (probed / bare wall of the same round), its median and spread. Also
// the start-up cost per process: `node -e 0` bare against probed.
//   npm run build && bash testbed/start.sh && source testbed/env.sh && node fixtures/corpus/seed.cjs
//   node bench/matrix.mjs [--rounds 7] [--only a,b] [--memory]      (Node 24: --node "$(npx -y -p node@24 which node)")
// --only keeps the workloads whose name contains one of its parts, split at commas, or at '|' when it has one (for
// names with commas: --only "30,000 (long)|3,000"); one that matches no workload ("start-up only") leaves the start-up row.
// --memory adds a third arm per workload, the probes with memory sampling off (BATCH_DOCTOR_MEMORY=0), and reports
// what the sampling costs: the paired ratio of the probed run with it over the probed run without it.
// --arm NAME=VALUE does the same for any probe switch (e.g. --arm BATCH_DOCTOR_CPU_PROFILE=0: what the CPU profile costs).
// --against PATH adds an arm with another build of the probes (PATH: its dist/probes/bundle/register.js, e.g. from a
// `git worktree` of an earlier commit), and reports its own paired ratio over bare: before and after, in one run.
// --split says where each workload's overhead goes, in one run: two more arms (the probes without the CPU profile, and
// the probes with only their instrumentation: CPU profile, call sites, memory sampling and the socket safety net off)
// and, in every arm, bench/phase-times.cjs, which splits the wall into start-up, the job, and the exit. The overhead is
// then the fixed cost per process (start-up + exit), the CPU profile, the other switches, and the instrumentation
// (per call, for workloads whose call count is known), each a paired median over the rounds.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, only: { type: 'string' }, node: { type: 'string' }, memory: { type: 'boolean', default: false }, arm: { type: 'string' }, split: { type: 'boolean', default: false }, against: { type: 'string' } } });
// The third arm: the probes with one switch changed (--memory is --arm BATCH_DOCTOR_MEMORY=0).
const arm = values.against ? `the build at ${values.against}` : values.arm ?? (values.memory ? 'BATCH_DOCTOR_MEMORY=0' : null);
if (arm !== null && !values.against && !/^[A-Z_]+=.*$/.test(arm)) throw new Error(`--arm wants NAME=VALUE, not ${arm}`);
if (values.against && !fs.existsSync(values.against)) throw new Error(`--against: no such file ${values.against}`);
const armEnv = values.against ? { NODE_OPTIONS: `--require ${path.resolve(values.against)}`, BATCH_DOCTOR_CODE_CACHE: path.join(os.tmpdir(), `bd-matrix-against-${process.pid}`) }
  : arm === null ? null : { [arm.slice(0, arm.indexOf('='))]: arm.slice(arm.indexOf('=') + 1) };
const node = values.node ?? process.execPath;
const corpus = (n) => path.join(root, 'fixtures/corpus', n, 'slow.cjs');
const cov = (f) => path.join(root, 'fixtures/pipelines/coverage', f);
const WORKLOADS = [
  ['pg lookups, bind parameter (5,400)', corpus('pg-n1-bind'), 5400],
  ['pg lookups, key concatenated (5,000)', corpus('pg-n1-literal'), 5000],
  ['pg UPDATE of one row, literal key (4,000)', corpus('pg-progress-literal'), 4000],
  ['pg.Pool lookups, 4 at once (8,000)', corpus('pool-n1-concurrent'), 8000],
  ['mysql2 execute, single-row INSERT (3,000)', corpus('mysql-row-insert'), 3000],
  ['mysql2 connection per lookup (120)', corpus('mysql-connection-per-lookup'), 120],
  ['one SELECT of 300,000 rows (pg)', corpus('pg-large-filter')],
  ['CPU-bound (key derivation per record)', corpus('pg-cpu-kdf')],
  ['knex lookups (5,000)', corpus('knex-n1'), 5000],
  ['sequelize lookups (3,000)', corpus('sequelize-n1'), 3000],
  ['FTP: 40 sessions, one small file each', corpus('ftp-session-per-file'), 40],
  ['ESM job, pg lookups (3,000)', path.join(root, 'fixtures/workloads/esm-lookups.mjs'), 3000],
  ['worker_threads, 2 x 1,500 pg lookups', path.join(root, 'fixtures/workloads/worker-threads.cjs'), 3000],
  // The clients of the driver-coverage issue (fixtures/pipelines/coverage/).
  ['postgres.js lookups (2,500)', cov('postgres-js-n1.cjs'), 2500],
  ['mysqljs `mysql` lookups (1,500)', cov('mysqljs-n1.cjs'), 1500],
  ['pg-copy-streams COPY FROM + TO (50,000 rows)', cov('pg-copy.cjs')],
  ['SFTP: 24 uploads + 1 download, one session', cov('sftp-serial.cjs'), 25],
  // The same job with TCP_NODELAY on its SSH socket: without Nagle's 40 ms stalls, whose number shifts with any change
  // of timing (docs/overhead.md), what is left is the probes' own cost.
  ['SFTP, TCP_NODELAY: 24 uploads + 1 download', cov('sftp-serial.cjs'), 25, { SFTP_NODELAY: '1' }],
  ['FTP via `ftp` (mscdex): 12 uploads + 1 download', cov('mscdex-ftp-serial.cjs'), 13],
  ['MariaDB connector, socket safety net (1,500)', cov('mariadb-connector.cjs'), 1500],
  // One job at two lengths (fixtures/workloads/lookups.cjs): what is fixed per process amortizes over the longer run,
  // what is per call does not.
  ['pg lookups, bind parameter, 3,000', path.join(root, 'fixtures/workloads/lookups.cjs'), 3000, { LOOKUPS: '3000' }],
  ['pg lookups, bind parameter, 30,000 (long)', path.join(root, 'fixtures/workloads/lookups.cjs'), 30000, { LOOKUPS: '30000' }],
  ['pg lookups, key inlined, 3,000', path.join(root, 'fixtures/workloads/lookups.cjs'), 3000, { LOOKUPS: '3000', INLINE: '1' }],
  ['pg lookups, key inlined, 30,000 (long)', path.join(root, 'fixtures/workloads/lookups.cjs'), 30000, { LOOKUPS: '30000', INLINE: '1' }],
  // Memory-heavy jobs (fixtures/pipelines/memory/): where memory sampling has the most to read.
  ['600,000 rows read whole (pg)', path.join(root, 'fixtures/pipelines/memory/whole.cjs')],
  ['600,000 rows through a cursor (pg-cursor)', path.join(root, 'fixtures/pipelines/memory/cursor.cjs')],
].filter(([name]) => !values.only || values.only.split(values.only.includes('|') ? '|' : ',').some((o) => name.includes(o)));
const register = path.join(root, 'dist/probes/bundle/register.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-matrix-'));
const trace = path.join(tmp, 'trace');
const phases = path.join(root, 'bench/phase-times.cjs');
const bareEnv = values.split ? { ...process.env, NODE_OPTIONS: `--require ${phases}` } : process.env;
const probedEnv = { ...process.env, BATCH_DOCTOR_TRACE_DIR: trace, BATCH_DOCTOR_CODE_CACHE: path.join(tmp, 'cache'), NODE_OPTIONS: `--require ${register}${values.split ? ` --require ${phases}` : ''}` };
/** --split's two arms: the probes without the CPU profile; the probes with their instrumentation only. */
const noProfileEnv = { ...probedEnv, BATCH_DOCTOR_CPU_PROFILE: '0' };
const instrumentationEnv = { ...noProfileEnv, BATCH_DOCTOR_CALL_SITES: '0', BATCH_DOCTOR_MEMORY: '0', BATCH_DOCTOR_NET_WATCH: '0' };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]; };
const timed = (args, env) => {
  fs.rmSync(trace, { recursive: true, force: true });
  fs.mkdirSync(trace);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(node, args, { encoding: 'utf8', cwd: root, env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  if (!values.split) return wall;
  // Start-up (to the job's first line), the job, and the exit (the exit listeners, then the process's end).
  const m = /BATCH_DOCTOR_PHASES ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`${args.join(' ')}: no phase times (bench/phase-times.cjs)`);
  return { wall, job: Number(m[2]) - Number(m[1]), fixed: wall - (Number(m[2]) - Number(m[1])) };
};
const wallOf = (x) => (typeof x === 'number' ? x : x.wall);

const rows = [];
const startup = { bare: [], probed: [], arm: [] };
for (let round = -1; round < Number(values.rounds); round++) {
  // Round -1 warms the disk cache and writes the probes' code cache; it is not counted.
  for (const w of WORKLOADS) {
    const we = w[3] ?? {}; // the workload's own variables
    const b = timed([w[1]], { ...bareEnv, ...we }), p = timed([w[1]], { ...probedEnv, ...we });
    const nm = armEnv ? timed([w[1]], { ...probedEnv, ...armEnv, ...we }) : null;
    const np = values.split ? timed([w[1]], { ...noProfileEnv, ...we }) : null, oi = values.split ? timed([w[1]], { ...instrumentationEnv, ...we }) : null;
    if (round >= 0) (w.r ??= []).push({ b, p, nm, np, oi });
  }
  const sb = wallOf(timed(['-e', '0'], bareEnv)), sp = wallOf(timed(['-e', '0'], probedEnv));
  const sa = values.against ? wallOf(timed(['-e', '0'], { ...probedEnv, ...armEnv })) : null;
  if (round >= 0) { startup.bare.push(sb); startup.probed.push(sp); if (sa !== null) startup.arm.push(sa); }
  console.error(`round ${round + 1} done`);
}
const splitRows = [];
for (const w of WORKLOADS) {
  const ratios = w.r.map((x) => wallOf(x.p) / wallOf(x.b));
  // --against: the other build's own ratio over bare; another arm: probed over probed with the switch.
  const mem = armEnv ? w.r.map((x) => (values.against ? wallOf(x.nm) / wallOf(x.b) : wallOf(x.p) / wallOf(x.nm))) : null;
  rows.push(`| ${w[0]} | ${Math.round(median(w.r.map((x) => wallOf(x.b))))} | ${Math.round(median(w.r.map((x) => wallOf(x.p))))} | ${median(ratios).toFixed(3)}x | ${q(ratios, 0.25).toFixed(2)}-${q(ratios, 0.75).toFixed(2)} |${mem ? ` ${Math.round(median(w.r.map((x) => wallOf(x.nm))))} | ${median(mem).toFixed(3)}x (${q(mem, 0.25).toFixed(2)}-${q(mem, 0.75).toFixed(2)}) |` : ''}`);
  if (!values.split) continue;
  // Each part a paired median over the rounds (ms): the medians of parts need not add up to the median total exactly.
  const part = (f) => median(w.r.map(f));
  const total = part((x) => x.p.wall - x.b.wall);
  const fixed = part((x) => x.p.fixed - x.b.fixed);
  const profile = part((x) => x.p.job - x.np.job);
  const switches = part((x) => x.np.job - x.oi.job);
  const instr = part((x) => x.oi.job - x.b.job);
  const calls = w[2];
  const jobRatio = part((x) => x.p.job / x.b.job);
  const ms = (v) => `${v >= 0 ? '+' : ''}${Math.round(v)}`;
  splitRows.push(`| ${w[0]} | ${median(ratios).toFixed(3)}x | ${ms(total)} | ${ms(fixed)} | ${ms(profile)} | ${ms(switches)} | ${ms(instr)}${calls ? ` (${(instr * 1000 / calls).toFixed(1)} µs/call)` : ''} | ${jobRatio.toFixed(3)}x |`);
}
const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`| workload | bare ms | probed ms | paired ratio (median) | IQR |${values.against ? ` ${arm}, ms | its paired ratio (IQR) |` : arm ? ` probed with ${arm}, ms | probed / probed with ${arm} (IQR) |` : ''}`);
console.log(`|---|---:|---:|---:|---|${arm ? '---:|---|' : ''}`);
for (const r of rows) console.log(r);
console.log(`| start-up: \`node -e 0\` | ${median(startup.bare).toFixed(1)} | ${median(startup.probed).toFixed(1)} | +${(median(startup.probed) - median(startup.bare)).toFixed(1)} ms | |${values.against ? ` ${median(startup.arm).toFixed(1)} | +${(median(startup.arm) - median(startup.bare)).toFixed(1)} ms |` : arm ? ' | |' : ''}`);
console.log(`\n${values.rounds} interleaved rounds; node ${v}, ${os.cpus().length} CPUs.`);
if (values.split) {
  console.log('\nWhere the overhead goes (ms of wall, probed - bare, paired medians; --split):\n');
  console.log('| workload | ratio | total | start-up + exit | CPU profile | call sites, memory, safety net | instrumentation | job phase ratio |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of splitRows) console.log(r);
}
fs.rmSync(tmp, { recursive: true, force: true });
