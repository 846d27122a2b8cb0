/**
 * The one sanitizer. Every byte batch-doctor lets out, from the profiled process (trace file, spans forwarded to
 * the user's collector) or from the CLI (reports, terminal, Markdown, CI output), passes through these functions:
 *
 * - {@link redactCredentials}: URL userinfo, `password=`-like pairs (any key ending in a secret word, so
 *   `PGPASSWORD=`, `MYSQL_PWD=`, `AWS_SECRET_ACCESS_KEY=` too), FTP `PASS`.
 * - {@link redactCommandLine}: a command line, argument by argument and word by word inside `sh -c '...'`
 *   strings: the above, plus the value after `--password`-like flags and mysql's glued `-pSECRET`.
 * - {@link literalFreeMessage}: an error text with every quoted run and number replaced by `?`.
 * - {@link sanitizeSpanName}: a span name with anything that is not a fixed operation word fingerprinted.
 * - {@link sanitizeAttributes}: an allow-list of attribute keys; statements fingerprinted.
 * - {@link escapeControl}: control characters made visible, for terminals and Markdown.
 *
 * Probes code: no import from `src/`, nothing that can throw on odd input (every function takes `unknown`-ish
 * strings and returns a string).
 */
import { dialectForSystem, fingerprintSql } from './sql-fingerprint';
import { ATTR } from './names';

/** What replaces a secret. */
export const REDACTED = '***';

// ---------------------------------------------------------------- credentials

/** URL userinfo: everything from `://` to the last `@` of the line (a raw password may hold @, / or spaces). */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\n]*)@/gi;
/**
 * Words that make a key secret, at the end of the key (`PGPASSWORD`, `db_password`, `MYSQL_PWD`, `api-key`,
 * `X_AUTH_TOKEN`, `client_secret`, `SECRET_ACCESS_KEY`). A key merely containing one (`passwordless_login`) is not.
 */
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|pwd|pass|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|secret[_-]?key|credentials?|auth)`;
const KV_SECRET = new RegExp(String.raw`(?<![A-Za-z0-9])([A-Za-z0-9_.-]*?${SECRET_WORD})(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]*)`, 'gi');
const FTP_PASS = /^(PASS\s+).*$/gim;

/** Returns `text` with credentials replaced by `***`. */
export function redactCredentials(text: string): string {
  return String(text)
    .replace(URL_USERINFO, (_m, proto: string) => `${proto}${REDACTED}@`)
    .replace(KV_SECRET, (m, k: string, sep: string, v: string) => (v === '' || v === REDACTED ? m : `${k}${sep}${REDACTED}`))
    .replace(FTP_PASS, `$1${REDACTED}`);
}

/** A flag whose next word is a secret: `--password x`, `--db-pass x`, `-token x` (not `--no-password`). */
const SECRET_FLAG = new RegExp(String.raw`^--?(?![-]|no-)[A-Za-z0-9_-]*${SECRET_WORD}$`, 'i');

/** Strips one pair of surrounding quotes, for matching a shell word. */
const unquote = (w: string) => w.replace(/^(['"])(.*)\1$/s, '$2');
/** `--db-password=...` or `PGPASSWORD=...` (a secret flag or assignment with its value, no space before `=`). */
const WHOLE_ARG_SECRET = new RegExp(String.raw`^(--?(?!no-)[A-Za-z0-9_-]*${SECRET_WORD}|[A-Za-z_][A-Za-z0-9_]*${SECRET_WORD})=`, 'i');
/** A URL with userinfo, as one argument: everything between `://` and the last `@` (a raw password may hold spaces). */
const URL_ARG = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/is;

/**
 * One argument (or one shell word, unquoted): a secret flag's or assignment's value in full, mysql's `-pSECRET`
 * in full, a URL's userinfo, then {@link redactCredentials} for `key=value` pairs inside (DSNs, query strings).
 */
function redactArg(a: string): string {
  const whole = WHOLE_ARG_SECRET.exec(a);
  if (whole) return `${whole[1]}=${REDACTED}`;
  if (/^-p./s.test(a)) return `-p${REDACTED}`;
  return redactCredentials(a.replace(URL_ARG, `$1${REDACTED}@`));
}

/**
 * Redacts a shell script (`sh -c '...'`) word by word. Words are split on white space, keeping a quoted value
 * that spans spaces (`PGPASSWORD='a b'`) in one piece; a `--password`-like word makes the next word secret.
 */
