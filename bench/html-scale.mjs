// The HTML report at scale: a synthetic run of SPANS spans (default 1,000,000: database calls over 40 statement
// classes, FTP transfers, stage runs), analysed and rendered; then the page is opened in Debian's Chromium.
// Prints the page size, the time to analyse and render, and the browser's load time and first contentful paint.
//   npm run build && node bench/html-scale.mjs [--spans 1000000]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { analyze } = require(path.join(root, 'dist/src/analysis/analyze.js'));
const { spanSourceOf } = require(path.join(root, 'dist/src/collect/span-store.js'));
const { htmlRenderer } = require(path.join(root, 'dist/reports/html.js'));
const { chromium } = require('playwright-core');
const { values } = parseArgs({ options: { spans: { type: 'string', default: '1000000' } } });
const N = Number(values.spans);

const t0 = 1_700_000_000_000;
const spans = [];
const shapes = Array.from({ length: 40 }, (_, i) => ({ 'db.system': i % 3 ? 'postgresql' : 'mysql', 'db.fingerprint': i % 4 ? `select a, b from t${i} where id = $1` : `insert into t${i}(a, b) values (?+)`, 'server.address': '127.0.0.1', 'server.port': 5432 }));
let t = 0;
for (let i = 0; i < N; i++) {
  if (i % 1000 === 999) {
    spans.push({ spanId: `s${i}`, parentSpanId: null, pid: 1, name: 'ftp.upload', kind: 'ftp', start: t0 + t, end: t0 + t + 5, error: false, errorType: null, rows: null, attrs: { 'ftp.bytes': 100000, 'ftp.remote.ext': '.csv', 'server.address': '127.0.0.1', 'server.port': 21 } });
    t += 5.2;
  } else {
    const k = (i * 7919) % 40;
    spans.push({ spanId: `s${i}`, parentSpanId: null, pid: 1, name: 'pg.query', kind: 'db', start: t0 + t, end: t0 + t + 0.15, error: i % 5000 === 0, errorType: null, rows: 1, attrs: shapes[k] });
    t += 0.2;
  }
}
const wall = t + 10;
for (let s = 0; s < 1000; s++) spans.push({ spanId: `st${s}`, parentSpanId: null, pid: 1, name: 'batch_doctor.stage', kind: 'stage', start: t0 + (s * wall) / 1000, end: t0 + ((s + 1) * wall) / 1000, error: false, errorType: null, rows: null, attrs: { 'batch_doctor.stage.name': ['extract', 'transform', 'load'][s % 3] } });
spans.sort((a, b) => a.start - b.start);
const elu = [];
for (let a = 0; a < wall; a += 50) elu.push(t0 + a, t0 + Math.min(wall, a + 50), 0.25);
const { source, detail } = spanSourceOf(spans);
const model = {
  run: { command: ['node', 'synthetic.js'], startedAt: t0, endedAt: t0 + wall, exitCode: 0, signal: null },
  processes: [{ header: { type: 'header', format: 'batch-doctor-trace', version: 1, pid: 1, ppid: 0, runId: null, nodeVersion: process.version, platform: 'linux-x64', script: 'synthetic.js', startedAt: t0, processStartedAt: t0, keepLiterals: false }, footer: null, cpuProfile: null, eluWindows: elu, badLines: 0 }],
  spans: detail, source,
};
const a0 = performance.now();
const report = analyze(model, { toolVersion: 'bench' });
source.close();
const a1 = performance.now();
const html = htmlRenderer.render(report);
const a2 = performance.now();
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bd-html-scale-')), 'report.html');
fs.writeFileSync(file, html);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const b0 = performance.now();
await page.goto(`file://${file}`, { waitUntil: 'load' });
const loadMs = performance.now() - b0;
const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
await browser.close();
console.log(`spans: ${spans.length}; findings: ${report.findings.length}; query classes: ${report.queries.length}; FTP transfers: ${report.ftp.transfers.length}`);
console.log(`analyse: ${(a1 - a0).toFixed(0)} ms; render HTML: ${(a2 - a1).toFixed(0)} ms; page: ${(Buffer.byteLength(html) / 1048576).toFixed(2)} MiB`);
console.log(`Chromium: load ${loadMs.toFixed(0)} ms, first contentful paint ${fcp === null ? '?' : fcp.toFixed(0) + ' ms'}`);
