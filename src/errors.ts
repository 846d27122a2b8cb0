import { redactCommandLine } from '../probes/sanitize';
/**
 * Typed errors with stable codes. Messages are one paragraph that says what
 * went wrong and what to do; they never hold a secret. Only the CLI turns them
 * into exit codes.
 */
export type ErrorCode =
  | 'BD_USAGE'
  | 'BD_SPAWN'
  | 'BD_FTP_VERIFY'
  | 'BD_TRACE_MISSING'
  | 'BD_TRACE_CORRUPT'
  | 'BD_REPORT_READ'
  | 'BD_WRITE'
  | 'BD_FTP'
  | 'BD_DB'
  | 'BD_INPUT'
  | 'BD_INTERRUPTED'
  | 'BD_INTERNAL';

/** Base class of every error batch-doctor raises on purpose. */
export class BatchDoctorError extends Error {
  /** Stable, documented code (see docs/errors.md). */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad command-line input. */
export class UsageError extends BatchDoctorError {
  constructor(message: string) { super('BD_USAGE', message); }
}

/** The profiled command could not be started. */
export class SpawnError extends BatchDoctorError {
  constructor(command: string, reason: string) {
    super('BD_SPAWN', `Could not start "${redactCommandLine([command])[0]}": ${reason}. Check that the command exists and is on PATH, then run batch-doctor profile -- <command> again.`);
  }
}

/** No trace was recorded: the command ran no Node process, or the probes could not write. */
export class TraceMissingError extends BatchDoctorError {
  constructor(dir: string) {
    super('BD_TRACE_MISSING', `No trace was recorded in ${dir}. The profiled command must start a Node.js process (node, npm run, npx...) and batch-doctor must be able to write to that directory; check both and run again.`);
  }
}

/** A trace file could not be read. */
export class TraceCorruptError extends BatchDoctorError {
  constructor(file: string, reason: string) {
    super('BD_TRACE_CORRUPT', `The trace file ${file} cannot be read (${reason}). Record it again with batch-doctor profile.`);
  }
}

/** A saved report could not be read. */
export class ReportReadError extends BatchDoctorError {
  constructor(file: string, reason: string) {
    super('BD_REPORT_READ', `Cannot read the report ${file}: ${reason}. Pass a report.json written by batch-doctor profile.`);
  }
}

/** An output file could not be written. */
export class WriteError extends BatchDoctorError {
  constructor(file: string, reason: string) {
    super('BD_WRITE', `Cannot write ${file}: ${reason}. Choose another output directory with --out, or free space, and run again.`);
  }
}

/** The command was interrupted (SIGINT, SIGTERM): its temporary files are removed and no report was written. */
export class InterruptedError extends BatchDoctorError {
  constructor(signal: string) {
    super('BD_INTERRUPTED', `Interrupted by ${signal}: the temporary files were removed and no report was written. Run the command again to get the report.`);
  }
}

/** An input file (a log, a trace) is missing, unreadable or not what it should be. */
export class InputError extends BatchDoctorError {
  constructor(message: string) { super('BD_INPUT', message); }
}

/** An FTP server could not be used: unreachable, login refused, TLS not verified. */
export class FtpServerError extends BatchDoctorError {
  constructor(message: string) { super('BD_FTP', message); }
}

/**
 * ftp-bench's check of a transfer failed: the server stored a file of another size than was sent, or a download
 * came back with other bytes. The benchmark stops: its figures would be about a transfer that did not happen.
 */
export class FtpVerificationError extends BatchDoctorError {
  constructor(what: string) {
    super('BD_FTP_VERIFY', `ftp-bench stopped: ${what}. The server did not store or return the bytes it was sent, so no figure of this run can be trusted. Check the server's free space and quotas, that nothing between (a proxy, an ASCII-mode conversion, an antivirus scanner) rewrites files, and run it again.`);
  }
}

const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED']);

/** Turns a connection or protocol failure into an FtpServerError that says what to do (never with the password). */
export function describeFtpFailure(err: unknown, where: string): BatchDoctorError {
  if (err instanceof BatchDoctorError) return err;
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (TLS_CODES.has(code)) {
    return new FtpServerError(`The TLS certificate of ${where} could not be verified (${code}). Trust its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or, knowingly, pass --insecure-tls.`);
  }
  if (code === '530') return new FtpServerError(`${where} refused the login (530). Check the user in the URL and the password (BATCH_DOCTOR_FTP_PASSWORD, ~/.netrc).`);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
    return new FtpServerError(`Cannot reach ${where} (${code}). Check the host and port, and that the server is running.`);
  }
  if (/^\d{3}$/.test(code)) return new FtpServerError(`${where} answered ${code} during the benchmark. The scratch directory was removed if it could be; see the server log.`);
  return new FtpServerError(`The benchmark against ${where} failed (${code || (err as Error)?.message || 'unknown error'}).`);
}
