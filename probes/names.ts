/**
 * Every name batch-doctor's probes write: environment variables, span names,
 * attribute keys and trace-file record types. Standard keys come from
 * `@opentelemetry/semantic-conventions`; ours live here, under `batch_doctor.`.
 * Nothing else in probes/ spells these strings.
 */

/** Environment variables read by the probes (set by `batch-doctor profile`). */
export const ENV = {
  /** Directory the probes write `trace-<pid>.jsonl` files into. No file output when unset. */
  traceDir: 'BATCH_DOCTOR_TRACE_DIR',
  /** `1` to keep query literals and remote paths (opt-in; default redacts). */
  keepLiterals: 'BATCH_DOCTOR_KEEP_LITERALS',
  /** `0` to turn the in-process V8 CPU profile off. Default on. */
  cpuProfile: 'BATCH_DOCTOR_CPU_PROFILE',
  /** CPU profile sampling interval in microseconds. Default 10000 (10 ms). */
  cpuSampleIntervalUs: 'BATCH_DOCTOR_CPU_SAMPLE_US',
  /** `0` turns the fast path for repeated PostgreSQL statements off (every call then makes a full OTel span). */
  fastPath: 'BATCH_DOCTOR_FAST_PATH',
  /** `1` disables the probes entirely (they load but do nothing). */
  disabled: 'BATCH_DOCTOR_DISABLED',
  /** Test hook: makes the named component fail inside the probes (`exporter`, `writer`, `hook`). */
  faultInjection: 'BATCH_DOCTOR_FAULT',
  /** Local socket of `batch-doctor profile` that receives one statement sample per class (kept in its memory only, for EXPLAIN). */
  paramSocket: 'BATCH_DOCTOR_PARAM_SOCKET',
  /**
   * Directory of the V8 code cache of the probes' bundle (see load-bundle.ts); `0` turns it off.
   * Default `<os.tmpdir()>/batch-doctor-code-cache-<uid>`.
   */
  codeCache: 'BATCH_DOCTOR_CODE_CACHE',
  /** `0` turns memory sampling off (process.memoryUsage() every 100 ms and after full collections). Default on. */
  memory: 'BATCH_DOCTOR_MEMORY',
  /** `0` turns the call-site sampler off (no stack is captured). Default on. */
  callSites: 'BATCH_DOCTOR_CALL_SITES',
  /** `1` lets call sites be frames inside node_modules (default: only the job's own code). */
  sitesInDeps: 'BATCH_DOCTOR_SITES_IN_DEPS',
  /** `0` turns the socket safety net off (probes/net-watch.ts). Default on. */
  netWatch: 'BATCH_DOCTOR_NET_WATCH',
  /** Set when a Node child process is started by the profiled command: the run's id. */
  runId: 'BATCH_DOCTOR_RUN_ID',
} as const;

/** Span names created by the probes. */
export const SPAN = {
  stage: 'batch_doctor.stage',
  ftpPrefix: 'ftp.',
} as const;

/** Our own attribute keys. */
export const ATTR = {
  stageName: 'batch_doctor.stage.name',
  records: 'batch_doctor.records',
  ftpCommand: 'ftp.command',
  ftpBytes: 'ftp.bytes',
  /** Upload only: original / gzip -6 size of the first 64 KiB of the data (probes/ftp/compress-sample.ts). */
  ftpSampleGzipRatio: 'ftp.sample.gzip_ratio',
  ftpTransferMode: 'ftp.transfer.mode',
  ftpRemotePath: 'ftp.remote.path',
  ftpRemoteExt: 'ftp.remote.ext',
  ftpDirection: 'ftp.direction',
  ftpSecure: 'ftp.secure',
  ftpResponseCode: 'ftp.response.code',
  /** The file-transfer protocol of an `ftp.*` span: `ftp` (absent in older traces) or `sftp`. */
  ftpProtocol: 'ftp.protocol',
  dbRows: 'db.response.returned_rows',
} as const;

/**
 * Cap on the final flush of spans forwarded to the user's collector, ms: a dead or hanging collector costs
 * the job at most this once (a circuit breaker stops further exports).
 */
export const FORWARD_FLUSH_TIMEOUT_MS = 2000;
/**
 * Time one export to the user's collector may take, ms: under {@link FORWARD_FLUSH_TIMEOUT_MS} by a margin for the
 * process's own exit, so that a collector that accepts and never answers costs the job less than that cap in all
 * (measured: test/e2e/forward-safety.test.ts).
 */
export const FORWARD_EXPORT_TIMEOUT_MS = 1500;

/** Name and version of the trace file format written by the probes. */
export const TRACE_FORMAT = 'batch-doctor-trace';
/** Bumped on any incompatible change of the record shapes in trace-records.ts. */
export const TRACE_FORMAT_VERSION = 1;

/** Key on `globalThis` where a loaded probe publishes its hub (see hub.ts). */
export const HUB_KEY = Symbol.for('batch-doctor.probes.hub');
/** Global where the bundle's loader leaves what became of its code cache (HeaderRecord.codeCache). */
export const CODE_CACHE_KEY = Symbol.for('batch-doctor.probes.code-cache');

/** Instrumentation scope name of the probes' own tracer. */
export const TRACER_NAME = 'batch-doctor';
