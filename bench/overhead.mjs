// Overhead of the probes on the orders-export sample: bare runs against profiled runs,
// interleaved in one session, medians. Needs the testbed (bash testbed/start.sh) and seeded data.
//   node bench/overhead.mjs [--runs N] [--days D]
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
const env = { ...process.env, EXPORT_DAYS: days, OUT_DIR: path.join(tmp, 'files') };
const sample = path.join(root, 'fixtures/pipelines/orders-export', entry);
const cliPath = path.join(root, 'dist/bin/batch-doctor.js');

const variants = {
  bare: () => [process.execPath, [sample]],
  profiled: () => [process.execPath, [cliPath, 'profile', '--format', 'none', '--out', path.join(tmp, 'r'), '--', process.execPath, sample]],
  'profiled, no CPU profile': () => [process.execPath, [cliPath, 'profile', '--format', 'none', '--no-cpu-profile', '--out', path.join(tmp, 'r'), '--', process.execPath, sample]],
};
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const inner = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

// One warm-up of each, then interleaved rounds so that drift affects all variants alike.
for (let round = -1; round < runs; round++) {
  for (const [name, mk] of Object.entries(variants)) {
    const [cmd, args] = mk();
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - t0;
    if (r.status !== 0) { console.error(`${name} failed: ${r.stderr}`); process.exit(1); }
    if (round < 0) continue;
    times[name].push(ms);
    if (name !== 'bare') inner[name].push(JSON.parse(fs.readFileSync(path.join(tmp, 'r', 'report.json'), 'utf8')).run.wallMs);
  }
}
const base = median(times.bare);
console.log(`orders-export (${entry}, EXPORT_DAYS=${days}), ${runs} interleaved runs each, Node ${process.version}`);
console.log('| variant | median wall (command) | ratio | median incl. analysis |');
console.log('|---|---|---|---|');
for (const name of Object.keys(variants)) {
  const cmdMs = name === 'bare' ? base : median(inner[name]);
  console.log(`| ${name} | ${(cmdMs / 1000).toFixed(2)} s | ${(cmdMs / base).toFixed(3)}x | ${(median(times[name]) / 1000).toFixed(2)} s |`);
}
fs.rmSync(tmp, { recursive: true, force: true });
