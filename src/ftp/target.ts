import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';

/** Where to benchmark: parsed from `ftp://user@host:port/dir` or `ftps://...`. */
export interface FtpTarget {
  host: string;
  port: number;
  user: string;
  /**
   * Remote directory under which the scratch directory is made, relative to the login directory as in
   * RFC 1738 (`ftp://host/` is the login directory, `ftp://host/up/in` is `up/in` under it; `%2F` starts an
   * absolute path: `ftp://host/%2Ftmp`). Empty: the login directory.
   */
  dir: string;
  /** Explicit FTPS (AUTH TLS). */
  tls: boolean;
}

/** Parses the target URL. A password in the URL is refused: it would land in shell history and process lists. */
export function parseFtpUrl(url: string): FtpTarget {
  let u: URL;
  try { u = new URL(url); } catch { throw new UsageError(`"${url.replace(/\/\/[^@/]*@/, '//***@')}" is not a URL. Write it as ftp://user@host:port/dir (or ftps://).`); }
  if (u.protocol !== 'ftp:' && u.protocol !== 'ftps:') throw new UsageError(`The URL must start with ftp:// or ftps://, not ${u.protocol}//.`);
  if (u.password) throw new UsageError('Do not put the password in the URL (it would show in shell history and process lists). Set BATCH_DOCTOR_FTP_PASSWORD, use ~/.netrc, or type it at the prompt.');
  if (!u.hostname) throw new UsageError('The URL has no host. Write it as ftp://user@host:port/dir.');
  return {
    host: u.hostname, port: u.port ? Number(u.port) : 21, user: decodeURIComponent(u.username || 'anonymous'),
    dir: decodeURIComponent((u.pathname || '/').replace(/^\//, '').replace(/\/$/, '')), tls: u.protocol === 'ftps:',
  };
}

/** Reads the password for host/user from a .netrc file; refuses a file others can read. */
export function passwordFromNetrc(file: string, host: string, user: string): string | undefined {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch { return undefined; }
  if ((st.mode & 0o077) !== 0) {
    throw new UsageError(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}), so batch-doctor will not use it. Run: chmod 600 ${file}`);
  }
  const tokens = fs.readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  let machine: string | null = null, login: string | null = null, password: string | null = null;
  let found: string | undefined;
  const flush = () => { if ((machine === host || machine === '') && (login === null || login === user) && password !== null && found === undefined) found = password; };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 'machine' || t === 'default') { flush(); machine = t === 'default' ? '' : tokens[++i] ?? null; login = null; password = null; }
    else if (t === 'login') login = tokens[++i] ?? null;
    else if (t === 'password') password = tokens[++i] ?? null;
  }
  flush();
  return found;
}

/** Default location of the user's .netrc. */
export function defaultNetrc(env: NodeJS.ProcessEnv): string {
  return env['NETRC'] ?? path.join(os.homedir(), '.netrc');
}
