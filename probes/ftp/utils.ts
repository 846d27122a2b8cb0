import * as path from 'node:path';
import { ATTR } from '../names';

/** The client methods we wrap, and the span name and direction of each. */
export const WRAPPED_METHODS: Record<string, { span: string; direction?: 'upload' | 'download'; pathArg?: number }> = {
  access: { span: 'ftp.connect' },
  uploadFrom: { span: 'ftp.upload', direction: 'upload', pathArg: 1 },
  appendFrom: { span: 'ftp.upload', direction: 'upload', pathArg: 1 },
  downloadTo: { span: 'ftp.download', direction: 'download', pathArg: 1 },
  list: { span: 'ftp.list', pathArg: 0 },
  size: { span: 'ftp.size', pathArg: 0 },
  remove: { span: 'ftp.remove', pathArg: 0 },
  rename: { span: 'ftp.rename', pathArg: 0 },
  cd: { span: 'ftp.cd', pathArg: 0 },
  ensureDir: { span: 'ftp.ensure_dir', pathArg: 0 },
  removeDir: { span: 'ftp.remove_dir', pathArg: 0 },
  uploadFromDir: { span: 'ftp.upload_dir', pathArg: 1 },
  downloadToDir: { span: 'ftp.download_dir', pathArg: 1 },
};

/** The parts of a basic-ftp Client we read (all optional: versions differ). */
export interface FtpClientLike {
  ftp?: { socket?: { remoteAddress?: string; remotePort?: number }; hasTLS?: boolean };
  _progressTracker?: { bytesOverall?: number };
}

/** Bytes moved so far by this client (basic-ftp's progress tracker), or undefined. */
export function bytesSoFar(client: FtpClientLike): number | undefined {
  const b = client._progressTracker?.bytesOverall;
  return typeof b === 'number' ? b : undefined;
}

/** Attributes describing the remote path: the full path only when literals are kept, else its extension. */
export function pathAttributes(remotePath: unknown, keepLiterals: boolean): Record<string, string> {
  if (typeof remotePath !== 'string' || remotePath === '') return {};
  if (keepLiterals) return { [ATTR.ftpRemotePath]: remotePath };
  const ext = path.extname(remotePath).toLowerCase();
  return ext && ext.length <= 12 ? { [ATTR.ftpRemoteExt]: ext } : {};
}

/** Server and TLS attributes, read from the control socket. */
export function serverAttributes(client: FtpClientLike): Record<string, string | number | boolean> {
  const s = client.ftp?.socket;
  const out: Record<string, string | number | boolean> = {};
  if (s?.remoteAddress) out['server.address'] = s.remoteAddress;
  if (s?.remotePort) out['server.port'] = s.remotePort;
  if (client.ftp?.hasTLS !== undefined) out[ATTR.ftpSecure] = !!client.ftp.hasTLS;
  return out;
}

/** Transfer mode from a TYPE command, or undefined for any other command. */
export function modeFromCommand(command: unknown): 'ascii' | 'binary' | undefined {
  if (typeof command !== 'string') return undefined;
  const m = /^\s*TYPE\s+([AI])/i.exec(command);
  if (!m) return undefined;
  return m[1]!.toUpperCase() === 'A' ? 'ascii' : 'binary';
}

/** The FTP reply code an error carries (basic-ftp's FTPError.code), if any. */
export function errorCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  if (typeof c === 'number' || typeof c === 'string') return String(c);
  return err instanceof Error ? err.name : undefined;
}
