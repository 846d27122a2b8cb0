// Class by class, on any log: `batch-doctor slow-log` against pt-query-digest (MySQL/MariaDB slow logs) or pgBadger
// (PostgreSQL logs). Both digests are read as JSON; each of their classes is mapped to ours through our own
// fingerprinter (their normalized text, or pt-query-digest's example statement), then every difference is listed:
// a class they split or merge, a call count that differs, a class only one side has, statements one side dropped.
//
//   npm run build && apt-get install percona-toolkit pgbadger
//   node bench/compare-digest.mjs /var/log/mysql/mysql-slow.log
//   node bench/compare-digest.mjs postgresql.log --prefix '%m [%p] '      # pgBadger needs the log_line_prefix
//
// Exit code 0 when the digests agree class for class, 1 when they differ (the differences are printed), 2 on error.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { prefix: { type: 'string' }, json: { type: 'boolean' } } });
if (positionals.length !== 1) { console.error('usage: node bench/compare-digest.mjs LOG [--prefix "<log_line_prefix>"] [--json]'); process.exit(2); }
const file = path.resolve(positionals[0]);
const { fingerprintSqlUncached } = await import(path.join(root, 'dist/probes/sql-fingerprint.js'));
const { sniffLog, readHead } = await import(path.join(root, 'dist/src/db/sources/log-detect.js'));
/** Runs the other tool; its own error, if any, ends the comparison (exit 2). */
function other(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] }); }
  catch (e) { console.error(`${cmd} failed: ${String(e.stderr || e.message).trim().split('\n')[0]}`); process.exit(2); }
}

const ours = JSON.parse(execFileSync(process.execPath, [path.join(root, 'dist/bin/batch-doctor.js'), 'slow-log', '--format', 'json', file], { encoding: 'utf8', maxBuffer: 256 << 20 }));
const mysql = ours.source === 'mysql-slow-log';
const dialect = mysql ? 'mysql' : 'postgresql';
// pt-query-digest keeps an administrator command's case; ours is lower case (one class, whatever the client wrote).
const fp = (t) => (/^administrator command: /i.test(String(t)) ? String(t).toLowerCase().replace(/;$/, '') : fingerprintSqlUncached(String(t), dialect).text);
const norm = (t) => t.replace(/\$\d+/g, '?');

/** Their classes as { text, calls, totalMs, ours: our fingerprint }. */
let theirs;
let tool;
if (mysql) {
  tool = 'pt-query-digest';
  const pt = JSON.parse(other('pt-query-digest', ['--output', 'json', '--limit', '100%', file]) || '{"classes":[]}');
  theirs = (pt.classes ?? []).map((c) => ({ text: c.fingerprint, calls: c.query_count, totalMs: Number(c.metrics.Query_time.sum) * 1000, ours: norm(fp(c.example?.query ?? c.fingerprint)) }));
} else {
  tool = 'pgBadger';
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bd-pgbadger-')), 'out.json');
  // pgBadger cannot always tell the format itself: it is given ours (CloudNativePG's JSON has no pgBadger format).
  const kind = sniffLog(readHead(file));
  const pgFormat = { stderr: 'stderr', csvlog: 'csv', jsonlog: 'jsonlog', syslog: 'syslog' }[kind.format];
  if (!pgFormat) { console.error(`pgBadger reads no ${kind.format} logs: nothing to compare with.`); process.exit(2); }
  const args = ['-q', '-f', pgFormat, '-x', 'json', '-o', out, ...(values.prefix ? ['--prefix', values.prefix] : []), file];
  other('pgbadger', args);
  const d = JSON.parse(fs.readFileSync(out, 'utf8'));
  theirs = [];
  for (const byQuery of Object.values(d.normalyzed_info ?? {})) {
    for (const [text, c] of Object.entries(byQuery)) theirs.push({ text, calls: Number(c.count), totalMs: Number(c.duration), ours: norm(fp(text)) });
  }
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
}

const mine = new Map(ours.classes.map((c) => [norm(c.fingerprint), c]));
const byOurs = new Map();
for (const t of theirs) { if (!byOurs.has(t.ours)) byOurs.set(t.ours, []); byOurs.get(t.ours).push(t); }
const diffs = [];
for (const [k, list] of byOurs) {
  const c = mine.get(k);
  const calls = list.reduce((a, t) => a + t.calls, 0);
  if (!c) { diffs.push({ kind: `only in ${tool}`, text: list.map((t) => t.text).join(' | '), theirs: calls, ours: 0 }); continue; }
  if (list.length > 1) diffs.push({ kind: `${tool} splits one of our classes in ${list.length}`, text: c.fingerprint, theirs: calls, ours: c.calls });
  else if (calls !== c.calls) diffs.push({ kind: 'call counts differ', text: c.fingerprint, theirs: calls, ours: c.calls });
}
for (const [k, c] of mine) if (!byOurs.has(k)) diffs.push({ kind: 'only in batch-doctor', text: c.fingerprint, theirs: 0, ours: c.calls });
const theirTotal = theirs.reduce((a, t) => a + t.calls, 0);
const summary = { log: path.basename(file), tool, statements: { batchDoctor: ours.statements, [tool]: theirTotal }, classes: { batchDoctor: ours.classes.length, [tool]: theirs.length }, badRecords: ours.badRecords, differences: diffs };
if (values.json) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`${summary.log}: batch-doctor ${ours.statements} statements in ${ours.classes.length} classes; ${tool} ${theirTotal} in ${theirs.length}${ours.badRecords ? `; batch-doctor skipped ${ours.badRecords} bad records` : ''}`);
  if (!diffs.length) console.log('the same classes with the same call counts');
  for (const d of diffs) console.log(`- ${d.kind}: ${d.text.slice(0, 140)} (batch-doctor ${d.ours}, ${tool} ${d.theirs})`);
}
process.exitCode = diffs.length || theirTotal !== ours.statements ? 1 : 0;
