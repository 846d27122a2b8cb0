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
 *
 * A sample also carries the password the job connected with (when its client holds it as a string), by the same
 * socket into the same memory: the CLI explains the job's statements on the job's own server with the job's own
 * settings, without the user exporting them again. It is never written anywhere either.
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
  /** PostgreSQL passwords by server and user, from the clients seen (memory only). */
  private readonly pgPasswords = new Map<string, string>();
  private readonly pgSeen = new WeakSet<object>();

  constructor(private readonly socketPath: string) {}

  /** Notes a pg client's password (its connectionParameters), once per client; called on every call (guarded). */
  notePgClient(params: { host?: unknown; port?: unknown; database?: unknown; user?: unknown; password?: unknown } | undefined): void {
    if (!params || this.pgSeen.has(params)) return;
    this.pgSeen.add(params);
    if (typeof params.password === 'string' && this.pgPasswords.size < 64) this.pgPasswords.set(serverKey(params), params.password);
  }

  /** Called from the pg request hook (guarded: never throws into the job). */
  samplePg(info: PgCallInfo): void {
    safely('param-sampler', () => {
      const c = info.connection;
      this.sample('postgresql', info.query?.text, info.query?.values, c ? { ...c, password: this.pgPasswords.get(serverKey(c)) } : c);
    });
  }

  /** Called from the mysql2 wrapper with the statement as the application passed it (guarded). */
  sampleMysql(text: unknown, values: unknown, server: (PgCallInfo['connection'] & { password?: unknown }) | undefined): void {
    safely('param-sampler', () => this.sample('mysql', text, Array.isArray(values) ? values : values === undefined ? [] : undefined, server));
  }

  private sample(system: 'postgresql' | 'mysql', text: unknown, rawValues: unknown[] | undefined, server: (PgCallInfo['connection'] & { password?: unknown }) | undefined): void {
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
      server: { host: server?.host ?? null, port: server?.port ?? null, database: server?.database ?? null, user: server?.user ?? null,
        password: typeof server?.password === 'string' ? server.password : null },
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

const serverKey = (c: { host?: unknown; port?: unknown; database?: unknown; user?: unknown }) => `${String(c.host)}|${String(c.port)}|${String(c.database)}|${String(c.user)}`;
