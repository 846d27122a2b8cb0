import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { sanitizedSpan } from '../../probes/forward';
import { SpanRecorder } from '../../probes/span-recorder';
import { TraceWriter } from '../../probes/trace-writer';
import { TRACE_FORMAT, TRACE_FORMAT_VERSION } from '../../probes/names';
import { analyze } from '../../src/analysis/analyze';
import { readTraceDir } from '../../src/collect/read-trace';
import { redactCommandLine as redactCommand } from '../../probes/sanitize';
import { RENDERERS } from '../../reports/registry';

/**
 * Property: whatever statements, error texts, span names and command lines a job produces, a secret marked in a
 * literal, a bind-value echo, a statement name or a password position never survives the one sanitizer, on every
 * way out: the trace file, the OTLP request sent to a collector, and every report format rendered from the trace.
 */

/** A marked secret: a distinctive alphanumeric core (what is searched for) wrapped in characters that break URLs and quoting. */
const secretCore = fc.stringMatching(/^[a-z0-9]{8,14}$/).map((s) => `SeCrEt${s}`);
const wrap = fc.constantFrom('', '@', ':/', '?#', '%&=', ' ', '-');

/** Literal spellings: quoted strings of both dialects, escapes, dollar quotes, national strings. */
const literal = (core: string, dialect: 'postgresql' | 'mysql') => {
  const forms = dialect === 'postgresql'
    ? [`'${core}'`, `'it''s ${core}'`, `E'${core}\\n'`, `$$${core}$$`, `$q$${core}$q$`, `N'${core}'`]
    : [`'${core}'`, `'it''s ${core}'`, `"${core}"`, `'${core}\\''`, `N'${core}'`, `_utf8mb4'${core}'`];
  return fc.constantFrom(...forms);
};
const statement = (dialect: 'postgresql' | 'mysql', core: string) => fc.tuple(literal(core, dialect), fc.constantFrom(
  (l: string) => `SELECT id FROM t WHERE a = ${l}`,
  (l: string) => `select * from "Users" u where ((u.email = ${l})) limit 1`,
  (l: string) => `INSERT INTO t (a, b) VALUES (${l}, 7), (${l}, 8)`,
  (l: string) => `UPDATE progress SET n = n + 1 WHERE job = ${l}`,
  (l: string) => `DELETE FROM t WHERE note LIKE ${l} -- a comment\n`,
  (l: string) => `SELECT ${l} AS x, coalesce(${l}, 'x') FROM dual`,
  (_l: string) => `SELECT '${core} unterminated`,
)).map(([l, f]) => f(l));
const numericSecret = fc.bigInt({ min: 10n ** 11n, max: 10n ** 13n }).map(String);
const errorText = (core: string, digits: string) => fc.constantFrom(
  `invalid input syntax for type integer: "${core}"`,
  `Duplicate entry '${core}' for key 'PRIMARY'`,
  `value ${digits} is out of range for type integer`,
  `null value in column "note" violates not-null constraint\nDETAIL: Failing row contains (${core}).`,
  `connection to postgres://etl:${core}@db/shop failed`,
  `unterminated quoted string at or near "'${core}"`,
);
const spanName = (core: string) => fc.constantFrom(`pg.query:${core} shop`, core, `SELECT*FROM(t)WHERE(x='${core}')`, `customer ${core}`, `INSERT ${core}`);
/** Command lines; inside a shell script the secret is quoted as a shell user would (it may hold spaces). */
const argv = (core: string) => fc.constantFrom(
  ['node', 'job.js', '--password', core], ['sh', '-c', `PGPASSWORD='${core}' node job.js --days 2`], ['mysql', '-uetl', `-p${core}`, 'shop'],
  ['node', 'job.js', `--token=${core}`], ['node', 'job.js', `postgres://etl:${core}@db/shop`], ['env', `EXPORT_SECRET=${core}`, 'node', 'job.js'],
  ['bash', '-lc', `MYSQL_PWD='${core} x' node job.js --pass '${core}'`], ['sh', '-c', `mysql -p'${core}' shop < dump.sql`],
);

const caseArb = fc.tuple(secretCore, wrap, numericSecret).chain(([core, w, digits]) => {
  const s = `${w}${core}${w}`;
  return fc.record({
    core: fc.constant(core), digits: fc.constant(digits), dialect: fc.constantFrom('postgresql' as const, 'mysql' as const),
    pgStmt: statement('postgresql', s), myStmt: statement('mysql', s), numStmt: fc.constant(`SELECT * FROM t WHERE id = ${digits}`),
    error: errorText(s, digits), name: spanName(s), argv: argv(s),
  });
});

