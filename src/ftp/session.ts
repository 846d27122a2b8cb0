import { Client, FTPError } from 'basic-ftp';
import { isIP } from 'node:net';
import type { Writable } from 'node:stream';
import type { FtpTarget } from './target';

/** The few FTP operations the benchmark needs: a small interface in front of basic-ftp. */
export interface FtpSession {
  /** Uploads a local file under `name` in the current directory. */
  upload(localPath: string, name: string): Promise<void>;
  /** Downloads `name` into `dest`, from byte `startAt`. */
  download(name: string, dest: Writable, startAt?: number): Promise<void>;
  size(name: string): Promise<number>;
  list(): Promise<string[]>;
  cd(dir: string): Promise<void>;
  mkdir(name: string): Promise<void>;
  /** Removes a directory and everything in it. */
  removeDir(dir: string): Promise<void>;
  close(): void;
}

/** Options to open sessions. */
export interface ConnectOptions {
  target: FtpTarget;
  password: string;
  /** Verify the server's TLS certificate (ftps). Default true. */
  verifyTls: boolean;
  /** Socket timeout, ms. Default 30000. */
  timeoutMs?: number;
}

/** Opens one logged-in basic-ftp session in the target's directory. */
export async function openSession(o: ConnectOptions): Promise<FtpSession> {
  const c = new Client(o.timeoutMs ?? 30_000);
  try {
    await c.access({
      host: o.target.host, port: o.target.port, user: o.target.user, password: o.password,
      secure: o.target.tls, ...(o.target.tls ? { secureOptions: { rejectUnauthorized: o.verifyTls, ...(isIP(o.target.host) ? {} : { servername: o.target.host }) } } : {}),
    });
    if (o.target.dir) await c.cd(o.target.dir);
  } catch (err) {
    c.close();
    throw err;
  }
  return {
    // No overwrite check here: the benchmark writes only unique names inside a scratch directory it has
    // just created (MKD fails on an existing name), so there is nothing to overwrite.
    async upload(localPath, name) { await c.uploadFrom(localPath, name); },
    async download(name, dest, startAt = 0) { await c.downloadTo(dest, name, startAt); },
    size: (name) => c.size(name),
    list: async () => (await c.list()).map((f) => f.name),
    async cd(dir) { await c.cd(dir); },
    async mkdir(name) { await c.send(`MKD ${name}`); },
    async removeDir(dir) { await c.removeDir(dir); },
    close: () => c.close(),
  };
}

/** The FTP reply code of an error (421: too many connections), or a socket error code. */
export function ftpErrorCode(err: unknown): string {
  if (err instanceof FTPError) return String(err.code);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'unknown';
}
