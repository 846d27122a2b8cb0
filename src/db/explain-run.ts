import type { QueryClass } from '../model/report';
import type { ExplainResult } from '../model/db';
import { sampleKey, type StatementSample } from '../collect/statement-samples';
import { describeTarget, openSqlClient, resolveDbTarget, safeDbError, type DbTarget, type SqlClient } from './connection';
import { explainStatement } from './explain';

/** Statement classes explained after a run, by total time (each costs an EXPLAIN and up to a dozen HypoPG tries). */
export const EXPLAIN_TOP_CLASSES = 5;
/** A class below this share of the run's database time is not worth an EXPLAIN (0..1). */
export const EXPLAIN_MIN_SHARE = 0.02;

/**
 * Statements EXPLAIN takes, by their first keyword (PostgreSQL and MySQL/MariaDB alike): a COPY, a DDL statement or
 * a transaction command has no plan to show.
 */
const EXPLAINABLE = /^\s*\(*\s*(select|with|insert|update|delete|replace|values|merge|table)\b/i;

/** The note for a statement EXPLAIN cannot take, or null when it can. */
export function notExplainable(fingerprint: string): string | null {
  if (EXPLAINABLE.test(fingerprint)) return null;
  const verb = (/^\s*([a-z]+)/i.exec(fingerprint)?.[1] ?? 'this').toUpperCase();
  return verb === 'COPY'
    ? 'EXPLAIN cannot take a COPY: it is the bulk path already; its time is the server loading or reading the rows plus the time the job took to feed or drain the stream (the CPU profile shows the job\'s part)'
    : `EXPLAIN cannot take a ${verb} statement: it has no plan`;
}

/** Options of {@link explainRunClasses}. */
export interface ExplainRunOptions {
  /** The run's statement classes, ranked by total time. */
  classes: QueryClass[];
  /** Samples captured by the probes (memory only). */
  samples: Map<string, StatementSample>;
  /** The job's environment: PGUSER, PGPASSWORD, BATCH_DOCTOR_DB_PASSWORD. */
  env: NodeJS.ProcessEnv;
  /** A database URL that overrides what the job used (`profile --db`). */
  dbUrl?: string | undefined;
  /** EXPLAIN ANALYZE plain SELECTs (read-only, rolled back). Default false. */
  analyze?: boolean;
}

/**
 * EXPLAINs the run's top statement classes (PostgreSQL and MySQL/MariaDB) on the server the job
 * used, with the bind values the probes sampled. Never throws: what could not
 * be done comes back as warnings.
 */
export async function explainRunClasses(o: ExplainRunOptions): Promise<{ explains: ExplainResult[]; warnings: string[] }> {
  const warnings: string[] = [];
  const top = o.classes.filter((c) => (c.system === 'postgresql' || c.system === 'mysql') && c.parsed && c.share >= EXPLAIN_MIN_SHARE).slice(0, EXPLAIN_TOP_CLASSES);
  const explains: ExplainResult[] = [];
  const clients = new Map<string, SqlClient | null>();
  // A --db URL overrides the server the job used, for statements of its system.
  const override = o.dbUrl ? resolveDbTarget(o.dbUrl, o.env) : null;
  try {
    for (const cls of top) {
      const cannot = notExplainable(cls.fingerprint);
      if (cannot) {
        explains.push({ system: cls.system as ExplainResult['system'], queryClassId: cls.id, fingerprint: cls.fingerprint, mode: 'plan', plan: null, diagnostics: [], indexAdvice: [], note: cannot });
        continue;
      }
      const sample = o.samples.get(sampleKey(cls.system, cls.fingerprint));
      if (!sample) { warnings.push(`No statement sample was captured for "${cls.fingerprint.slice(0, 80)}": not explained.`); continue; }
      let target: DbTarget; let password: string | undefined;
      const system = sample.system;
      if (override && override.target.system === system) ({ target, password } = override);
      else {
        const fromEnv = resolveDbTarget(undefined, o.env, system);
        target = { ...fromEnv.target, host: sample.server.host ?? fromEnv.target.host, port: sample.server.port ?? fromEnv.target.port,
          database: sample.server.database ?? fromEnv.target.database, user: sample.server.user ?? fromEnv.target.user };
        // The job's own password (sent with the sample, memory only) when the CLI's environment has none.
        password = fromEnv.password ?? (typeof sample.server.password === 'string' ? sample.server.password : undefined);
      }
      const key = describeTarget(target);
      if (!clients.has(key)) {
        try { clients.set(key, await openSqlClient(target, password)); }
        catch (err) { clients.set(key, null); warnings.push(`EXPLAIN skipped for ${key}: ${(err as Error).message}`); }
      }
      const client = clients.get(key);
      if (!client) continue;
      try {
        explains.push(await explainStatement(client, { sql: sample.text, params: sample.values, analyze: !!o.analyze, fingerprint: cls.fingerprint }));
      } catch (err) {
        warnings.push(`EXPLAIN of "${cls.fingerprint.slice(0, 80)}" failed: ${safeDbError(err)}.`);
      }
    }
  } finally {
    for (const c of clients.values()) await c?.close();
  }
  return { explains, warnings };
}
