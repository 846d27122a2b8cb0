import { SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { ATTR } from '../names';
import { safely } from '../guard';
import { pathAttributes } from './utils';
import type { CallSiteSampler } from '../call-sites';

/**
 * One file-transfer call of a client other than basic-ftp (mscdex `ftp`, ssh2's SFTP), as the same `ftp.*` span
 * basic-ftp's get: `ftp.connect` per session, `ftp.upload` / `ftp.download` per file with its bytes, `ftp.list` and
 * the other directory calls, with `ftp.protocol` telling FTP from SFTP. The analysis (transfers, sessions, serial
 * transfers, a session per file, uncompressed text) then works on them unchanged.
 */
export interface TransferCall {
  /** Ends the span: bytes moved (transfers), the error if it failed, and when it ended (default now). */
  end(o?: { bytes?: number | undefined; err?: unknown; endPerf?: number; server?: ServerInfo | undefined }): void;
  /** The upload's compressibility sample, when known by the end. */
  sample: { ratio: number };
}

/** The server's address, port and whether the session is encrypted. */
export interface ServerInfo { address?: string | undefined; port?: number | undefined; secure?: boolean | undefined }

/** What a transfer span starts with. */
export interface TransferStart {
  tracer: Tracer;
  /** `ftp.connect`, `ftp.upload`, `ftp.download`, `ftp.list`... */
  span: string;
  protocol: 'ftp' | 'sftp';
  /** The client method (written as its first letters only, like an FTP verb). */
  command: string;
  remotePath?: unknown;
  keepRemotePaths: boolean;
  direction?: 'upload' | 'download' | undefined;
  transferMode?: 'ascii' | 'binary' | undefined;
  sites?: CallSiteSampler | null | undefined;
}

const TIME_ORIGIN = performance.timeOrigin;

/** Starts a transfer span (null if the probes failed: the call then runs untimed). Never throws. */
export function startTransfer(s: TransferStart): TransferCall | null {
  return safely('transfer-span', () => {
    const span: Span = s.tracer.startSpan(s.span, { attributes: {
      [ATTR.ftpCommand]: s.command, [ATTR.ftpProtocol]: s.protocol, ...pathAttributes(s.remotePath, s.keepRemotePaths),
    } });
    s.sites?.observe('ftp', 'ftp', s.span);
    let done = false;
    const sample = { ratio: 0 };
    return {
      sample,
      end: (o = {}) => safely('transfer-span', () => {
        if (done) return;
        done = true;
        if (o.server?.address) span.setAttribute('server.address', o.server.address);
        if (o.server?.port) span.setAttribute('server.port', o.server.port);
        if (o.server?.secure !== undefined) span.setAttribute(ATTR.ftpSecure, o.server.secure);
        if (s.direction) {
          span.setAttribute(ATTR.ftpDirection, s.direction);
          span.setAttribute(ATTR.ftpTransferMode, s.transferMode ?? 'binary');
          if (typeof o.bytes === 'number' && o.bytes >= 0) span.setAttribute(ATTR.ftpBytes, o.bytes);
        }
        if (sample.ratio > 0) span.setAttribute(ATTR.ftpSampleGzipRatio, Math.round(sample.ratio * 100) / 100);
        if (o.err !== undefined && o.err !== null) {
          const c = (o.err as { code?: unknown } | null)?.code;
          const code = typeof c === 'number' || typeof c === 'string' ? String(c) : o.err instanceof Error ? o.err.name : 'Error';
          span.setAttribute('error.type', code);
          span.setAttribute(ATTR.ftpResponseCode, code);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end(o.endPerf === undefined ? undefined : TIME_ORIGIN + o.endPerf);
      }),
    };
  }) ?? null;
}

/** Index of the last function argument (a Node-style callback), or -1. */
export function callbackIndex(args: unknown[]): number {
  for (let i = args.length - 1; i >= 0; i--) if (typeof args[i] === 'function') return i;
  return -1;
}

/** Byte length of data a job hands to a write call (a Buffer, a typed array or a string), else undefined. */
export function dataLength(data: unknown): number | undefined {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof Uint8Array) return data.byteLength;
  return undefined;
}
