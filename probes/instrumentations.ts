import type { Instrumentation } from '@opentelemetry/instrumentation';
import * as path from 'node:path';
import { safely } from './guard';
import { ATTR } from './names';
import type { ProbeConfig } from './probe-config';
import type { CallSiteSampler } from './call-sites';
import type { ParamSampler, PgCallInfo } from './param-sampler';
import type { SpanRecorder } from './span-recorder';
import type { ValueStats } from './value-stats';

/** Packages the probes instrument (ESM imports of these go through the ESM bridge or the loader hook). */
export const INSTRUMENTED_MODULES = ['pg', 'pg-pool', 'pg-cursor', 'mysql2', 'mysql2/promise', 'mysql', 'basic-ftp', 'postgres', 'pg-copy-streams', 'ftp', 'ssh2'];

/** What the instrumentations share: where calls are recorded, and the per-call observers. */
export interface InstrumentationDeps {
  recorder: SpanRecorder;
  constancy: ValueStats;
  sites: CallSiteSampler | null;
  sampler: ParamSampler | null;
}

/**
 * Every instrumentation of the probes, in the order they must be registered. Order matters in one place:
 * require hooks run in registration order, and each fast path patches on top of the official wrapper of its client
 * (it calls the function the official one wrapped), so the fast paths come after `PgInstrumentation` and
 * `MySQL2Instrumentation`, last. The others patch what no one else patches and may come in any order.
 *
 * Pure but for the modules it loads (each instrumentation's own file) and postgres.js's ESM build, which an ES
 * module job imports without any require hook: it is patched here by importing the same file (see postgres-js.ts).
 */
export function buildInstrumentations(cfg: ProbeConfig, d: InstrumentationDeps): Instrumentation[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { MySQL2Instrumentation } = require('@opentelemetry/instrumentation-mysql2') as typeof import('@opentelemetry/instrumentation-mysql2');
  const { fingerprintSql } = require('./sql-fingerprint') as typeof import('./sql-fingerprint');
  const { recorder, constancy, sites, sampler } = d;
  const { forward, keepLiterals } = cfg;
  const rowsHook = (span: import('@opentelemetry/api').Span, rows: unknown) => {
    safely('db-hook', () => { if (typeof rows === 'number') span.setAttribute(ATTR.dbRows, rows); });
  };
  const pgRequestHook = (_span: unknown, info: PgCallInfo) => {
    // With the fast path on, its statement counter samples the call sites (it sees every call, in the caller's stack).
    if (!cfg.fastPath && sites && typeof info.query?.text === 'string') safely('call-sites', () => sites.observe('db', 'postgresql', info.query!.text!));
    safely('value-stats', () => constancy.observe('postgresql', info.query?.text, info.query?.values));
    sampler?.samplePg(info);
  };
  const { PostgresJsInstrumentation, patchPostgresJsEsm } = require('./postgres-js') as typeof import('./postgres-js');
  const postgresJs = new PostgresJsInstrumentation({ recorder, forward, constancy, sites, sampler });
  if (cfg.esm === 'main') safely('postgres-js-esm', () => patchPostgresJsEsm(process.argv[1] ? path.dirname(path.resolve(process.argv[1])) : process.cwd(), postgresJs));

  const list: Instrumentation[] = [
    // The official instrumentations of pg and mysql2 (full spans; the fast paths below take repeated statements).
    new PgInstrumentation({
      enhancedDatabaseReporting: false,
      requestHook: pgRequestHook,
      responseHook: (span, info) => rowsHook(span, (info.data as { rowCount?: number | null }).rowCount ?? (info.data as { rows?: unknown[] }).rows?.length),
    }),
    new MySQL2Instrumentation({
      // mysql2 formats values into the statement: fingerprint before the attribute is set.
      maskStatement: !keepLiterals,
      maskStatementHook: (q) => fingerprintSql(q, 'mysql').text,
      responseHook: (span, info) => {
        const r = info.queryResults as { affectedRows?: number } | unknown[] | undefined;
        rowsHook(span, Array.isArray(r) ? r.length : r?.affectedRows);
      },
    }),
    // Our own: clients with no official instrumentation, and what the official ones do not time.
    new (require('./mysqljs') as typeof import('./mysqljs')).MysqljsInstrumentation({ recorder, forward, constancy, sites, sampler }),
    postgresJs,
    new (require('./pg-cursor') as typeof import('./pg-cursor')).PgCursorInstrumentation(),
    new (require('./pg-copy') as typeof import('./pg-copy')).PgCopyInstrumentation({ recorder, forward, sites }),
    new (require('./mysql2-connect') as typeof import('./mysql2-connect')).Mysql2ConnectInstrumentation(),
    new (require('./db-disconnect') as typeof import('./db-disconnect')).DbDisconnectInstrumentation(),
    new (require('./ftp/instrumentation') as typeof import('./ftp/instrumentation')).FtpInstrumentation({ keepRemotePaths: keepLiterals, sites }),
    new (require('./ftp/mscdex') as typeof import('./ftp/mscdex')).MscdexFtpInstrumentation({ keepRemotePaths: keepLiterals, sites }),
    new (require('./ftp/sftp') as typeof import('./ftp/sftp')).SftpInstrumentation({ keepRemotePaths: keepLiterals, sites }),
  ];
  // Last: the fast paths, on top of the official wrappers (see above).
  if (cfg.fastPath) {
    const { PgFastPath } = require('./fast-path/pg') as typeof import('./fast-path/pg');
    const { Mysql2FastPath } = require('./fast-path/mysql2') as typeof import('./fast-path/mysql2');
    list.push(new PgFastPath({ recorder, constancy, sites, sampler }), new Mysql2FastPath({ recorder, sampler, constancy, sites }));
  }
  return list;
}
