// What a collector that accepts connections and never answers costs a profiled job, against a healthy collector:
// a one-query job run with the probes forwarding spans to each, interleaved, the added wall time of each pair.
// The promise (docs/probes.md): at most FORWARD_FLUSH_TIMEOUT_MS (2 s) added, in every pair.
//   npm run build && bash testbed/start.sh && source testbed/env.sh
//   node bench/forward-silent.mjs [--pairs 7]

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { pairs: { type: 'string', default: '7' } } });
const register = path.join(root, 'dist/probes/bundle/register.js');
const job = path.join(root, 'fixtures/pipelines/safety/one-query.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-fwd-bench-'));

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const healthy = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')); });
const held = [];
const silent = net.createServer((c) => { held.push(c); });
const [hp, sp] = [await listen(healthy), await listen(silent)];

// spawnSync blocks this process's event loop, and the collectors live in it: run the job from a child that waits.
const once = (port, i) => {
  const dir = path.join(tmp, `${port}-${i}`);
  fs.mkdirSync(dir);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    import('node:child_process').then(({ spawn }) => {
      const c = spawn(process.execPath, ['--require', register, job], { env: { ...process.env, BATCH_DOCTOR_TRACE_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => { err += d; });
      c.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`exit ${code}: ${err}`))));
    });
  });
};
const added = [];
for (let i = 0; i < Number(values.pairs); i++) {
  const h = await once(hp, i), s = await once(sp, i);
  added.push(s - h);
  console.error(`pair ${i + 1}: healthy ${h.toFixed(0)} ms, silent ${s.toFixed(0)} ms, added ${(s - h).toFixed(0)} ms`);
}
healthy.close(); held.forEach((c) => c.destroy()); silent.close();
fs.rmSync(tmp, { recursive: true, force: true });
const sorted = [...added].sort((a, b) => a - b);
console.log(`added by a silent collector over ${added.length} interleaved pairs: median ${sorted[sorted.length >> 1].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (node ${process.version})`);

