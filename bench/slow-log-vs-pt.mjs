// Side by side, in one run: `batch-doctor slow-log` against pt-query-digest (Debian's percona-toolkit) on the
// same MariaDB slow log of a real workload. Wall time and peak RSS from /usr/bin/time, medians of N interleaved
// rounds.
//
//   bash testbed/start.sh && source testbed/env.sh && npm run build
//   node bench/slow-log-vs-pt.mjs --statements 200000 --rounds 3
//
// The log is recorded once (fixtures/workloads/mysql-workload.cjs with long_query_time=0) and reused.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { statements: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '3' }, log: { type: 'string' } } });
const n = Number(values.statements);
const dir = process.env.BD_TESTBED_DIR || '/tmp/batch-doctor-testbed';
const file = values.log || path.join(dir, `bench-slow-${n}.log`);

if (!fs.existsSync(file)) {
  console.error(`recording a slow log of ${n} workload statements into ${file}...`);
  const sql = (q) => execFileSync('mariadb', ['--protocol=tcp', '-h', process.env.MYSQL_HOST, '-P', process.env.MYSQL_TCP_PORT, '-u', process.env.MYSQL_USER, '-e', q]);
  sql(`SET GLOBAL slow_query_log_file = '${file}'`);
  try { execFileSync(process.execPath, [path.join(root, 'fixtures/workloads/mysql-workload.cjs'), String(n)], { stdio: 'inherit' }); }
  finally { sql(`SET GLOBAL slow_query_log_file = '${path.join(dir, 'mariadb-slow.log')}'`); }
}
const size = fs.statSync(file).size;

function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr.slice(-500)}`);
  const [wall, rssKb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rssMb: rssKb / 1024, out: r.stdout };
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const tools = {
  'batch-doctor slow-log': () => timed(process.execPath, [path.join(root, 'dist/bin/batch-doctor.js'), 'slow-log', file, '--format', 'json']),
  'pt-query-digest': () => timed('pt-query-digest', ['--output', 'json', '--limit', '100%', file]),
};
const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]));
let statements = null;
for (let i = 0; i < Number(values.rounds); i++) {
  for (const [name, f] of Object.entries(tools)) {
    const r = f();
    results[name].push(r);
    if (name === 'batch-doctor slow-log') statements = JSON.parse(r.out).statements;
    console.error(`round ${i + 1} ${name}: ${r.wall.toFixed(2)} s, ${r.rssMb.toFixed(0)} MB`);
  }
}
const ours = median(results['batch-doctor slow-log'].map((r) => r.wall));
const pt = median(results['pt-query-digest'].map((r) => r.wall));
console.log(`\n${path.basename(file)}: ${(size / 1e6).toFixed(1)} MB, ${statements} statements, ${values.rounds} interleaved rounds, medians`);
console.log('| tool | wall | peak RSS | speed |');
console.log('|---|---|---|---|');
console.log(`| pt-query-digest | ${pt.toFixed(2)} s | ${median(results['pt-query-digest'].map((r) => r.rssMb)).toFixed(0)} MB | 1.0x |`);
console.log(`| batch-doctor slow-log | ${ours.toFixed(2)} s | ${median(results['batch-doctor slow-log'].map((r) => r.rssMb)).toFixed(0)} MB | ${(pt / ours).toFixed(1)}x |`);
