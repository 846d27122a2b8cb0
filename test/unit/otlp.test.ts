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
