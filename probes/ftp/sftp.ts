import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { TRACER_NAME } from '../names';
import { safely } from '../guard';
import { SAMPLE_BYTES, sampleCompressibility, sampleWrites } from './compress-sample';
import { callbackIndex, dataLength, startTransfer, type ServerInfo, type TransferCall } from './transfer-span';
import type { CallSiteSampler } from '../call-sites';

/** Options of {@link SftpInstrumentation}. */
export interface SftpInstrumentationConfig extends InstrumentationConfig {
  /** Record remote paths in full. Default false: only the file extension is kept. */
  keepRemotePaths?: boolean;
  /** Samples where the job issues its transfers. Default none. */
  sites?: CallSiteSampler | null;
}

const PATCHED = Symbol.for('batch-doctor.sftp.patched');
/** SSH_FX_NO_SUCH_FILE, the SFTP status of a path that does not exist. */
const NO_SUCH_FILE = 2;
type AnyFn = (...args: unknown[]) => unknown;
interface SockLike { remoteAddress?: string; remotePort?: number }
interface ClientLike { _sock?: SockLike; config?: { host?: string; port?: number }; once?: (ev: string, fn: AnyFn) => unknown }
interface SftpLike { _client?: ClientLike }
interface StreamLike { once?: (ev: string, fn: AnyFn) => unknown; bytesRead?: number; bytesWritten?: number }

/** The SFTP calls timed, with their span, direction, and which argument is the remote path. */
const CALLS: Record<string, { span: string; direction?: 'upload' | 'download'; remoteArg: number }> = {
  fastPut: { span: 'ftp.upload', direction: 'upload', remoteArg: 1 },
  fastGet: { span: 'ftp.download', direction: 'download', remoteArg: 0 },
  writeFile: { span: 'ftp.upload', direction: 'upload', remoteArg: 0 },
  appendFile: { span: 'ftp.upload', direction: 'upload', remoteArg: 0 },
  readFile: { span: 'ftp.download', direction: 'download', remoteArg: 0 },
  readdir: { span: 'ftp.list', remoteArg: 0 },
  stat: { span: 'ftp.stat', remoteArg: 0 },
  lstat: { span: 'ftp.stat', remoteArg: 0 },
  unlink: { span: 'ftp.remove', remoteArg: 0 },
  rename: { span: 'ftp.rename', remoteArg: 0 },
  mkdir: { span: 'ftp.ensure_dir', remoteArg: 0 },
  rmdir: { span: 'ftp.remove_dir', remoteArg: 0 },
};

const serverOf = (c: ClientLike | undefined): ServerInfo => ({
  address: c?._sock?.remoteAddress ?? c?.config?.host, port: c?._sock?.remotePort ?? c?.config?.port, secure: true,
});

/** Size of a local file, asynchronously (undefined if it cannot be read). */
function localSize(file: unknown, then: (bytes: number | undefined) => void): void {
  if (typeof file !== 'string') { then(undefined); return; }
  fs.stat(file, (err, st) => then(err ? undefined : st.size));
}

/**
 * SFTP through ssh2 (1.x), which ssh2-sftp-client drives: the file-transfer spans basic-ftp gets (see
 * transfer-span.ts), with `ftp.protocol: sftp`.
 *
 * - A session: `Client#connect` until the SSH connection is ready (`ftp.connect`): the TCP connect, key exchange and
 *   authentication, which a job that opens a session per file pays per file.
 * - Files: `fastPut`/`fastGet` (until their callback; bytes from the local file's size), `createWriteStream` /
 *   `createReadStream` (ssh2-sftp-client's `put`, `get`, `append`: until the stream's data is all written (`finish`)
 *   or read (`end`), or it closes; bytes from the stream's own count), `writeFile`/`appendFile`/`readFile`; directory and metadata calls as `ftp.list`, `ftp.stat`...
 *
 * Observes only: callbacks are wrapped and called with what ssh2 gave; on streams only `finish`/`end` and `close` (and
 * on the client `ready` and `close`) listeners are added, which changes neither flow nor error handling. Credentials are never
 * read. Remote paths are reduced to their extension unless opted in.
 */
export class SftpInstrumentation extends InstrumentationBase<SftpInstrumentationConfig> {
  constructor(config: SftpInstrumentationConfig = {}) {
    super(TRACER_NAME + '-sftp', '0.1.0', config);
  }

  protected init() {
    const client = (exports: unknown) => { safely('sftp-patch', () => this.patchClient(exports as { prototype?: Record<string | symbol, unknown> })); return exports; };
    const sftp = (exports: unknown) => { safely('sftp-patch', () => this.patchSftp((exports as { SFTP?: { prototype?: Record<string | symbol, unknown> } }).SFTP)); return exports; };
    return [new InstrumentationNodeModuleDefinition('ssh2', ['>=1 <2'], (e: unknown) => e, undefined, [
      new InstrumentationNodeModuleFile('ssh2/lib/client.js', ['>=1 <2'], client, (e: unknown) => e),
      new InstrumentationNodeModuleFile('ssh2/lib/protocol/SFTP.js', ['>=1 <2'], sftp, (e: unknown) => e),
    ])];
  }

