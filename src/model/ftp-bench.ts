/**
 * The result of `batch-doctor ftp-bench`: throughput per workload, direction and stream count,
 * the recommended stream count, server limits seen, and the compression estimate.
 */

/** Version of the ftp-bench result format. */
export const FTP_BENCH_SCHEMA_VERSION = 1;

/** One measured (workload, direction, streams) cell. */
export interface FtpBenchCell {
  workload: 'small-files' | 'large-files' | 'segmented-download';
  direction: 'upload' | 'download';
  streams: number;
  files: number;
  bytes: number;
  wallMs: number;
  /** Bytes per second over the cell's wall time. */
  throughput: number;
  /** Every file's size (and, for downloads, SHA-256) checked. */
  verified: boolean;
  /** Connections the server refused or closed while opening this many streams (421, ECONNREFUSED...). */
  refusedConnections: number;
}

/** The stream count to use for one workload and direction. */
export interface FtpRecommendation {
  workload: FtpBenchCell['workload'];
  direction: FtpBenchCell['direction'];
  /** The knee: the smallest stream count within 10% of the best throughput. */
  streams: number;
  throughput: number;
  /** Throughput of one stream, for comparison. */
  singleStreamThroughput: number;
}

/** What the server's behaviour says about its limits. */
export interface FtpServerLimits {
  /** Most streams the server accepted at once, when it refused more (421 or refused connections). */
  maxConnections: number | null;
  /** True when throughput grew almost linearly with streams: a per-session cap (vsftpd local_max_rate, pure-ftpd -T) or per-connection limit. */
  perSessionCapLikely: boolean;
  /** One stream's throughput, bytes/s (the per-session rate when capped). */
  perStreamThroughput: number | null;
  notes: string[];
}

/** Compression estimate on a sample of the user's files. */
export interface FtpCompressionEstimate {
  files: number;
  bytes: number;
  gzipBytes: number;
  /** gzipBytes / bytes. */
  ratio: number;
  /** CPU time to gzip the sample (level 6), ms. */
  cpuMs: number;
  /** Predicted transfer time saved per byte of such data at the recommended stream count, ms per MiB (negative: not worth it). */
  savedMsPerMiB: number;
}

/** The whole ftp-bench result. */
export interface FtpBenchReport {
  schemaVersion: number;
  tool: { name: 'batch-doctor'; version: string };
  /** Server, with no credentials. */
  server: { url: string; tls: boolean; tlsVerified: boolean | null };
  startedAt: string;
  connect: { attempts: number; meanMs: number; maxMs: number };
  cells: FtpBenchCell[];
  recommendations: FtpRecommendation[];
  limits: FtpServerLimits;
  compression: FtpCompressionEstimate | null;
  /** Per-file overhead (command round trips, data connection set-up), ms, from small against large files at one stream. */
  perFileOverheadMs: number | null;
  scratchRemoved: boolean;
  warnings: string[];
}
