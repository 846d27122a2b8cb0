// batch-doctor analyze on one million database spans in OTLP JSON (the Collector file exporter's format: one
// export request per line, 500 spans each), from 4 worker processes over 40 statement classes. Runs the CLI
// under /usr/bin/time and prints wall time and peak RSS.
//   npm run build && node bench/analyze-otlp.mjs [--spans 1000000] [--format json|proto]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { spans: { type: 'string', default: '1000000' }, format: { type: 'string', default: 'json' } } });
const N = Number(values.spans), PER = 500;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-otlp-bench-'));
const file = path.join(dir, values.format === 'proto' ? 'traces.pb' : 'traces.jsonl');
const { encodeExportTraceRequest } = require(path.join(root, 'dist/src/collect/otlp-proto.js'));
const fd = fs.openSync(file, 'w');
const kv = (key, v) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });
const t0 = 1_795_000_000_000_000_000n;
let written = 0;
for (let r = 0; written < N; r++) {
  const worker = r % 4;
  const spans = [];
  for (let i = 0; i < PER && written < N; i++, written++) {
    const k = (written * 7919) % 40;
    const start = t0 + BigInt(Math.floor(written / 4)) * 300_000n + BigInt(worker) * 7_000n;
    spans.push({
      traceId: (written + 1).toString(16).padStart(32, '0'), spanId: (written + 1).toString(16).padStart(16, '0'), name: 'pg.query:SELECT', kind: 3,
      startTimeUnixNano: String(start), endTimeUnixNano: String(start + 150_000n),
      attributes: [kv('db.system', 'postgresql'), kv('db.statement', `select a, b from t${k} where id = ${written}`), kv('server.address', 'db'), kv('server.port', 5432), kv('db.name', 'shop')],
      status: { code: 0 },
    });
  }
  const req = { resourceSpans: [{ resource: { attributes: [kv('service.name', 'worker'), kv('process.pid', 1000 + worker)] }, scopeSpans: [{ scope: { name: 'bench' }, spans }] }] };
  if (values.format === 'proto') { const m = Buffer.from(encodeExportTraceRequest(req)); const h = Buffer.alloc(4); h.writeUInt32BE(m.length); fs.writeSync(fd, h); fs.writeSync(fd, m); }
  else fs.writeSync(fd, JSON.stringify(req) + '\n');
}
fs.closeSync(fd);
const size = fs.statSync(file).size;
const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, ...(process.env.BD_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BD_PROF] : []), path.join(root, 'dist/bin/batch-doctor.js'), 'analyze', '--format', 'none', '--out', path.join(dir, 'out'), file], { encoding: 'utf8' });
if (r.status !== 0) { console.error(r.stderr.slice(0, 3000)); process.exit(1); }
const [wall, rssKb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
const report = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'report.json'), 'utf8'));
console.log(`${N} spans, OTLP ${values.format}, ${(size / 1048576).toFixed(0)} MiB: analyze took ${wall.toFixed(1)} s, peak RSS ${(rssKb / 1024).toFixed(0)} MiB; ${report.queries.length} classes, ${report.collection.processes} processes, top finding: ${report.findings[0]?.kind}`);
fs.rmSync(dir, { recursive: true, force: true });
