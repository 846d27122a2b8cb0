/**
 * What the probes can tell they did not see: database and file-transfer clients the job loaded that batch-doctor
 * does not instrument, and worker threads (the probes run in the main thread only). Read once at exit, from the
 * CommonJS module cache (modules a job imports as ES modules do not appear there), and from Node's `worker` event.
 */

import { packageOf } from './package-name';

/** Clients that talk to a database or file server and that the probes do not instrument. */
export const UNINSTRUMENTED_CLIENTS: Readonly<Record<string, string>> = {
  mariadb: 'the MariaDB connector',
  tedious: 'tedious (SQL Server)',
  mssql: 'mssql (SQL Server)',
  oracledb: 'oracledb (Oracle)',
  'better-sqlite3': 'better-sqlite3 (SQLite)',
  sqlite3: 'sqlite3 (SQLite)',
  mongodb: 'mongodb',
  'pg-native': 'pg-native (libpq bindings, pg.native)',
  ioredis: 'ioredis (Redis)',
  redis: 'redis (Redis)',
  '@aws-sdk/client-s3': 'the AWS SDK S3 client',
};

/** The uninstrumented clients in a list of loaded module paths, by package name (sorted, once each). */
export function uninstrumentedIn(paths: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const p of paths) {
    const name = packageOf(p);
    if (name !== null && Object.prototype.hasOwnProperty.call(UNINSTRUMENTED_CLIENTS, name)) found.add(name);
  }
  return [...found].sort();
}

/** Counts the worker threads the job starts (they run without the probes). */
export class WorkerCounter {
  count = 0;
  /** Listens to Node's `worker` event on `process` (an observer: it changes nothing for the job). */
  start(): void {
    process.on('worker', () => { this.count++; });
  }
}