/** A processor that keeps what the forwarder would send. */
function capture(out: ReadableSpan[]): SpanProcessor {
  return { onStart: () => undefined, onEnd: (s) => { out.push(sanitizedSpan(s, false)); }, shutdown: async () => undefined, forceFlush: async () => undefined };
}

describe('the one sanitizer, property-based', () => {
  it('no marked secret survives in the trace file, the forwarded OTLP or any report format', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-sanprop-'));
      try {
        const pid = 4242;
        const writer = new TraceWriter(dir, pid);
        const t0 = Date.now();
        writer.write({ type: 'header', format: TRACE_FORMAT, version: TRACE_FORMAT_VERSION, pid, ppid: 1, runId: null, nodeVersion: process.version, platform: 'linux-x64', script: 'job.js', startedAt: t0, processStartedAt: t0, keepLiterals: false });
        const recorder = new SpanRecorder(writer, false);
        const forwarded: ReadableSpan[] = [];
        const provider = new BasicTracerProvider({
          spanProcessors: [recorder, capture(forwarded)],
          // As the SDK's process detector sets them: the arguments as a list, the command as one argument.
          resource: resourceFromAttributes({ 'service.name': 'job', 'process.command_args': c.argv, 'process.command': c.argv[1]! }),
        });
        const tracer = provider.getTracer('property');
        const stmts: [string, string][] = [['postgresql', c.pgStmt], ['mysql', c.myStmt], ['postgresql', c.numStmt]];
        for (let i = 0; i < 3; i++) {
          for (const [system, text] of stmts) {
            const span = tracer.startSpan(system === 'mysql' ? c.name : `pg.query:${i ? 'SELECT' : c.name} shop`, { attributes: {
              'db.system.name': system, 'db.query.text': text, 'server.address': '127.0.0.1', 'server.port': 5432, 'db.namespace': 'shop',
              'db.postgresql.values': JSON.stringify([c.core]), 'db.user': c.core, 'app.customer': c.core,
            } });
            span.recordException({ name: 'error', message: c.error, code: '22P02' } as Error);
            span.setStatus({ code: 2, message: c.error });
            span.end();
          }
        }
        const other = tracer.startSpan(c.name, { attributes: { 'app.note': c.core } });
        other.addEvent(`event ${c.core}`, { detail: c.core });
        other.end();
        const ftp = tracer.startSpan('ftp.connect', { attributes: { 'ftp.command': `PASS ${c.core}`, 'ftp.remote.path': `/in/${c.core}.csv`, 'server.address': '127.0.0.1' } });
        ftp.setStatus({ code: 2, message: `530 Login incorrect for user '${c.core}'` });
        ftp.end();
        await provider.forceFlush();
        writer.write({ type: 'footer', endedAt: Date.now(), exitCode: 0, spansRecorded: recorder.recorded, spansDropped: 0, forwardFailures: 0, eventLoopDelayMs: null, gc: null, records: {}, memory: { heapUsed: 0, maxRss: 0 }, internalErrors: {} });
        writer.close();

        const secrets = [c.core, c.digits];
        const fileText = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
        const otlp = Buffer.from(JsonTraceSerializer.serializeRequest(forwarded) ?? new Uint8Array()).toString('utf8');
        expect(forwarded.length).toBeGreaterThan(0);
        expect(otlp.length).toBeGreaterThan(0);
        const model = await readTraceDir(dir, { command: redactCommand(c.argv), startedAt: t0, endedAt: Date.now(), exitCode: 0, signal: null });
        const report = analyze(model, { toolVersion: 'test' });
        model.source.close?.();
        const outputs: [string, string][] = [['trace file', fileText], ['forwarded OTLP', otlp]];
        for (const [name, r] of Object.entries(RENDERERS)) outputs.push([`report ${name}`, r.render(report, { width: 120 })]);
        for (const [where, text] of outputs) for (const s of secrets) expect(text.includes(s), `${where} holds ${s}: ${text.slice(Math.max(0, text.indexOf(s) - 300), text.indexOf(s) + 60)}`).toBe(false);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }), { numRuns: 60 });
  }, 120_000);
});
