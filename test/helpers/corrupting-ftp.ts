import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Transform } from 'node:stream';

/**
 * A real FTP server (ftp-srv, in this process, on loopback) whose file system gets transfers wrong on purpose,
 * for the tests of ftp-bench's verification: `truncate-uploads` keeps half of every file stored (the size the
 * server then reports is wrong); `corrupt-downloads` flips one byte of every file it sends (sizes right, bytes
 * wrong). Everything else (logins, directories, listings, passive data connections) is ftp-srv's own.
 */
export async function startCorruptingFtp(mode: 'truncate-uploads' | 'corrupt-downloads'): Promise<{ port: number; user: string; password: string; root: string; stop(): Promise<void> }> {
  const { FtpSrv, FileSystem } = await import('ftp-srv') as unknown as {
    FtpSrv: new (o: Record<string, unknown>) => { on(e: string, fn: (...a: never[]) => void): void; listen(): Promise<unknown>; close(): Promise<unknown> };
    FileSystem: new (connection: unknown, o: { root: string; cwd: string }) => {
      write(name: string, o?: unknown): { stream: NodeJS.WritableStream & { once(e: string, fn: () => void): unknown; path?: string }; clientPath: string };
      read(name: string, o?: unknown): Promise<{ stream: NodeJS.ReadableStream; clientPath: string }>;
      _resolvePath(name: string): { fsPath: string };
    };
  };
  class Broken extends FileSystem {
    override write(name: string, o?: unknown) {
      const r = super.write(name, o);
      if (mode === 'truncate-uploads') {
        const { fsPath } = this._resolvePath(name);
        // Before the server's 226 (which follows the stream's close): the stored file keeps half its bytes.
        r.stream.once('finish', () => { try { fs.truncateSync(fsPath, Math.floor(fs.statSync(fsPath).size / 2)); } catch { /* gone */ } });
      }
      return r;
    }
    override async read(name: string, o?: unknown) {
      const r = await super.read(name, o);
      if (mode !== 'corrupt-downloads') return r;
      let first = true;
      const flip = new Transform({ transform(chunk: Buffer, _e, cb) { if (first && chunk.length) { first = false; chunk = Buffer.from(chunk); chunk[0] = chunk[0]! ^ 0xff; } cb(null, chunk); } });
      return { ...r, stream: r.stream.pipe(flip) };
    }
  }
  const quiet = { child() { return quiet; }, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
  const free = () => new Promise<number>((resolve, reject) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); s.once('error', reject); });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-broken-ftp-'));
  const port = await free();
  const pasv = await free();
  const user = 'bench', password = 'bench-pw';
  const server = new FtpSrv({ url: `ftp://127.0.0.1:${port}`, pasv_url: '127.0.0.1', pasv_min: pasv, pasv_max: pasv + 60, anonymous: false, log: quiet });
  server.on('login', ((d: { connection: unknown; username: string; password: string }, resolve: (o: unknown) => void, reject: (e: Error) => void) => {
    if (d.username === user && d.password === password) resolve({ root, fs: new Broken(d.connection, { root, cwd: '/' }) }); else reject(new Error('530 Login incorrect'));
  }) as never);
  await server.listen();
  return { port, user, password, root, stop: async () => { await server.close().catch(() => undefined); fs.rmSync(root, { recursive: true, force: true }); } };
}
