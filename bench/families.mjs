// Does the saving the top finding predicts come true? For each detector family in fixtures/pipelines/families:
// profile the slow variant (P times: the median predicted saving of the top finding), then time the bare slow
// and fixed variants interleaved (N runs each; measured saving = median slow - median fixed).
//   npm run build && bash testbed/start.sh && node fixtures/pipelines/families/missing-index/seed.cjs
//   node bench/families.mjs [--runs 7] [--profiles 3] [--only cpu-hot-spot,serial-ftp]
// Prints a Markdown table (docs/analysis.md keeps the figures) and exits 1 when a pair is off by more than 30%.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, profiles: { type: 'string', default: '3' }, only: { type: 'string' } } });
const FAMILIES = [
  ['n-plus-one-read', 'n-plus-one-read'],
  ['row-by-row-write', 'row-by-row-write'],
  ['serial-ftp', 'serial-ftp'],
  ['cpu-hot-spot', 'cpu-hot-spot'],
  ['missing-index', 'missing-index'],
  ['chatty-progress', 'chatty-progress'],
].filter(([f]) => !values.only || values.only.split(',').includes(f));
const cli = path.join(root, 'dist/bin/batch-doctor.js');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const timed = (file) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};

const rows = [];
let bad = 0;
for (const [family, kind] of FAMILIES) {
  const dir = path.join(root, 'fixtures/pipelines/families', family);
  const slow = path.join(dir, 'slow.cjs'), fixed = path.join(dir, 'fixed.cjs');
  const predicted = [];
  let top = null;
  for (let i = 0; i < Number(values.profiles); i++) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-fam-'));
    const r = spawnSync(process.execPath, [cli, 'profile', '--format', 'none', '--out', out, '--', process.execPath, slow], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`profile ${family}: ${r.stderr}`);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    top = report.findings[0];
    predicted.push(top && top.kind === kind ? top.estimatedSavingMs : Number.NaN);
    fs.rmSync(out, { recursive: true, force: true });
  }
  const s = [], f = [];
  for (let i = 0; i < Number(values.runs); i++) { s.push(timed(slow)); f.push(timed(fixed)); }
  const p = median(predicted), m = median(s) - median(f);
  const err = (p - m) / m;
  if (!(Math.abs(err) <= 0.3)) bad++;
  rows.push(`| ${family} | ${top?.kind ?? '-'} | ${Math.round(median(s))} | ${Math.round(median(f))} | ${Math.round(m)} | ${Math.round(p)} | ${err >= 0 ? '+' : ''}${Math.round(err * 100)}% |`);
  console.error(`${family}: predicted ${predicted.map(Math.round).join('/')} ms, slow ${s.map(Math.round).join('/')}, fixed ${f.map(Math.round).join('/')}`);
}
console.log(`| family | top finding | slow median ms | fixed median ms | measured saving ms | predicted saving ms | error |`);
console.log(`|---|---|---:|---:|---:|---:|---:|`);
for (const r of rows) console.log(r);
console.log(`\n${values.runs} interleaved bare runs of each variant, ${values.profiles} profiles of the slow variant; node ${process.version}, ${os.cpus().length} CPUs.`);
process.exitCode = bad ? 1 : 0;
