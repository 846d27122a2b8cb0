import * as net from 'node:net';
import { safely } from './guard';
import { fingerprintSql } from './sql-fingerprint';

/**
 * Samples of real statements with their bind values, for EXPLAIN after the
 * run: PostgreSQL 15 cannot plan a `$1` statement without values. They go over
 * a local socket straight into the memory of the `batch-doctor profile`
 * process (BATCH_DOCTOR_PARAM_SOCKET), which never writes them anywhere; the
 * trace file and the forwarded spans never hold them. One sample per statement
 * class, so the cost is one write per class, not per call.
 */

/** Most statement classes sampled per process (a bound on what is sent). */
export const MAX_SAMPLED_CLASSES = 200;
/** Statement texts remembered as handled (a bound on memory: repeated texts are the common case). */
const MAX_DONE_TEXTS = 5000;
/** A sample larger than this is not sent (bytes of JSON): EXPLAIN of a 64 KB statement is not what we are after. */
const MAX_SAMPLE_BYTES = 64 * 1024;

/** What the pg instrumentation's request hook tells us about a call. */
export interface PgCallInfo {
  connection?: { host?: string; port?: number; database?: string; user?: string };
  query?: { text?: string; values?: unknown[] };
}

/** Sends one sample per statement class (PostgreSQL and MySQL) to the collector socket. */
export class ParamSampler {
  private readonly seen = new Set<string>();
  /** Statement texts already handled (sampled, or of a class already sampled): skipped without fingerprinting. */
  private readonly doneTexts = new Set<string>();
  private socket: net.Socket | null = null;
  private broken = false;

  constructor(private readonly socketPath: string) {}

  /** Called from the pg request hook (guarded: never throws into the job). */
  samplePg(info: PgCallInfo): void {
    safely('param-sampler', () => this.sample('postgresql', info.query?.text, info.query?.values, info.connection));
  }

  /** Called from the mysql2 wrapper with the statement as the application passed it (guarded). */
  sampleMysql(text: unknown, values: unknown, server: PgCallInfo['connection']): void {
    safely('param-sampler', () => this.sample('mysql', text, Array.isArray(values) ? values : values === undefined ? [] : undefined, server));
  }

  private sample(system: 'postgresql' | 'mysql', text: unknown, rawValues: unknown[] | undefined, server: PgCallInfo['connection']): void {
    if (this.broken || this.seen.size >= MAX_SAMPLED_CLASSES || typeof text !== 'string' || rawValues === undefined) return;
    if (this.doneTexts.has(text)) return;
    if (this.doneTexts.size < MAX_DONE_TEXTS) this.doneTexts.add(text);
    const fp = fingerprintSql(text, system);
    const key = system + fp.text;
    if (!fp.parsed || this.seen.has(key)) return;
    this.seen.add(key);
    const values = rawValues.map((v) => (v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? null : v));
    const line = JSON.stringify({
      system, fingerprint: fp.text, text, values,
      server: { host: server?.host ?? null, port: server?.port ?? null, database: server?.database ?? null, user: server?.user ?? null },
    });
    if (line.length > MAX_SAMPLE_BYTES) return;
    this.send(line + '\n');
  }

  private send(line: string): void {
    if (!this.socket) {
      const s = net.createConnection(this.socketPath);
      // Never keeps the job alive and never surfaces an error: a collector that went away only loses samples.
      s.unref();
      s.on('error', () => { this.broken = true; s.destroy(); });
      this.socket = s;
    }
    this.socket.write(line);
  }
}
