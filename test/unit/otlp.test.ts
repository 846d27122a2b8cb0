import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OtlpCollector, readOtlpJsonFile } from '../../src/collect/otlp';
import { decodeExportTraceRequest, encodeExportTraceRequest } from '../../src/collect/otlp-proto';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'otlp', 'other-sdks.jsonl');

/**
 * Spans in the shapes the official instrumentations of other languages emit (Python psycopg2 and Go otelsql
 * with the old database conventions, Java JDBC with the stable ones): classified, fingerprinted, one process each.
 */
describe('OTLP from other SDKs', () => {
  it('classifies old and new conventions alike and removes literals', async () => {
    const c = new OtlpCollector();
    await readOtlpJsonFile(FIXTURE, c);
    const r = c.result();
    expect(r.badRecords).toBe(0);
    expect(r.processes.map((p) => p.header.pid).sort()).toEqual([4101, 4202, 4303]);
    const db = r.spans.filter((s) => s.kind === 'db');
    expect(db).toHaveLength(30 + 25 + 22);
    const fps = new Set(db.map((s) => `${String(s.attrs['db.system'])}|${String(s.attrs['db.fingerprint'])}|${String(s.attrs['server.address'])}:${String(s.attrs['server.port'])}`));
    expect([...fps].sort()).toEqual([
      'mysql|insert into audit(id, note) values (?+)|mysql.internal:3306',
      'postgresql|select id, total from orders where customer_id = ?|db.internal:5432',
      'postgresql|select name from customers where id = ?|db.internal:5432',
    ].sort());
    // Literals never reach the model (the Python statements had ids inline, Go had values).
    expect(JSON.stringify(r.spans)).not.toMatch(/100[0-9]|'x'/);
    expect(db.find((s) => s.pid === 4202)!.rows).toBe(3);
    expect(db.filter((s) => s.error)).toHaveLength(1);
  });

  it('round-trips a request through protobuf with the same spans', async () => {
    const c1 = new OtlpCollector();
    await readOtlpJsonFile(FIXTURE, c1);
    const fs = await import('node:fs');
    const c2 = new OtlpCollector();
    for (const line of fs.readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean)) {
      c2.add(decodeExportTraceRequest(encodeExportTraceRequest(JSON.parse(line))) as never);
    }
    const strip = (x: ReturnType<OtlpCollector['result']>) => x.spans.map((s) => [s.spanId, s.kind, s.start, s.end, s.error, s.rows, s.attrs]);
    expect(strip(c2.result())).toEqual(strip(c1.result()));
  });

  it('garbage is a bad record, not a crash', () => {
    const c = new OtlpCollector();
    c.add(null as never);
    c.add({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x' }, { spanId: 'a', name: 'y', startTimeUnixNano: '5', endTimeUnixNano: '1' }] }] }] } as never);
    expect(decodeExportTraceRequest(Buffer.from([0xff, 0xff, 0xff]))).toBeNull();
    expect(c.result().spans).toEqual([]);
    expect(c.badRecords).toBe(3);
  });
});

describe('call sites from other SDKs', () => {
  it('code.filepath/code.lineno (old) and code.file.path/code.line.number (new) become the class\'s call sites', async () => {
    const { analyze } = await import('../../src/analysis/analyze');
    const { SpanStore } = await import('../../src/collect/span-store');
    const { modelFromStore } = await import('../../src/collect/read-trace');
    const kv = (key: string, v: string | number) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });
    const spans = Array.from({ length: 40 }, (_, i) => {
      const start = 1_795_000_000_000_000_000n + BigInt(i) * 2_000_000n;
      const old = i % 4 !== 0; // 30 from the old names, 10 from the new ones, at another line
      return {
        traceId: '1'.padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), name: 'SELECT shop', kind: 3,
        startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1_000_000n),
        attributes: [kv('db.system', 'postgresql'), kv('db.statement', `select name from customers where id = ${i}`),
          ...(old ? [kv('code.filepath', 'etl/repo.py'), kv('code.lineno', 42), kv('code.function', 'get_customer')]
            : [kv('code.file.path', 'etl/report.py'), kv('code.line.number', 7), kv('code.function.name', 'spot_check')])],
      };
    });
    const store = new SpanStore();
    const c = new OtlpCollector({}, store);
    c.add({ resourceSpans: [{ resource: { attributes: [kv('service.name', 'py-etl'), kv('process.pid', 77)] }, scopeSpans: [{ spans }] }] } as never);
    const r = c.result();
    const model = modelFromStore({ command: ['x'], startedAt: 1_795_000_000_000, endedAt: 1_795_000_000_100, exitCode: 0, signal: null }, r.processes, store);
    const report = analyze(model, { toolVersion: 'test' });
    model.source.close();
    const q = report.queries.find((x) => x.fingerprint === 'select name from customers where id = ?')!;
    expect(q.callSites!.map((s) => [s.file, s.line, s.function, s.share])).toEqual([['etl/repo.py', 42, 'get_customer', 0.75], ['etl/report.py', 7, 'spot_check', 0.25]]);
  });
});
