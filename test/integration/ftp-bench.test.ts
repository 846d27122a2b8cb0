import { Client } from 'basic-ftp';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FtpBenchReport } from '../../src/model/ftp-bench';
import Ajv from 'ajv';
import { CLI, cli, requireServer, ROOT, testbedEnv } from '../helpers/testbed';
import { startCorruptingFtp } from '../helpers/corrupting-ftp';

const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'ftp-bench.schema.json'), 'utf8')));

const env = () => ({ ...process.env, ...testbedEnv(), BATCH_DOCTOR_FTP_PASSWORD: testbedEnv()['FTP_PASSWORD']! });
const url = (port: string, scheme = 'ftp') => `${scheme}://${testbedEnv()['FTP_USER']}@${testbedEnv()['FTP_HOST']}:${port}/`;

/** Names in the FTP user's home (or a directory of it), listed over FTP (the server is treated as remote). */
async function remoteNames(port: number, dir?: string): Promise<string[]> {
  const c = new Client();
  try {
    await c.access({ host: testbedEnv()['FTP_HOST'], port, user: testbedEnv()['FTP_USER'], password: testbedEnv()['FTP_PASSWORD'] });
    return (await c.list(dir)).map((f) => f.name);
  } finally { c.close(); }
}

// 4 large files of 2 MiB against a 4 MB/s per-session cap: one stream needs ~2 s, four ~0.5 s.
const SMALL_RUN = ['--streams', '1,4', '--small-files', '20', '--small-size', '16384', '--large-files', '4', '--large-size', String(2 * 1024 * 1024), '--format', 'json'];

const servers = [
  { name: 'vsftpd', port: () => testbedEnv()['FTP_PORT']! },
  { name: 'pure-ftpd', port: () => testbedEnv()['PUREFTP_PORT']! },
];

for (const server of servers) {
  describe(`ftp-bench against ${server.name} with a per-session rate cap`, () => {
    beforeAll(async () => { await requireServer(server.name, testbedEnv()['FTP_HOST']!, Number(server.port())); });

    it('4 streams give at least 3.5x one stream, the recommendation follows, every file is verified and the scratch is removed', async () => {
      const before = await remoteNames(Number(server.port()));
      const r = await cli(['ftp-bench', url(server.port()), ...SMALL_RUN], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout) as FtpBenchReport;
      expect(validate(rep), JSON.stringify(validate.errors)).toBe(true);
      const up = (n: number) => rep.cells.find((c) => c.workload === 'large-files' && c.direction === 'upload' && c.streams === n)!;
      const down = (n: number) => rep.cells.find((c) => c.workload === 'large-files' && c.direction === 'download' && c.streams === n)!;
      expect(up(4).throughput / up(1).throughput).toBeGreaterThanOrEqual(3.5);
      expect(down(4).throughput / down(1).throughput).toBeGreaterThanOrEqual(3.0);
      expect(rep.recommendations.find((x) => x.workload === 'large-files' && x.direction === 'upload')!.streams).toBe(4);
      expect(rep.limits.perSessionCapLikely).toBe(true);
      expect(rep.cells.every((c) => c.verified)).toBe(true);
      expect(rep.cells.some((c) => c.workload === 'segmented-download' && c.streams === 4)).toBe(true);
      expect(rep.perFileOverheadMs).toBeGreaterThan(0);
      expect(rep.connect.meanMs).toBeGreaterThan(0);
      expect(rep.scratchRemoved).toBe(true);
      expect(r.stdout + r.stderr).not.toContain(testbedEnv()['FTP_PASSWORD']!);
      expect(await remoteNames(Number(server.port()))).toEqual(before);
    });

    it('an interrupted benchmark leaves no scratch files on the server', async () => {
      const port = Number(server.port());
      const before = await remoteNames(port);
      const child = spawn(process.execPath, [CLI, 'ftp-bench', url(String(port)), '--verbose', '--streams', '1', '--large-files', '8', '--large-size', String(4 * 1024 * 1024), '--small-files', '0'],
        { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => { err += String(d); if (err.includes('upload, 1 stream')) resolve(); });
        child.once('close', () => resolve());
      });
      // Mid-upload: the scratch directory exists and a first file has landed in it (polled, not slept for).
      const scratch = (await remoteNames(port)).find((n) => n.startsWith('batch-doctor-bench-'));
      expect(scratch).toBeDefined();
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await remoteNames(port, scratch)).length === 0;) await new Promise((r) => setTimeout(r, 20));
      expect((await remoteNames(port, scratch)).length).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await done).toBe(130);
      expect(err).toContain('removing the scratch directory');
      expect(await remoteNames(port)).toEqual(before);
    });
  });
}

