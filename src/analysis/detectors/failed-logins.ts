import { round3 } from '../intervals';
import type { TraceSpan } from '../../model/trace';
import type { Detector, RawFinding } from './types';

/**
 * Failed logins and connects: database connects (pg.connect, pg-pool.connect, mysql2 connects where recorded) and
 * FTP logins (`access`: connect, TLS and USER/PASS) that failed. A refused login fails the same way on every
 * attempt; a job that keeps trying spends its time getting nowhere, and whatever it was to read or deliver is
 * missing. Failed statements and transfers are errors-and-retries' business; connects are not statements, so
 * they are counted here.
 *
 * Saving model: the failed attempts' time on the critical path (what the run spent on connects that produced
 * nothing; a login that works costs one attempt, which the job keeps).
 */

/**
 * Error codes that mean the server refused the credentials (not a network or server problem): PostgreSQL SQLSTATE
 * class 28 (28P01 invalid_password, 28000 invalid_authorization_specification), MySQL/MariaDB access-denied
 * errors by name and number, FTP reply 530 (not logged in).
 */
export const LOGIN_REFUSED_CODES: ReadonlySet<string> = new Set([
  '28P01', '28000', 'ER_ACCESS_DENIED_ERROR', '1045', 'ER_DBACCESS_DENIED_ERROR', '1044', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', '1698',
  'ER_NOT_SUPPORTED_AUTH_MODE', '1251', '530',
]);

/** One target's failed attempts. */
interface Failures { label: string; category: 'db' | 'ftp'; key: string; attempts: number; failed: number; codes: Map<string, number>; sole: () => number }

/** The failed-logins detector (see the top of this file for what it finds and its saving model). */
export const failedLogins: Detector = {
  id: 'failed-logins',
  detect(trace, ctx) {
    const out: Failures[] = [];
    for (const g of ctx.connects.filter((c) => !/disconnect/i.test(c.name))) {
      if (g.stats.errors === 0) continue;
      out.push({
        label: `${g.system} (${g.name})`, category: 'db', key: `connect:${g.system}:${g.name}`, attempts: g.stats.calls, failed: g.stats.errors,
        codes: new Map(g.stats.errorTypes), sole: () => ctx.soleOfGroups([g.group], { failedOnly: true }),
      });
    }
    const ftpLogins = trace.spans.filter((s) => s.kind === 'ftp' && s.name === 'ftp.connect');
    const byServer = new Map<string, TraceSpan[]>();
    for (const s of ftpLogins) {
      const k = `${String(s.attrs['server.address'] ?? '?')}:${String(s.attrs['server.port'] ?? '?')}`;
      if (!byServer.has(k)) byServer.set(k, []);
      byServer.get(k)!.push(s);
    }
    for (const [server, spans] of byServer) {
      const failed = spans.filter((s) => s.error);
      if (!failed.length) continue;
      const codes = new Map<string, number>();
      for (const s of failed) { const c = String(s.attrs['ftp.response.code'] ?? s.errorType ?? 'error'); codes.set(c, (codes.get(c) ?? 0) + 1); }
      out.push({ label: `FTP ${server}`, category: 'ftp', key: `ftp-login:${server}`, attempts: spans.length, failed: failed.length, codes, sole: () => ctx.soleMs(failed) });
    }
    if (ctx.connects.length === 0 && ftpLogins.length === 0) {
      return { status: 'no-data', reason: 'no database connect or FTP login was recorded' };
    }
    const findings: RawFinding[] = out.map((f) => {
      const refused = [...f.codes.keys()].some((c) => LOGIN_REFUSED_CODES.has(c));
      const codes = [...f.codes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} x${n}`).join(', ');
      const sole = f.sole();
      const allFailed = f.failed === f.attempts;
      return {
        id: `failed-logins:${f.key}`,
        kind: 'failed-logins',
        title: `${f.failed} of ${f.attempts} ${refused ? 'logins refused' : 'connects failed'}: ${f.label}`,
        category: f.category,
        scope: [f.key],
        estimatedSavingMs: round3(sole),
        confidence: refused ? 'high' : 'medium',
        savingModel: `failed connects' time on the critical path (${round3(sole)} ms)`,
        risk: allFailed
          ? `Every ${refused ? 'login' : 'connect'} failed (${codes}): nothing was read from or sent to this server.`
          : `${f.failed} attempts failed (${codes}): work that needed them may be missing from the run's output.`,
        evidence: {
          summary: `${f.failed} failed ${refused ? 'logins' : 'connects'} (${codes}) among ${f.attempts} attempts`,
          metrics: { attempts: f.attempts, failed: f.failed, failedMs: round3(sole) },
        },
        recommendation: {
          summary: refused
            ? 'The server refused the credentials: check the user, password and database the job is given (and, for a pool, that it is not retrying a refused login); a wrong password fails the same way every time.'
            : 'Check the host, port, TLS settings and the server\'s connection limits (the codes above); fail fast instead of retrying a server that is not there.',
        },
      };
    });
    return { status: 'ran', findings };
  },
};
