import { execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'bin', 'batch-doctor.js');

let cachedEnv: Record<string, string> | undefined;
/** The testbed's connection settings: testbed/env.sh is the one source of defaults. */
export function testbedEnv(): Record<string, string> {
  if (cachedEnv) return cachedEnv;
  const out = execFileSync('bash', ['-c', `source "${path.join(ROOT, 'testbed', 'env.sh')}" && env -0`], { encoding: 'utf8' });
  const env: Record<string, string> = {};
  for (const kv of out.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  cachedEnv = env;
  return env;
}

/** Fails (never skips) when a testbed server does not answer: run `bash testbed/start.sh` first. */
export async function requireServer(name: string, host: string, port: number): Promise<void> {
  const ok = await new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    const t = setTimeout(() => { s.destroy(); resolve(false); }, 3000);
    s.once('connect', () => { clearTimeout(t); s.destroy(); resolve(true); });
    s.once('error', () => { clearTimeout(t); resolve(false); });
  });
  if (!ok) throw new Error(`${name} is not reachable at ${host}:${port}. Start the testbed with: bash testbed/start.sh`);
}

/** Requires PostgreSQL, MariaDB and vsftpd of the testbed. */
export async function requireTestbed(): Promise<void> {
  const e = testbedEnv();
  await requireServer('PostgreSQL', e['PGHOST']!, Number(e['PGPORT']));
  await requireServer('MariaDB', e['MYSQL_HOST']!, Number(e['MYSQL_TCP_PORT']));
  await requireServer('vsftpd', e['FTP_HOST']!, Number(e['FTP_PORT']));
  await requireServer('sshd (SFTP)', e['SFTP_HOST']!, Number(e['SFTP_PORT']));
}

/** Result of a child process. */
export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion, capturing its output. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? { ...process.env, ...testbedEnv() }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }); });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs the batch-doctor CLI (built in dist/). */
export function cli(args: string[], opts: Parameters<typeof run>[2] = {}): Promise<Ran> {
  return run(process.execPath, [CLI, ...args], opts);
}

let node24: string | undefined;
/** Path of a Node 24 binary (the node@24 package from the npm registry, through npx). */
export function node24Path(): string {
  if (node24) return node24;
  node24 = execFileSync('npx', ['-y', '-p', 'node@24', 'node', '-p', 'process.execPath'], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return node24;
}
