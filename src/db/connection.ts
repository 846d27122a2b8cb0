import type { DbSystem } from '../model/db';
import { BatchDoctorError, UsageError } from '../errors';

/** Where a database is; the password is kept apart and never serialized. */
export interface DbTarget {
  system: DbSystem;
  host: string;
  port: number;
  user: string;
  database: string;
}

/** The few operations batch-doctor needs from a database: a small interface in front of pg and mysql2. */
export interface SqlClient {
  readonly system: DbSystem;
  /** Runs one statement; `params` are bound by the driver (PostgreSQL) or escaped into the text (mysql2). */
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** The server's version string. */
  version(): Promise<string>;
  close(): Promise<void>;
}

/** The database could not be reached or refused us. */
export class DbConnectError extends BatchDoctorError {
  constructor(where: string, reason: string) {
    super('BD_DB', `Cannot use the database ${where}: ${reason}. Check the URL (or PGHOST/PGPORT/PGUSER/PGDATABASE, MYSQL_HOST/MYSQL_TCP_PORT/MYSQL_USER/MYSQL_DATABASE) and that the server is running; the password comes from PGPASSWORD, MYSQL_PWD or BATCH_DOCTOR_DB_PASSWORD, never from the command line.`);
  }
}

/** `host:port/db` for messages and reports (never the password). */
export function describeTarget(t: DbTarget): string {
  return `${t.system}://${t.user}@${t.host}:${t.port}/${t.database}`;
}

/**
 * Resolves a database URL (`postgres://user@host:port/db`, `mysql://...`,
 * `mariadb://...`) or, without one, the standard environment variables.
 * A password inside the URL is refused: it would land in shell history and
 * process listings.
 */
export function resolveDbTarget(url: string | undefined, env: NodeJS.ProcessEnv, fallback: DbSystem = 'postgresql'): { target: DbTarget; password: string | undefined } {
  if (url) {
    let u: URL;
    try { u = new URL(url); } catch { throw new UsageError(`"${url.replace(/:[^:@/]*@/, ':***@')}" is not a database URL. Use postgres://user@host:port/db or mysql://user@host:port/db.`); }
    const scheme = u.protocol.replace(/:$/, '');
    const system: DbSystem | undefined = scheme === 'postgres' || scheme === 'postgresql' ? 'postgresql' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : undefined;
    if (!system) throw new UsageError(`Unsupported database URL scheme "${scheme}:". Use postgres:// or mysql:// (mariadb:// works too).`);
    if (u.password) throw new UsageError('Put the database password in PGPASSWORD, MYSQL_PWD or BATCH_DOCTOR_DB_PASSWORD, not in the URL (it would be visible in process listings and shell history).');
    const target: DbTarget = {
      system, host: decodeURIComponent(u.hostname || '127.0.0.1').replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : system === 'postgresql' ? 5432 : 3306,
      user: decodeURIComponent(u.username) || (system === 'postgresql' ? env['PGUSER'] : env['MYSQL_USER']) || (system === 'postgresql' ? 'postgres' : 'root'),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || (system === 'postgresql' ? env['PGDATABASE'] : env['MYSQL_DATABASE']) || '',
    };
    return { target, password: env['BATCH_DOCTOR_DB_PASSWORD'] ?? (system === 'postgresql' ? env['PGPASSWORD'] : env['MYSQL_PWD']) };
  }
  if (fallback === 'postgresql') {
    return {
      target: { system: 'postgresql', host: env['PGHOST'] || '127.0.0.1', port: Number(env['PGPORT'] || 5432), user: env['PGUSER'] || 'postgres', database: env['PGDATABASE'] || env['PGUSER'] || 'postgres' },
      password: env['BATCH_DOCTOR_DB_PASSWORD'] ?? env['PGPASSWORD'],
    };
  }
  return {
    target: { system: 'mysql', host: env['MYSQL_HOST'] || '127.0.0.1', port: Number(env['MYSQL_TCP_PORT'] || 3306), user: env['MYSQL_USER'] || 'root', database: env['MYSQL_DATABASE'] || '' },
    password: env['BATCH_DOCTOR_DB_PASSWORD'] ?? env['MYSQL_PWD'],
  };
}

