import { round3 } from '../intervals';
import { connectionReuseSaving, weightedMedianMs } from './span-stats';
import type { Detector } from './types';

/**
 * A new database connection per query (or per handful of queries): each connect is a TCP handshake,
 * authentication (SCRAM in PostgreSQL: two round trips and a deliberately slow hash) and, in PostgreSQL, a
 * new server process forked for it. Pool checkouts (pg-pool.connect) are not connects; only the client
 * connects they cause are.
 *
 * Saving model: with a pool of as many connections as the run ever used at once, the run connects that
 * many times instead of `connects`: saving = the connects' and disconnects' (`pg.disconnect`: the teardown
 * `end()` waits for) time on the critical path minus pool size x the median connect.
 */
export const connectionPerQuery: Detector = {
  id: 'connection-per-query',
  detect(_trace, ctx) {
    const groups = ctx.connects.filter((c) => !/pool|disconnect/i.test(c.name));
    const teardowns = ctx.connects.filter((c) => /disconnect/i.test(c.name));
    const connectCalls = groups.reduce((a, c) => a + c.stats.calls, 0);
    if (connectCalls === 0) return { status: 'no-data', reason: 'no database connects were recorded (pg and mysql2 connects are; a client the probes do not instrument is not)' };
    const t = ctx.thresholds;
    const queries = ctx.queries.reduce((a, g) => a + g.cls.calls, 0);
    if (connectCalls < t.minRepeatedCalls || connectCalls < queries / t.maxQueriesPerConnection) return { status: 'ran', findings: [] };
    const pool = Math.max(1, ctx.run.dbMaxConcurrency);
    const { p50, sole, saving } = connectionReuseSaving(weightedMedianMs(groups), ctx.soleOfGroups([...groups, ...teardowns].map((c) => c.group)), pool);
    return {
      status: 'ran',
      findings: [{
        id: 'connection-per-query',
        kind: 'connection-per-query',
        title: `A new database connection per query: ${connectCalls} connects for ${queries} statements`,
        category: 'db',
        scope: ['db:connect'],
        estimatedSavingMs: round3(saving),
        confidence: 'high',
        savingModel: `${round3(sole)} ms of connects${teardowns.length ? ' and disconnects' : ''} on the critical path minus ${pool} pooled connection(s) at the median connect ${round3(p50)} ms`,
        evidence: {
          summary: `${connectCalls} connects (median ${round3(p50)} ms) for ${queries} statements: ${round3(queries / connectCalls)} statements per connection`,
          metrics: { connects: connectCalls, statements: queries, connectP50Ms: round3(p50), criticalMs: round3(sole), poolSize: pool },
        },
        recommendation: {
          summary: `Open a pool once (max ${pool}) and reuse its connections; end it when the job finishes.`,
          code: [
            `const pool = new pg.Pool({ max: ${pool} });   // mysql2: mysql.createPool({ connectionLimit: ${pool} })`,
            `// per query, instead of new Client() + connect() + end():`,
            `const { rows } = await pool.query(sql, params);`,
            `// at the very end of the job:`,
            `await pool.end();`,
          ].join('\n'),
        },
      }],
    };
  },
};
