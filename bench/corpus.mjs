// Scores batch-doctor's diagnoses on the corpus of slow/fixed pipeline pairs (fixtures/corpus/pairs.json).
// For each pair: profile the slow variant (its top finding and predicted saving) and the fixed variant (nothing
// may promise more than 10% of its wall), then time both bare, interleaved (measured saving = median slow -
// median fixed). Prints a Markdown table and the scores: precision@1, predictions within 25%, fixed variants clean.
//   npm run build && bash testbed/start.sh && source testbed/env.sh && node fixtures/corpus/seed.cjs
//   node bench/corpus.mjs [--runs 5] [--profiles 3] [--only pg-n1-bind,ftp-serial] [--json out.json]
// The predicted saving is the median over the profiles of the slow variant (its top finding must be the same kind
// in each; a profile whose top finding differs counts as a miss).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, profiles: { type: 'string', default: '3' }, only: { type: 'string' }, json: { type: 'string' }, 'no-timing': { type: 'boolean' } } });
const corpus = path.join(root, 'fixtures/corpus');
const pairs = JSON.parse(fs.readFileSync(path.join(corpus, 'pairs.json'), 'utf8')).filter((p) => !values.only || values.only.split(',').includes(p.name));
const cli = path.join(root, 'dist/bin/batch-doctor.js');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const timed = (file) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const profile = (file) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-corpus-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'profile', '--format', 'none', '--out', out, '--', process.execPath, file], { encoding: 'utf8', cwd: root });
    if (r.status !== 0) throw new Error(`profile ${file}: ${r.stderr}`);
    return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  } finally { fs.rmSync(out, { recursive: true, force: true }); }
};
/** The findings that promise time: what "ranks first" means (memory-only and unexplained-cost findings claim none). */
const timed_ = (report) => report.findings.filter((f) => f.estimatedSavingMs > 0);

const rows = [];
const results = [];
for (const p of pairs) {
  const slow = path.join(corpus, p.name, 'slow.cjs'), fixed = path.join(corpus, p.name, 'fixed.cjs');
  const profiles = Array.from({ length: Math.max(1, Number(values.profiles)) }, () => profile(slow));
  const rs = profiles[0], rf = profile(fixed);
  const tops = profiles.map((r) => timed_(r)[0] ?? null);
  const top = tops[0] && tops.every((t) => t?.kind === tops[0].kind) ? { ...tops[0], estimatedSavingMs: median(tops.map((t) => t.estimatedSavingMs)) } : tops.find((t) => t?.kind !== tops[0]?.kind) ?? tops[0];
  const wallFixed = rf.run.wallMs;
  const worstFixed = timed_(rf)[0] ?? null;
  const fixedShare = worstFixed ? worstFixed.estimatedSavingMs / wallFixed : 0;
  const slowShare = top ? top.estimatedSavingMs / rs.run.wallMs : 0;
  const hit = p.truth === null ? slowShare <= 0.1 : top?.kind === p.truth;
  let measured = null, error = null, s = [], f = [];
  if (!values['no-timing'] && p.truth !== null) {
    for (let i = 0; i < Number(values.runs); i++) { s.push(timed(slow)); f.push(timed(fixed)); }
    measured = median(s) - median(f);
    if (hit) error = (top.estimatedSavingMs - measured) / measured;
  }
  const r = { name: p.name, driver: p.driver, truth: p.truth, top: top?.kind ?? null, predictedMs: top?.estimatedSavingMs ?? 0, measuredMs: measured, error, hit,
    fixedClean: fixedShare <= 0.1, fixedTop: worstFixed?.kind ?? null, fixedShare, slowMs: s.length ? median(s) : null, fixedMs: f.length ? median(f) : null, others: timed_(rs).slice(1, 3).map((x) => x.kind) };
  results.push(r);
  const pct = (x) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${Math.round(x * 100)}%`);
  rows.push(`| ${p.name} | ${p.driver} | ${p.truth ?? '(none)'} | ${r.top ?? '-'}${hit ? '' : ' ✗'} | ${r.slowMs === null ? '-' : Math.round(r.slowMs)} | ${r.fixedMs === null ? '-' : Math.round(r.fixedMs)} | ${measured === null ? '-' : Math.round(measured)} | ${Math.round(r.predictedMs)} | ${pct(error)} | ${r.fixedClean ? 'clean' : `${r.fixedTop} ${Math.round(fixedShare * 100)}%`} |`);
  console.error(`${p.name}: top ${r.top} (${Math.round(r.predictedMs)} ms) ${hit ? 'hit' : 'MISS'}, measured ${measured === null ? '-' : Math.round(measured)} ms, fixed ${r.fixedClean ? 'clean' : `${r.fixedTop} ${Math.round(fixedShare * 100)}%`}; next: ${r.others.join(', ')}`);
}
const withTruth = results.filter((r) => r.truth !== null);
const within = withTruth.filter((r) => r.error !== null && Math.abs(r.error) <= 0.25).length;
console.log(`| pair | driver | true bottleneck | top finding | slow ms | fixed ms | measured saving ms | predicted ms | error | fixed variant |`);
console.log(`|---|---|---|---|---:|---:|---:|---:|---:|---|`);
for (const r of rows) console.log(r);
console.log(`\nprecision@1: ${results.filter((r) => r.hit).length}/${results.length}; predicted saving within 25%: ${within}/${withTruth.length}; fixed variants with no finding over 10% of their wall: ${results.filter((r) => r.fixedClean).length}/${results.length}`);
console.log(`${values.runs} interleaved bare runs of each variant, ${values.profiles} profiles of the slow variant (median prediction), one of the fixed; node ${process.version}, ${os.cpus().length} CPUs.`);
if (values.json) fs.writeFileSync(values.json, JSON.stringify(results, null, 1));
