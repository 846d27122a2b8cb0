import type { DigestClass } from '../model/db';
import type { QueryClass, ServerView, ServerViewSource } from '../model/report';
import { round3 } from './intervals';

/** A server-side digest of the run's window: its source and classes (slow log, pg_stat_statements deltas...). */
export interface ServerDigest {
  source: ServerViewSource;
  classes: DigestClass[];
}

/**
 * The key two fingerprints of one statement share whoever normalized it: pg_stat_statements writes the constants
 * it removed as `$n`, the job's driver sends its own parameters as `$n`, the fingerprinter writes a literal as `?`;
 * all are one value position.
 */
export function joinKey(system: string, fingerprint: string): string {
  return `${system}\u0000${fingerprint.replace(/\$\d+/g, '?')}`;
}

/**
 * Joins what the server recorded during the run with the classes the probes saw, on {@link joinKey} (the same
 * fingerprinter makes both, so `select * from t where id = ?` is one class on both sides). Pure.
 *
 * The server's counts cover every session in the window: `serverCalls` above `jobCalls` means other clients ran the
 * same statement, below means the source missed some (a slow log's long_query_time threshold, a digest table full).
 */
export function joinServerView(queries: readonly QueryClass[], digests: readonly ServerDigest[]): ServerView | null {
  if (!digests.length) return null;
  const byKey = new Map(queries.map((q) => [joinKey(q.system, q.fingerprint), q]));
  const classes: ServerView['classes'] = [];
  let otherClasses = 0, otherMs = 0;
  for (const d of digests) {
    for (const c of d.classes) {
      const q = byKey.get(joinKey(c.system, c.fingerprint));
      if (!q) { otherClasses++; otherMs += c.totalMs; continue; }
      classes.push({
        queryClassId: q.id, system: q.system, fingerprint: q.fingerprint, source: d.source.source, jobCalls: q.calls, serverCalls: c.calls,
        serverMs: round3(c.totalMs), rowsSent: c.rowsSent, rowsExamined: c.rowsExamined,
        lockMs: c.lockMs ?? null, tmpTables: c.tmpTables ?? null, tmpDiskTables: c.tmpDiskTables ?? null,
      });
    }
  }
  classes.sort((a, b) => b.serverMs - a.serverMs || (a.fingerprint < b.fingerprint ? -1 : 1));
  return { sources: digests.map((d) => d.source), classes, otherClasses, otherMs: round3(otherMs) };
}