/** Connection and statement timeout for batch-doctor's own sessions, ms: diagnosis must never hang on a busy server. */
export const DB_CONNECT_TIMEOUT_MS = 10_000;

/** Opens a session with pg or mysql2. The error message never holds the password. */
export async function openSqlClient(target: DbTarget, password: string | undefined): Promise<SqlClient> {
  const where = describeTarget(target);
  try {
    if (target.system === 'postgresql') {
      const { Client } = await import('pg');
      const c = new Client({ host: target.host, port: target.port, user: target.user, database: target.database, password, connectionTimeoutMillis: DB_CONNECT_TIMEOUT_MS, application_name: 'batch-doctor' });
      await c.connect();
      c.on('error', () => undefined); // a dropped connection surfaces on the next query, not as an uncaught event
      return {
        system: 'postgresql',
        query: async (sql, params) => (await c.query(sql, params as unknown[] | undefined)).rows as Record<string, unknown>[],
        version: async () => String(((await c.query('SHOW server_version')).rows[0] as { server_version: string }).server_version),
        close: async () => { await c.end().catch(() => undefined); },
      };
    }
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection({ host: target.host, port: target.port, user: target.user, database: target.database || undefined, password, connectTimeout: DB_CONNECT_TIMEOUT_MS, multipleStatements: false });
    c.on('error', () => undefined);
    return {
      system: 'mysql',
      query: async (sql, params) => {
        const [rows] = await c.query(sql, params as unknown[] | undefined);
        return (Array.isArray(rows) ? rows : []) as Record<string, unknown>[];
      },
      version: async () => String(((await c.query('SELECT VERSION() AS v'))[0] as { v: string }[])[0]!.v),
      close: async () => { await c.end().catch(() => undefined); },
    };
  } catch (err) {
    throw new DbConnectError(where, safeDbError(err));
  }
}

/**
 * A database error reduced to what is safe to show: the SQLSTATE or MySQL
 * error code and a generic description. Server messages can hold data
 * (`Key (email)=(x@y) already exists`), so they are not shown.
 */
export function safeDbError(err: unknown): string {
  const e = err as { code?: unknown; errno?: unknown; sqlState?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^[0-9A-Z]{5}$/.test(code)) return `SQLSTATE ${code}${PG_STATES[code] ? ` (${PG_STATES[code]})` : ''}`;
  if (code.startsWith('ER_')) return `${code}${typeof e?.errno === 'number' ? ` (${e.errno})` : ''}${typeof e?.errno === 'number' && MY_ERRNOS[e.errno] ? `: ${MY_ERRNOS[e.errno]}` : ''}`;
  // MariaDB's own errors have no name in the driver: their number, and what it means when we know.
  if (!code && typeof e?.errno === 'number') return `MySQL/MariaDB error ${e.errno}${MY_ERRNOS[e.errno] ? ` (${MY_ERRNOS[e.errno]})` : ''}`;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return 'host not found';
  if (code === 'ETIMEDOUT' || /timeout/i.test(String((err as Error)?.message))) return 'timed out';
  if (/password authentication failed|Access denied/i.test(String((err as Error)?.message))) return 'authentication failed';
  return code || 'error';
}

/** MySQL/MariaDB error numbers the EXPLAIN path meets, in words. */
const MY_ERRNOS: Record<number, string> = {
  1969: 'max_statement_time exceeded', 3024: 'max_execution_time exceeded', 1792: 'read-only transaction: the statement would write',
  1317: 'query execution was interrupted', 1205: 'lock wait timeout exceeded',
};

const PG_STATES: Record<string, string> = {
  '57014': 'statement timeout or cancel', '55P03': 'lock not available (lock_timeout)', '25006': 'read-only transaction: the statement would write',
  '42601': 'syntax error', '42P01': 'undefined table', '42703': 'undefined column', '28P01': 'authentication failed', '3D000': 'database does not exist',
  '42883': 'undefined function', '08P01': 'protocol violation', '0A000': 'feature not supported', '42501': 'insufficient privilege',
};
