import { InstrumentationBase, InstrumentationNodeModuleDefinition, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { TRACER_NAME } from '../names';
import { safely } from '../guard';
import { sampleCompressibility } from './compress-sample';
import { callbackIndex, dataLength, startTransfer, type ServerInfo, type TransferCall } from './transfer-span';
import type { CallSiteSampler } from '../call-sites';

/** Options of {@link MscdexFtpInstrumentation}. */
export interface MscdexFtpConfig extends InstrumentationConfig {
  /** Record remote paths in full. Default false: only the file extension is kept. */
  keepRemotePaths?: boolean;
  /** Samples where the job issues its transfers. Default none. */
  sites?: CallSiteSampler | null;
}

const PATCHED = Symbol.for('batch-doctor.mscdex-ftp.patched');
const MODE = Symbol('batch-doctor.mscdex-ftp.mode');
type AnyFn = (...args: unknown[]) => unknown;
interface FtpLike {
  _socket?: { remoteAddress?: string; remotePort?: number };
  options?: { host?: string; port?: number; secure?: unknown };
  once?: (ev: string, fn: AnyFn) => unknown;
  [MODE]?: 'ascii' | 'binary';
}
interface SocketLike { once?: (ev: string, fn: AnyFn) => unknown; bytesRead?: number }

/** The calls timed (besides connect, put/append and get), with their span and remote path argument. */
const CALLS: Record<string, { span: string; remoteArg: number }> = {
  list: { span: 'ftp.list', remoteArg: 0 },
  size: { span: 'ftp.size', remoteArg: 0 },
  delete: { span: 'ftp.remove', remoteArg: 0 },
  rename: { span: 'ftp.rename', remoteArg: 0 },
  cwd: { span: 'ftp.cd', remoteArg: 0 },
  mkdir: { span: 'ftp.ensure_dir', remoteArg: 0 },
  rmdir: { span: 'ftp.remove_dir', remoteArg: 0 },
};

const serverOf = (c: FtpLike): ServerInfo => ({
  address: c._socket?.remoteAddress ?? c.options?.host, port: c._socket?.remotePort ?? c.options?.port,
  secure: c.options?.secure === undefined ? undefined : !!c.options.secure,
});

/**
 * The old `ftp` package (mscdex, 0.3), still in many jobs: the file-transfer spans basic-ftp gets (see
 * transfer-span.ts), with `ftp.protocol: ftp`.
 *
 * - A session: `connect()` until the client emits `ready` (logged in, TYPE I set) or `close` first (failed).
 * - Uploads: `put`/`append` until their callback (the server's final reply); bytes from the Buffer, the local file
 *   (a path), or, for a stream, left unknown.
 * - Downloads: `get` until its data socket closes (the callback hands the job that socket as the stream to read);
 *   bytes from the socket's own count.
 * - `list`, `size`, `delete`, `rename`, `cwd`, `mkdir`, `rmdir`. `ascii()`/`binary()` set the mode recorded.
 *
 * Observes only: callbacks are called with what the client gave; on the client only `ready` and `close` listeners
 * and on a download's socket only a `close` listener are added, which change neither flow nor error handling.
 */
export class MscdexFtpInstrumentation extends InstrumentationBase<MscdexFtpConfig> {
  constructor(config: MscdexFtpConfig = {}) {
    super(TRACER_NAME + '-mscdex-ftp', '0.1.0', config);
  }

  protected init() {
    return [new InstrumentationNodeModuleDefinition('ftp', ['>=0.3 <0.4'], (exports: unknown) => { safely('mscdex-ftp-patch', () => this.patch(exports as { prototype?: Record<string | symbol, unknown> })); return exports; })];
  }

  private start(self: FtpLike, span: string, command: string, remotePath: unknown, direction?: 'upload' | 'download'): TransferCall | null {
    return startTransfer({ tracer: this.tracer, span, protocol: 'ftp', command, remotePath, keepRemotePaths: !!this.getConfig().keepRemotePaths,
      direction, transferMode: self[MODE] ?? 'binary', sites: this.getConfig().sites });
  }

  private patch(FTP: { prototype?: Record<string | symbol, unknown> } | undefined): void {
    const proto = FTP?.prototype;
    if (!proto || typeof proto['connect'] !== 'function' || proto[PATCHED]) return;
    Object.defineProperty(proto, PATCHED, { value: true });
    const inst = this;
    const wrap = (method: string, make: (orig: AnyFn) => AnyFn) => { const o = proto[method]; if (typeof o === 'function') proto[method] = make(o as AnyFn); };

    wrap('connect', (orig) => function (this: FtpLike, ...args: unknown[]) {
      safely('mscdex-ftp-hook', () => {
        const call = inst.start(this, 'ftp.connect', 'connect', undefined);
        if (!call || typeof this.once !== 'function') return;
        this.once('ready', () => call.end({ server: serverOf(this) }));
        this.once('close', () => call.end({ server: serverOf(this), err: { code: 'SESSION_FAILED' } }));
      });
      return orig.apply(this, args);
    });
    for (const [method, mode] of [['ascii', 'ascii'], ['binary', 'binary']] as const) {
      wrap(method, (orig) => function (this: FtpLike, ...args: unknown[]) { safely('mscdex-ftp-hook', () => { this[MODE] = mode; }); return orig.apply(this, args); });
    }
    for (const method of ['put', 'append']) {
      wrap(method, (orig) => function (this: FtpLike, ...args: unknown[]) {
        const cbAt = callbackIndex(args);
        const call = cbAt < 1 ? null : inst.start(this, 'ftp.upload', method, args[1], 'upload');
        if (!call) return orig.apply(this, args);
        const input = args[0];
        let bytes = dataLength(input);
        safely('mscdex-ftp-hook', () => {
          sampleCompressibility(input, args[1], (r) => { call.sample.ratio = r; });
          if (typeof input === 'string') fs.stat(input, (err, st) => { if (!err) bytes = st.size; });
        });
        const cb = args[cbAt] as AnyFn;
        const self = this;
        args[cbAt] = function (this: unknown, err: unknown, ...rest: unknown[]) {
          call.end({ bytes, err: err ?? undefined, server: serverOf(self) });
          return cb.call(this, err, ...rest);
        };
        return orig.apply(this, args);
      });
    }
    wrap('get', (orig) => function (this: FtpLike, ...args: unknown[]) {
      const cbAt = callbackIndex(args);
      const call = cbAt < 1 ? null : inst.start(this, 'ftp.download', 'get', args[0], 'download');
      if (!call) return orig.apply(this, args);
      const cb = args[cbAt] as AnyFn;
      const self = this;
      args[cbAt] = function (this: unknown, err: unknown, stream: unknown, ...rest: unknown[]) {
        safely('mscdex-ftp-hook', () => {
          const s = stream as SocketLike | undefined;
          if (err || !s || typeof s.once !== 'function') { call.end({ err: err ?? { code: 'NO_STREAM' }, server: serverOf(self) }); return; }
          s.once('close', () => call.end({ bytes: s.bytesRead, endPerf: performance.now(), server: serverOf(self) }));
        });
        return cb.call(this, err, stream, ...rest);
      };
      return orig.apply(this, args);
    });
    for (const [method, spec] of Object.entries(CALLS)) {
      wrap(method, (orig) => function (this: FtpLike, ...args: unknown[]) {
        const cbAt = callbackIndex(args);
        const call = cbAt < 0 ? null : inst.start(this, spec.span, method, typeof args[spec.remoteArg] === 'string' ? args[spec.remoteArg] : undefined);
        if (!call) return orig.apply(this, args);
        const cb = args[cbAt] as AnyFn;
        const self = this;
        args[cbAt] = function (this: unknown, err: unknown, ...rest: unknown[]) {
          call.end({ err: err ?? undefined, server: serverOf(self) });
          return cb.call(this, err, ...rest);
        };
        return orig.apply(this, args);
      });
    }
  }
}