  private start(span: string, command: string, remotePath: unknown, direction?: 'upload' | 'download'): TransferCall | null {
    return startTransfer({ tracer: this.tracer, span, protocol: 'sftp', command, remotePath, keepRemotePaths: !!this.getConfig().keepRemotePaths, direction, sites: this.getConfig().sites });
  }

  private patchClient(Client: { prototype?: Record<string | symbol, unknown> } | undefined): void {
    const proto = Client?.prototype;
    const connect = proto?.['connect'];
    if (!proto || typeof connect !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const inst = this;
    proto['connect'] = function (this: ClientLike, ...args: unknown[]) {
      safely('sftp-hook', () => {
        const call = inst.start('ftp.connect', 'connect', undefined);
        if (!call || typeof this.once !== 'function') return;
        // `ready` ends it; a `close` before it means the session failed (an error event comes first, and the job's
        // own listener handles it: none is added here).
        this.once('ready', () => call.end({ server: serverOf(this) }));
        this.once('close', () => call.end({ server: serverOf(this), err: { code: 'SESSION_FAILED' } }));
      });
      return (connect as AnyFn).apply(this, args);
    };
  }

  private patchSftp(SFTP: { prototype?: Record<string | symbol, unknown> } | undefined): void {
    const proto = SFTP?.prototype;
    if (!proto || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    for (const [method, spec] of Object.entries(CALLS)) {
      const orig = proto[method];
      if (typeof orig === 'function') proto[method] = this.wrapCall(method, spec, orig as AnyFn);
    }
    for (const [method, direction] of [['createWriteStream', 'upload'], ['createReadStream', 'download']] as const) {
      const orig = proto[method];
      if (typeof orig === 'function') proto[method] = this.wrapStream(method, direction, orig as AnyFn);
    }
  }

  private wrapCall(method: string, spec: (typeof CALLS)[string], orig: AnyFn): AnyFn {
    const inst = this;
    return function (this: SftpLike, ...args: unknown[]) {
      const cbAt = callbackIndex(args);
      // Paths only: ssh2 calls its own methods with handles (Buffers) inside a call (readdir of a path reads the
      // directory handle until EOF), and those are part of the outer call.
      const call = cbAt < 0 || typeof args[spec.remoteArg] !== 'string' ? null : inst.start(spec.span, method, args[spec.remoteArg], spec.direction);
      if (!call) return orig.apply(this, args);
      const server = serverOf(this._client);
      safely('sftp-hook', () => {
        // A string's first SAMPLE_BYTES + 1 characters hold at least its first SAMPLE_BYTES bytes (and end no surrogate
        // pair inside them): the whole string is not copied to sample its head.
        if (method === 'fastPut') sampleCompressibility(args[0], args[1], (r) => { call.sample.ratio = r; });
        else if (method === 'writeFile' || method === 'appendFile') sampleCompressibility(typeof args[1] === 'string' ? Buffer.from(args[1].slice(0, SAMPLE_BYTES + 1)) : args[1], args[0], (r) => { call.sample.ratio = r; });
      });
      const cb = args[cbAt] as AnyFn;
      args[cbAt] = function (this: unknown, err: unknown, ...rest: unknown[]) {
        const endPerf = performance.now();
        safely('sftp-hook', () => {
          // A stat that finds no file answers an existence check (ssh2-sftp-client's exists(), mkdir -p): not a failure.
          if (err && !(spec.span === 'ftp.stat' && (err as { code?: unknown }).code === NO_SUCH_FILE)) { call.end({ err, endPerf, server }); return; }
          if (method === 'fastPut') localSize(args[0], (bytes) => call.end({ bytes, endPerf, server }));
          else if (method === 'fastGet') localSize(args[1], (bytes) => call.end({ bytes, endPerf, server }));
          else if (method === 'readFile') call.end({ bytes: dataLength(rest[0]), endPerf, server });
          else if (method === 'writeFile' || method === 'appendFile') call.end({ bytes: dataLength(args[1]), endPerf, server });
          else call.end({ endPerf, server });
        });
        return cb.call(this, err, ...rest);
      };
      try {
        return orig.apply(this, args);
      } catch (err) {
        call.end({ err, server });
        throw err;
      }
    };
  }

  private wrapStream(method: string, direction: 'upload' | 'download', orig: AnyFn): AnyFn {
    const inst = this;
    return function (this: SftpLike, ...args: unknown[]) {
      const stream = orig.apply(this, args) as StreamLike | undefined;
      safely('sftp-hook', () => {
        if (!stream || typeof stream.once !== 'function') return;
        const call = inst.start(direction === 'upload' ? 'ftp.upload' : 'ftp.download', method, args[0], direction);
        if (!call) return;
        const server = serverOf(this._client);
        if (direction === 'upload') sampleWrites(stream, args[0], (r) => { call.sample.ratio = r; });
        // Done when the data is all read (`end`) or all acknowledged by the server (`finish`), or at `close` (which
        // follows an error too). The remote handle's CLOSE is not waited for: a job that ends its session at once may
        // never see it. No `error` listener is added: the job's own error handling stays as it is.
        const done = () => call.end({ bytes: direction === 'upload' ? stream.bytesWritten : stream.bytesRead, server });
        stream.once(direction === 'upload' ? 'finish' : 'end', done);
        stream.once('close', done);
      });
      return stream;
    };
  }
}