function redactScript(text: string, state: { nextIsSecret: boolean }): string {
  const parts = text.split(/(\s+)/);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    let w = parts[i]!;
    if (w === '' || /^\s+$/.test(w)) { out.push(w); continue; }
    // A word with an unbalanced quote runs on to the word that closes it.
    const q = /^[^'"]*=?(['"])/.exec(w)?.[1];
    if (q && (w.split(q).length - 1) % 2 === 1) {
      let j = i + 1;
      while (j < parts.length && (w.split(q).length - 1) % 2 === 1) { w += parts[j]!; j++; }
      i = j - 1;
    }
    if (state.nextIsSecret) { state.nextIsSecret = false; out.push(REDACTED); continue; }
    const bare = unquote(w.replace(/^([A-Za-z_][A-Za-z0-9_]*=)(['"])(.*)\2$/s, '$1$3'));
    if (SECRET_FLAG.test(bare)) { state.nextIsSecret = true; out.push(w); continue; }
    const r = redactArg(bare);
    out.push(r === bare ? w : r);
  }
  return out.join('');
}

/** A whole command line as one text (`process.command_line`): redacted word by word, as a shell script. */
export function redactCommandText(text: string): string {
  return redactScript(String(text), { nextIsSecret: false });
}

/** Shells whose `-c` argument is a script. */
const SHELL = /(^|\/)(sh|bash|dash|zsh|ksh|ash|busybox)$/;

/**
 * The command line with credentials redacted: URL userinfo, `password=`-like pairs and environment assignments
 * (`PGPASSWORD=x`, `MYSQL_PWD=x`, `*_TOKEN=x`, `*_SECRET=x`), the value after `--password`/`--pass`/`--token`-like
 * flags and `--flag=value`, mysql's `-pSECRET`; argument by argument, and word by word inside `sh -c` scripts.
 */
export function redactCommandLine(argv: readonly string[]): string[] {
  const state = { nextIsSecret: false };
  return argv.map((raw, i) => {
    const a = String(raw);
    if (state.nextIsSecret) { state.nextIsSecret = false; return REDACTED; }
    const script = i >= 2 && /^-[a-z]*c$/.test(String(argv[i - 1])) && SHELL.test(String(argv[i - 2]));
    if (script) return redactScript(a, state);
    if (SECRET_FLAG.test(a)) { state.nextIsSecret = true; return a; }
    return redactArg(a);
  });
}

// ---------------------------------------------------------------- error texts

/** Longest error text kept, characters: enough for the server's words, never a dump of the statement. */
export const ERROR_TEXT_MAX = 200;
const QUOTED = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\u201c[^\u201d]*\u201d/g;
/** A number, an address or a version (`42`, `-1.5e3`, `0x1f`, `127.0.0.1`, `10:30:00`); not part of a code (`28P01`). */
const NUMBER = /(?<![A-Za-z0-9_])[-+]?(?:0x[0-9a-f]+|\d+(?:[.:]\d+)*(?:e[-+]?\d+)?)(?![A-Za-z0-9_])/gi;

/**
 * An error text safe to show or send: credentials redacted, every quoted run (`"abc"`, `'x'`, `` `t` ``) and
 * every number replaced by `?`, whatever follows a `DETAIL:`/`Key (...)=` dropped, control characters removed,
 * at most {@link ERROR_TEXT_MAX} characters. `invalid input syntax for type integer: "42x"` becomes
 * `invalid input syntax for type integer: "?"`.
 */
export function literalFreeMessage(message: unknown): string {
  let s = typeof message === 'string' ? message : message === undefined || message === null ? '' : String(message);
  s = s.split(/\r?\n|\bDETAIL:|\bKey \(/)[0]!;
  s = redactCredentials(s)
    .replace(/([A-Za-z])'([a-z])\b/g, '$1\u2019$2') // can't, server's: an apostrophe, not a quote
    .replace(QUOTED, (q) => `${q[0] === '\u201c' ? '"' : q[0]}?${q[0] === '\u201c' ? '"' : q[0]}`)
    .replace(NUMBER, '?')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  // A quote left over (unbalanced) would open onto the rest of the text: cut there.
  const stray = s.replace(/(["'`])\?\1/g, '\u0000\u0000\u0000').search(/["'`]/);
  if (stray >= 0) s = `${s.slice(0, stray)}…`;
  return s.length > ERROR_TEXT_MAX ? s.slice(0, ERROR_TEXT_MAX - 1) + '…' : s.trim();
}

// ---------------------------------------------------------------- names

/** FNV-1a, 32 bits, as 8 hex digits: a stable short fingerprint of a name. */
export function fingerprintName(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h.toString(16).padStart(8, '0');
}

/** Operation words a database span name may carry as they are (instrumentations put the SQL verb there). */
const SQL_VERBS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'WITH', 'VALUES', 'TABLE', 'COPY', 'CALL', 'DO',
  'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'PREPARE', 'EXECUTE', 'DEALLOCATE', 'SET', 'SHOW', 'RESET',
  'CREATE', 'ALTER', 'DROP', 'TRUNCATE', 'GRANT', 'REVOKE', 'LOCK', 'UNLOCK', 'EXPLAIN', 'ANALYZE', 'VACUUM', 'REPLACE',
  'LOAD', 'USE', 'DECLARE', 'FETCH', 'CLOSE', 'LISTEN', 'NOTIFY', 'UNLISTEN', 'DISCARD', 'REFRESH', 'REINDEX', 'CLUSTER',
  'COMMENT', 'HANDLER', 'DESCRIBE', 'DESC', 'OPTIMIZE', 'CHECKSUM', 'KILL', 'FLUSH', 'PURGE', 'XA']);
/** Span names our probes and the instrumentations we load make from fixed words only. */
const FIXED_NAME = /^(?:pg\.connect|pg-pool\.connect|pg\.query|mysql2?\.connect|ftp\.[a-z_]+|batch_doctor\.stage|[a-z][a-z0-9_-]*(?:\.[a-z][a-z0-9_-]*)+)$/;

/**
 * A span name safe to send: fixed instrumentation names as they are; `pg.query:<x> <db>` and bare verbs keep a SQL
 * verb and the database name, any other `<x>` (a prepared statement's name, a statement with no space in it)
 * becomes `stmt-<fingerprint>`; any other name that is not a dotted lower-case operation name (`http.request`)
 * becomes `span-<fingerprint>`.
 * Stage names are the user's labels, not data, and are kept (`kind` 'stage').
 */
export function sanitizeSpanName(name: unknown, kind: string): string {
  const n = typeof name === 'string' ? name : String(name ?? '');
  if (kind === 'stage' || FIXED_NAME.test(n)) return n;
  const pg = /^pg\.query:(\S*)(?: (.*))?$/s.exec(n);
  if (pg) {
    const verb = SQL_VERBS.has(pg[1]!) ? pg[1]! : `stmt-${fingerprintName(pg[1]!)}`;
    const db = pg[2] !== undefined && /^[A-Za-z0-9_$.-]{1,63}$/.test(pg[2]) ? ` ${pg[2]}` : pg[2] !== undefined ? ` db-${fingerprintName(pg[2])}` : '';
    return `pg.query:${verb}${db}`;
  }
  const up = n.trim().toUpperCase();
  if (SQL_VERBS.has(up)) return up;
  if (kind === 'db' || kind === 'db-connect') return `stmt-${fingerprintName(n)}`;
  // Anything else may be a name built from data (`customer 4711`, `GET /users/bob@x.com`): only its fingerprint.
  return `span-${fingerprintName(n)}`;
}

// ---------------------------------------------------------------- attributes

type AttrValue = string | number | boolean;
/** Attribute keys that may leave the process as they are (all hold names, numbers or enumerations, never data). */
export const ALLOWED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'db.system', 'db.system.name', 'db.name', 'db.namespace', 'db.operation', 'db.operation.name', 'db.collection.name',
  'db.sql.table', 'db.response.status_code', 'db.client.connection.pool.name', 'db.client.connection.state',
  'server.address', 'server.port', 'net.peer.name', 'net.peer.port', 'net.transport', 'network.transport',
  'network.peer.address', 'network.peer.port', 'network.protocol.name', 'error.type', 'otel.status_code',
  'thread.id', 'thread.name', 'code.function', 'code.function.name', 'code.namespace',
  ATTR.dbRows, 'db.postgresql.idle.timeout.millis', 'db.postgresql.max.client',
  ATTR.stageName, ATTR.records, ATTR.ftpCommand, ATTR.ftpBytes, ATTR.ftpSampleGzipRatio, ATTR.ftpTransferMode, ATTR.ftpRemoteExt, ATTR.ftpDirection,
  ATTR.ftpSecure, ATTR.ftpResponseCode, ATTR.ftpProtocol,
]);
/** Statement attributes: fingerprinted (literals removed) unless the user opted in to literals. */
export const STATEMENT_ATTRIBUTES: readonly string[] = ['db.statement', 'db.query.text'];
/** Allowed only when the user opted in to literals (they hold paths or values). */
const LITERAL_ATTRIBUTES: ReadonlySet<string> = new Set([ATTR.ftpRemotePath]);

/**
 * The attributes that may leave the process: {@link ALLOWED_ATTRIBUTES} as they are, statements fingerprinted
 * (as they are with `keepLiterals`, credentials still redacted), an FTP command's verb only, everything else
 * dropped (bind values, connection strings, user names, the job's own attributes). `only`: look at these keys alone
 * (a caller that keeps a few need not fingerprint a statement it drops).
 */
export function sanitizeAttributes(attrs: Readonly<Record<string, unknown>>, keepLiterals: boolean, only?: readonly string[]): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  const system = String(attrs['db.system.name'] ?? attrs['db.system'] ?? '');
  for (const k of only ?? Object.keys(attrs)) {
    const v = attrs[k];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    if (STATEMENT_ATTRIBUTES.includes(k)) {
      if (typeof v === 'string') out[k] = keepLiterals ? redactCredentials(v) : fingerprintSql(v, dialectForSystem(system)).text;
      continue;
    }
    if (k === ATTR.ftpCommand && typeof v === 'string') { out[k] = /^[A-Za-z]{3,4}/.exec(v)?.[0]?.toUpperCase() ?? ''; continue; }
    if (ALLOWED_ATTRIBUTES.has(k) || (keepLiterals && LITERAL_ATTRIBUTES.has(k))) {
      out[k] = typeof v === 'string' ? (k === 'error.type' ? literalFreeMessage(v) : redactCredentials(v)) : v;
    }
  }
  return out;
}

/** Resource attribute keys sent as they are (the rest of the job's environment stays home). */
const ALLOWED_RESOURCE = /^(?:service\.[a-z._]+|telemetry\.[a-z._]+|process\.(?:pid|parent_pid|runtime\.(?:name|version|description)|executable\.name|owner)|host\.(?:name|arch|id)|os\.(?:type|version|name|description)|deployment\.environment(?:\.name)?|container\.id|k8s\.[a-z._]+|cloud\.[a-z._]+)$/;
/** Resource attributes holding a command line: redacted with {@link redactCommandLine}. */
const COMMAND_RESOURCE = new Set(['process.command_args', 'process.command', 'process.command_line', 'process.executable.path']);

/**
 * A resource's attributes safe to send: identity keys as they are, the command line redacted, anything else
 * (environment, arbitrary detectors' output) dropped.
 */
export function sanitizeResourceAttributes(attrs: Readonly<Record<string, unknown>>): Record<string, AttrValue | string[]> {
  const out: Record<string, AttrValue | string[]> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (COMMAND_RESOURCE.has(k)) {
      if (Array.isArray(v)) out[k] = redactCommandLine(v.map(String));
      // process.command_line is a whole line; process.command and the executable path are one argument each.
      else if (typeof v === 'string') out[k] = k === 'process.command_line' ? redactCommandText(v) : redactCommandLine([v])[0]!;
      continue;
    }
    if (!ALLOWED_RESOURCE.test(k)) continue;
    if (typeof v === 'string') out[k] = redactCredentials(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------- terminals and Markdown

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_AND_BREAKS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g;
const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Control characters shown as `\u001b`-style text, so nothing from the data can move the cursor, clear the
 * screen, set a window title, add a hidden hyperlink or reorder text (bidirectional overrides). Tabs and line
 * breaks are kept unless `singleLine`, which turns them into escapes too.
 */
export function escapeControl(text: unknown, singleLine = false): string {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s.replace(singleLine ? CONTROL_AND_BREAKS : CONTROL, visible);
}

/**
 * The CLI's last line of defence for what it writes to a terminal: escapes every control character except
 * line breaks, tabs, carriage returns and the colour (SGR) and erase-line sequences the CLI itself writes.
 * Data is escaped where it is rendered ({@link escapeControl}); this catches whatever a renderer missed.
 */
export function escapeTerminalOutput(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[mK]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (m) => (m.length > 1 ? m : visible(m)));
}
