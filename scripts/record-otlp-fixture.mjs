// Records fixtures/otlp/recorded/: one profile of the sample pipeline (1 day of orders) whose spans are also sent
// to a local OTLP/HTTP endpoint; keeps the probes' trace files and the received requests as OTLP JSON lines (the
// Collector file exporter's format) and as length-prefixed OTLP protobuf. test/unit/otlp-recorded.test.ts checks
// that the three give the same analysis.
//   npm run build && bash testbed/start.sh && source testbed/env.sh && node scripts/record-otlp-fixture.mjs
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { encodeExportTraceRequest } = require(path.join(root, 'dist/src/collect/otlp-proto.js'));
const dest = path.join(root, 'fixtures/otlp/recorded');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-record-'));
const bodies = [];
const server = http.createServer((req, res) => {
  let b = '';
  req.setEncoding('utf8').on('data', (d) => { b += d; }).on('end', () => { bodies.push(b); res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const code = await new Promise((resolve) => {
  const c = spawn(process.execPath, [path.join(root, 'dist/bin/batch-doctor.js'), 'profile', '--format', 'none', '--no-explain', '--out', path.join(tmp, 'out'), '--',
    process.execPath, path.join(root, 'fixtures/pipelines/orders-export/main.cjs')],
  { cwd: root, stdio: 'inherit', env: { ...process.env, EXPORT_DAYS: '1', OUT_DIR: path.join(tmp, 'files'), OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.address().port}` } });
  c.on('close', resolve);
});
server.close();
if (code !== 0) throw new Error(`profile exited with ${code}`);
fs.rmSync(dest, { recursive: true, force: true });
fs.mkdirSync(dest, { recursive: true });
const runs = path.join(tmp, 'out', 'runs');
const runDir = path.join(runs, fs.readdirSync(runs)[0]);
for (const f of fs.readdirSync(runDir).filter((n) => /^trace-\d+\.jsonl$/.test(n))) fs.copyFileSync(path.join(runDir, f), path.join(dest, f));
fs.writeFileSync(path.join(dest, 'otlp.jsonl'), bodies.map((b) => JSON.stringify(JSON.parse(b))).join('\n') + '\n');
fs.writeFileSync(path.join(dest, 'otlp.pb'), Buffer.concat(bodies.map((b) => { const m = Buffer.from(encodeExportTraceRequest(JSON.parse(b))); const h = Buffer.alloc(4); h.writeUInt32BE(m.length); return Buffer.concat([h, m]); })));
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`recorded ${bodies.length} OTLP requests and the trace files into ${path.relative(root, dest)}`);
