// Side by side on the same capped server: batch-doctor ftp-bench's 4-stream upload against
// lftp `mput -P 4` of the same number and size of files. Interleaved rounds, medians.
//   source testbed/env.sh; node bench/ftp-vs-lftp.mjs [--rounds 3] [--files 8] [--size 4194304] [--port 2121]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const rounds = Number(arg('rounds', 3)), files = Number(arg('files', 8)), size = Number(arg('size', 4 * 1024 * 1024));
const e = process.env;
const port = arg('port', e.FTP_PORT ?? '2121');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-lftp-'));
const names = [];
for (let i = 0; i < files; i++) { const f = path.join(tmp, `f${i}.bin`); fs.writeFileSync(f, randomBytes(size)); names.push(f); }
const bytes = files * size;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const lftpT = [], oursT = [], oursWithConnectT = [];
for (let r = 0; r < rounds; r++) {
  const dir = `lftp-bench-${process.pid}-${r}`;
  const t0 = performance.now();
  const l = spawnSync('lftp', ['-u', `${e.FTP_USER},${e.FTP_PASSWORD}`, '-p', port, e.FTP_HOST, '-e',
    `set cmd:fail-exit yes; mkdir ${dir}; cd ${dir}; mput -P 4 ${names.join(' ')}; cd ..; rm -r ${dir}; bye`], { encoding: 'utf8' });
  const lw = (performance.now() - t0) / 1000;
  if (l.status !== 0) { console.error('lftp failed', l.stderr); process.exit(1); }
  lftpT.push(bytes / lw);
  const o = spawnSync(process.execPath, [path.join(root, 'dist/bin/batch-doctor.js'), 'ftp-bench', `ftp://${e.FTP_USER}@${e.FTP_HOST}:${port}/`, '--streams', '4', '--direction', 'upload',
    '--small-files', '0', '--large-files', String(files), '--large-size', String(size), '--no-segmented', '--format', 'json'],
  { encoding: 'utf8', env: { ...e, BATCH_DOCTOR_FTP_PASSWORD: e.FTP_PASSWORD } });
  if (o.status !== 0) { console.error('ftp-bench failed', o.stderr); process.exit(1); }
  const rep = JSON.parse(o.stdout);
  const cell = rep.cells.find((c) => c.direction === 'upload' && c.streams === 4);
  oursT.push(cell.throughput);
  oursWithConnectT.push(bytes / ((cell.wallMs + rep.connect.meanMs) / 1000));
}
fs.rmSync(tmp, { recursive: true, force: true });
const mb = (x) => (x / 1e6).toFixed(2);
console.log(`${files} files x ${size} bytes, 4 streams, ${rounds} interleaved rounds, server port ${port}`);
console.log('| tool | median throughput | ratio to lftp |');
console.log('|---|---|---|');
console.log(`| lftp mput -P 4 (wall incl. login, mkdir, rm) | ${mb(median(lftpT))} MB/s | 1.00x |`);
console.log(`| batch-doctor ftp-bench, 4 streams (transfer) | ${mb(median(oursT))} MB/s | ${(median(oursT) / median(lftpT)).toFixed(2)}x |`);
console.log(`| batch-doctor ftp-bench, 4 streams (+ one login) | ${mb(median(oursWithConnectT))} MB/s | ${(median(oursWithConnectT) / median(lftpT)).toFixed(2)}x |`);