describe('ftp-bench safety and input', () => {
  beforeAll(async () => { await requireServer('vsftpd', testbedEnv()['FTP_HOST']!, Number(testbedEnv()['FTP_PORT'])); });

  it('FTPS verifies the certificate by default, and --insecure-tls is explicit and shown', async () => {
    const port = testbedEnv()['FTPS_PORT']!;
    const args = ['--streams', '1', '--small-files', '2', '--large-files', '1', '--large-size', '65536', '--no-segmented', '--format', 'json'];
    const refused = await cli(['ftp-bench', url(port, 'ftps'), ...args], { env: env() });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate/i);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const insecure = await cli(['ftp-bench', url(port, 'ftps'), ...args, '--insecure-tls'], { env: env() });
    expect(insecure.code, insecure.stderr).toBe(0);
    expect(JSON.parse(insecure.stdout).server).toMatchObject({ tls: true, tlsVerified: false });
    // With the certificate trusted, verification passes.
    const trusted = await cli(['ftp-bench', url(port, 'ftps'), ...args], { env: { ...env(), NODE_EXTRA_CA_CERTS: path.join(testbedEnv()['BD_TESTBED_DIR']!, 'ftps-cert.pem') } });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout).server).toMatchObject({ tls: true, tlsVerified: true });
  });

  it('refuses a password in the URL and a .netrc others can read', async () => {
    const inUrl = await cli(['ftp-bench', `ftp://u:secret@127.0.0.1:${testbedEnv()['FTP_PORT']}/`], { env: env() });
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toContain('Do not put the password in the URL');
    expect(inUrl.stderr).not.toContain('secret');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-netrc-'));
    const netrc = path.join(dir, '.netrc');
    fs.writeFileSync(netrc, `machine 127.0.0.1 login ${testbedEnv()['FTP_USER']} password ${testbedEnv()['FTP_PASSWORD']}\n`, { mode: 0o644 });
    const e: NodeJS.ProcessEnv = { ...process.env, ...testbedEnv(), NETRC: netrc };
    delete e['BATCH_DOCTOR_FTP_PASSWORD'];
    const loose = await cli(['ftp-bench', url(testbedEnv()['FTP_PORT']!), '--streams', '1'], { env: e });
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain('chmod 600');
    fs.chmodSync(netrc, 0o600);
    const ok = await cli(['ftp-bench', url(testbedEnv()['FTP_PORT']!), '--streams', '1', '--small-files', '2', '--large-files', '1', '--large-size', '65536', '--no-segmented', '--format', 'json'], { env: e });
    expect(ok.code, ok.stderr).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('estimates compression on a sample of real files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-sample-'));
    fs.writeFileSync(path.join(dir, 'a.csv'), 'order_id,day,country,amount\n'.repeat(20000));
    const r = await cli(['ftp-bench', url(testbedEnv()['FTP_PORT']!), '--streams', '1', '--small-files', '2', '--large-files', '1', '--large-size', '262144', '--no-segmented', '--sample', dir, '--format', 'json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const c = (JSON.parse(r.stdout) as FtpBenchReport).compression!;
    expect(c.ratio).toBeLessThan(0.05);
    expect(c.savedMsPerMiB).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('profile --ftp-bench', () => {
  beforeAll(async () => { await requireServer('vsftpd', testbedEnv()['FTP_HOST']!, Number(testbedEnv()['FTP_PORT'])); });

  it('gives the serial-FTP finding measured evidence and high confidence', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-pfb-'));
    const e = { ...env(), EXPORT_DAYS: '28', OUT_DIR: path.join(out, 'files') };
    const r = await cli(['profile', '--format', 'none', '--out', out, '--ftp-bench', url(testbedEnv()['FTP_PORT']!), '--', process.execPath, 'fixtures/pipelines/orders-export/main.cjs'], { env: e });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.ftpBench.scratchRemoved).toBe(true);
    const f = report.findings.find((x: { kind: string }) => x.kind === 'serial-ftp');
    expect(f.confidence).toBe('high');
    expect(f.evidence.metrics.measuredSpeedup).toBeGreaterThan(2);
    expect(JSON.stringify(report)).not.toContain(testbedEnv()['FTP_PASSWORD']!);
    fs.rmSync(out, { recursive: true, force: true });
  });
});

describe('ftp-bench against a server that limits connections per address', () => {
  beforeAll(async () => { await requireServer('vsftpd (max_per_ip=2)', testbedEnv()['FTP_HOST']!, Number(testbedEnv()['FTP_LIMITED_PORT'])); });

  it('reports the 421 refusals and the connection limit', async () => {
    const r = await cli(['ftp-bench', url(testbedEnv()['FTP_LIMITED_PORT']!), '--streams', '1,4', '--small-files', '4', '--large-files', '2', '--large-size', '65536', '--no-segmented', '--format', 'json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as FtpBenchReport;
    expect(rep.limits.maxConnections).toBe(2);
    expect(rep.limits.notes.join(' ')).toContain('421');
    expect(rep.cells.some((c) => c.refusedConnections > 0)).toBe(true);
    expect(rep.scratchRemoved).toBe(true);
  });
});

/**
 * ftp-bench's verification against a real FTP server (ftp-srv) that gets transfers wrong on purpose: the run stops
 * with the typed error and its code, exit 2 (as every error of the CLI), no figure written, and the scratch directory removed.
 */
describe('ftp-bench verification against a server that corrupts transfers', () => {
  for (const mode of ['truncate-uploads', 'corrupt-downloads'] as const) {
    it(`${mode}: BD_FTP_VERIFY, nothing written, the scratch directory removed`, async () => {
      const srv = await startCorruptingFtp(mode);
      try {
        const r = await cli(['ftp-bench', `ftp://${srv.user}@127.0.0.1:${srv.port}/`, '--streams', '1,2', '--small-files', '4', '--small-size', '8192', '--large-files', '1', '--large-size', '65536', '--format', 'json'],
          { env: { ...process.env, BATCH_DOCTOR_FTP_PASSWORD: srv.password } });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(mode === 'truncate-uploads' ? /ftp-bench stopped: the upload \S+ has \d+ bytes on the server, \d+ were sent\./ : /ftp-bench stopped: the download of \S+ came back different/);
        expect(r.stderr).toMatch(/\[BD_FTP_VERIFY\]/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(fs.readdirSync(srv.root)).toEqual([]);
      } finally {
        await srv.stop();
      }
    }, 60_000);
  }
});
