import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { ATTR, TRACER_NAME } from '../names';
import { faultInjected, safely } from '../guard';
import { sampleCompressibility } from './compress-sample';
import { bytesSoFar, errorCode, modeFromCommand, pathAttributes, serverAttributes, WRAPPED_METHODS, type FtpClientLike } from './utils';

/** Options of the basic-ftp instrumentation. */
export interface FtpInstrumentationConfig extends InstrumentationConfig {
  /** Record remote paths in full. Default false: only the file extension is kept. */
  keepRemotePaths?: boolean;
  /** Samples where the job issues its transfers (a bounded number of stacks per kind). Default none. */
  sites?: import('../call-sites').CallSiteSampler | null;
}

const PATCHED = Symbol.for('batch-doctor.ftp.patched');
type AnyFn = (...args: unknown[]) => unknown;

/**
 * OpenTelemetry instrumentation for `basic-ftp` (v4 to v6): a span per
 * connect+login (`access`), upload, download, list and the other transfer and
 * directory calls, with bytes, transfer mode, server and TLS. Credentials are
 * never read; remote paths are reduced to their extension unless opted in.
 * Every hook is guarded: the app's own results and errors pass through unchanged.
 */
export class FtpInstrumentation extends InstrumentationBase<FtpInstrumentationConfig> {
  private readonly modes = new WeakMap<object, 'ascii' | 'binary'>();

  constructor(config: FtpInstrumentationConfig = {}) {
    super(TRACER_NAME + '-ftp', '0.1.0', config);
  }

  protected init() {
    const patch = (exports: Record<string, unknown>) => { this.patchModule(exports); return exports; };
    const unpatch = (exports: Record<string, unknown>) => { this.unpatchModule(exports); };
    return [
      // The package entry (CommonJS require, or ESM import through the loader hook), and the file that
      // defines Client, which basic-ftp's entry requires: this catches ESM imports even without the
      // loader hook. The prototype is patched once either way.
      new InstrumentationNodeModuleDefinition('basic-ftp', ['>=4 <7'], patch, unpatch,
        [new InstrumentationNodeModuleFile('basic-ftp/dist/Client.js', ['>=4 <7'], patch, unpatch)]),
    ];
  }

  private clientProto(exports: Record<string, unknown>): Record<string, unknown> | undefined {
    const Client = (exports?.['Client'] ?? (exports?.['default'] as Record<string, unknown> | undefined)?.['Client']) as { prototype?: Record<string, unknown> } | undefined;
    return Client?.prototype;
  }

  private patchModule(exports: Record<string, unknown>): void {
    safely('ftp-patch', () => {
      const proto = this.clientProto(exports);
      if (!proto || proto[PATCHED as unknown as string]) return;
      Object.defineProperty(proto, PATCHED, { value: true });
      for (const method of Object.keys(WRAPPED_METHODS)) {
        if (typeof proto[method] === 'function') this._wrap(proto as never, method as never, ((orig: AnyFn) => this.wrapMethod(method, orig)) as never);
      }
      if (typeof proto['send'] === 'function') this._wrap(proto as never, 'send' as never, ((orig: AnyFn) => this.wrapSend(orig)) as never);
    });
  }

  private unpatchModule(exports: Record<string, unknown>): void {
    safely('ftp-patch', () => {
      const proto = this.clientProto(exports);
      if (!proto) return;
      for (const method of [...Object.keys(WRAPPED_METHODS), 'send']) this._unwrap(proto as never, method as never);
    });
  }

  private wrapSend(original: AnyFn): AnyFn {
    const modes = this.modes;
    return function (this: object, ...args: unknown[]) {
      safely('ftp-hook', () => {
        const m = modeFromCommand(args[0]);
        if (m) modes.set(this, m);
      });
      return original.apply(this, args);
    };
  }

  private wrapMethod(method: string, original: AnyFn): AnyFn {
    const inst = this;
    const spec = WRAPPED_METHODS[method]!;
    return function (this: FtpClientLike, ...args: unknown[]) {
      const started = safely('ftp-hook', () => {
        if (faultInjected('hook')) throw new Error('injected hook fault');
        const attrs: Record<string, string | number | boolean> = { [ATTR.ftpCommand]: method, ...pathAttributes(spec.pathArg === undefined ? undefined : args[spec.pathArg], !!inst.getConfig().keepRemotePaths) };
        const span = inst.tracer.startSpan(spec.span, { attributes: attrs });
        inst.getConfig().sites?.observe('ftp', 'ftp', spec.span);
        const sample = { ratio: 0 };
        if (spec.direction === 'upload') sampleCompressibility(args[0], spec.pathArg === undefined ? undefined : args[spec.pathArg], (r) => { sample.ratio = r; });
        return { span, bytesBefore: bytesSoFar(this), sample };
      });
      if (!started) return original.apply(this, args);
      const { span, bytesBefore, sample } = started;
      const finish = (err?: unknown) => safely('ftp-hook', () => {
        if (sample.ratio > 0) span.setAttribute(ATTR.ftpSampleGzipRatio, Math.round(sample.ratio * 100) / 100);
        inst.endSpan(span, this, spec.direction, bytesBefore, err);
      });
      let result: unknown;
      try {
        result = context.with(trace.setSpan(context.active(), span), () => original.apply(this, args));
      } catch (err) {
        finish(err);
        throw err;
      }
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        return (result as Promise<unknown>).then(
          (v) => { finish(); return v; },
          (e) => { finish(e); throw e; });
      }
      finish();
      return result;
    };
  }

  private endSpan(span: Span, client: FtpClientLike, direction: 'upload' | 'download' | undefined, bytesBefore: number | undefined, err: unknown): void {
    span.setAttributes(serverAttributes(client));
    if (direction) {
      span.setAttribute(ATTR.ftpDirection, direction);
      span.setAttribute(ATTR.ftpTransferMode, this.modes.get(client) ?? 'binary');
      const after = bytesSoFar(client);
      if (after !== undefined && bytesBefore !== undefined && after >= bytesBefore) span.setAttribute(ATTR.ftpBytes, after - bytesBefore);
    }
    if (err !== undefined) {
      const code = errorCode(err);
      if (code) { span.setAttribute('error.type', code); span.setAttribute(ATTR.ftpResponseCode, code); }
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
