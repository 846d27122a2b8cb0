import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A server started in this process for the demo. */
export interface EmbeddedServer {
  /** What it is, for the demo's output. */
  label: string;
  /** Environment variables that point the sample pipeline at it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
  });
}

/**
 * PostgreSQL embedded in this process: PGlite (Postgres compiled to WebAssembly, in memory) behind
 * pglite-socket, which speaks the PostgreSQL wire protocol on a loopback port, so the sample pipeline's `pg`
 * client connects to it as to any server. No pg_stat_statements or HypoPG: index advice stays unconfirmed.
 */
export async function startEmbeddedPostgres(): Promise<EmbeddedServer> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  return {
    label: `embedded PostgreSQL (PGlite) on 127.0.0.1:${port}`,
    env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres', PGPASSWORD: 'postgres', PGDATABASE: 'postgres' },
    stop: async () => { await server.stop(); await db.close(); },
  };
}

/** Silent logger for ftp-srv (it logs through a bunyan-like object). */
const quiet = { child() { return quiet; }, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };

/**
 * An FTP server in this process (ftp-srv) on loopback, with one user whose home is a temporary directory
 * removed at stop. Passive data connections on loopback ports it picks from a small range.
 */
export async function startEmbeddedFtp(): Promise<EmbeddedServer> {
  const { FtpSrv } = await import('ftp-srv') as unknown as { FtpSrv: new (o: Record<string, unknown>) => FtpServerLike };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-demo-ftp-'));
  const port = await freePort();
  const pasvMin = await freePort();
  const server = new FtpSrv({
    url: `ftp://127.0.0.1:${port}`, pasv_url: '127.0.0.1', pasv_min: pasvMin, pasv_max: pasvMin + 50,
    anonymous: false, greeting: 'batch-doctor demo FTP server', log: quiet,
  });
  const user = 'demo', password = 'demo-pw';
  server.on('login', ({ username, password: pw }: { username: string; password: string }, resolve: (o: { root: string }) => void, reject: (e: Error) => void) => {
    if (username === user && pw === password) resolve({ root }); else reject(new Error('530 Login incorrect'));
  });
  await server.listen();
  return {
    label: `embedded FTP server on 127.0.0.1:${port}`,
    env: { FTP_HOST: '127.0.0.1', FTP_PORT: String(port), FTP_USER: user, FTP_PASSWORD: password },
    stop: async () => { await server.close().catch(() => undefined); fs.rmSync(root, { recursive: true, force: true }); },
  };
}

interface FtpServerLike {
  on(event: 'login', fn: (...args: never[]) => void): void;
  listen(): Promise<unknown>;
  close(): Promise<unknown>;
}
