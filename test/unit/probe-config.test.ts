import { describe, expect, it } from 'vitest';
import { DEFAULT_CPU_SAMPLE_US, esmRouteOf, probeConfigFromEnv, type ConfigSources } from '../../probes/probe-config';

/** Sources with an in-memory file system: `files` maps paths to their text; `dirs` lists directories. */
const sources = (o: Partial<ConfigSources> & { files?: Record<string, string>; dirs?: string[] } = {}): ConfigSources => ({
  execArgv: o.execArgv ?? [], mainScript: 'mainScript' in o ? o.mainScript : '/app/job.js', threadId: o.threadId ?? 0,
  isDirectory: (f) => (o.dirs ?? []).includes(f), readText: (f) => o.files?.[f] ?? null,
});

describe('probeConfigFromEnv', () => {
  it('defaults: a trace directory, nothing forwarded, everything on that costs nothing extra', () => {
    expect(probeConfigFromEnv({ BATCH_DOCTOR_TRACE_DIR: '/t' }, sources())).toEqual({
      disabled: false, traceDir: '/t', forward: false, keepLiterals: false, fastPath: true, callSites: true, sitesInDeps: false,
      cpuProfile: true, cpuSampleUs: DEFAULT_CPU_SAMPLE_US, netWatch: true, memory: true, paramSocket: null, esm: false,
    });
  });
  it('forwarding turns the fast path off (the collector wants every span); our own receiver is not forwarded to', () => {
    expect(probeConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, sources())).toMatchObject({ forward: true, fastPath: false, traceDir: null, cpuProfile: false });
    expect(probeConfigFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces', BATCH_DOCTOR_NO_FORWARD: '1' }, sources()).forward).toBe(false);
  });
  it('each switch, and an invalid sampling interval falling back to the default', () => {
    const c = probeConfigFromEnv({
      BATCH_DOCTOR_TRACE_DIR: '/t', BATCH_DOCTOR_DISABLED: '1', BATCH_DOCTOR_KEEP_LITERALS: '1', BATCH_DOCTOR_FAST_PATH: '0', BATCH_DOCTOR_CALL_SITES: '0',
      BATCH_DOCTOR_SITES_IN_DEPS: '1', BATCH_DOCTOR_CPU_PROFILE: '0', BATCH_DOCTOR_NET_WATCH: '0', BATCH_DOCTOR_MEMORY: '0', BATCH_DOCTOR_PARAM_SOCKET: '/s.sock',
    }, sources());
    expect(c).toMatchObject({ disabled: true, keepLiterals: true, fastPath: false, callSites: false, sitesInDeps: true, cpuProfile: false, netWatch: false, memory: false, paramSocket: '/s.sock' });
    expect(probeConfigFromEnv({ BATCH_DOCTOR_TRACE_DIR: '/t', BATCH_DOCTOR_CPU_SAMPLE_US: 'x' }, sources()).cpuSampleUs).toBe(DEFAULT_CPU_SAMPLE_US);
    expect(probeConfigFromEnv({ BATCH_DOCTOR_TRACE_DIR: '/t', BATCH_DOCTOR_CPU_SAMPLE_US: '2500' }, sources()).cpuSampleUs).toBe(2500);
  });
});

describe('esmRouteOf', () => {
  it('by extension, by the nearest package.json, and by the job\'s own loader flags', () => {
    expect(esmRouteOf({}, sources({ mainScript: '/app/job.mjs' }))).toBe('main');
    expect(esmRouteOf({}, sources({ mainScript: '/app/job.cjs', files: { '/app/package.json': '{"type":"module"}' } }))).toBe(false);
    expect(esmRouteOf({}, sources({ mainScript: '/app/src/job.js', files: { '/app/package.json': '{"type":"module"}' } }))).toBe('main');
    expect(esmRouteOf({}, sources({ mainScript: '/app/src/job.js', files: { '/app/src/package.json': '{}', '/app/package.json': '{"type":"module"}' } }))).toBe(false);
    expect(esmRouteOf({}, sources({ mainScript: '/app/job.js', files: { '/app/package.json': 'not json' } }))).toBe(false);
    expect(esmRouteOf({}, sources({ mainScript: '/app', dirs: ['/app'] }))).toBe(false);
    expect(esmRouteOf({ NODE_OPTIONS: '--import tsx' }, sources())).toBe('loader');
    expect(esmRouteOf({}, sources({ execArgv: ['--experimental-loader', 'x.mjs'] }))).toBe('loader');
    expect(esmRouteOf({}, sources({ mainScript: undefined }))).toBe(false);
  });
  it('forced by BATCH_DOCTOR_ESM; a worker thread always takes the bridge', () => {
    expect(esmRouteOf({ BATCH_DOCTOR_ESM: '1' }, sources())).toBe('loader');
    expect(esmRouteOf({ BATCH_DOCTOR_ESM: '0' }, sources({ mainScript: '/app/job.mjs' }))).toBe(false);
    expect(esmRouteOf({ NODE_OPTIONS: '--import tsx' }, sources({ threadId: 3, mainScript: undefined }))).toBe('main');
  });
});
