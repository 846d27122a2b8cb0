import * as http from 'node:http';
import type * as net from 'node:net';
import * as zlib from 'node:zlib';
import { OtlpCollector } from './otlp';
import type { SpanSink } from './span-store';
import { decodeExportTraceRequest } from './otlp-proto';

/** Largest request body accepted, bytes (after decompression): what an SDK batch of thousands of spans needs. */
const MAX_BODY = 64 * 1024 * 1024;

/** A running OTLP/HTTP trace receiver on loopback. */
export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the SDKs append /v1/traces). */
  endpoint: string;
  collector: OtlpCollector;
  /** Requests refused (bad content, too large). */
  refused(): number;
  close(): Promise<void>;
}

/**
 * Receives OTLP/HTTP trace exports, JSON (`application/json`) or protobuf (`application/x-protobuf`), gzip or
 * not, on 127.0.0.1, into a collector in this process (its spans into `o.sink` when given, else kept in memory). A pipeline in any language instrumented with its
 * own OpenTelemetry SDK runs under `profile --receive-otlp` by pointing its exporter here.
 */
export async function startOtlpReceiver(o: { keepLiterals?: boolean; sink?: SpanSink } = {}): Promise<OtlpReceiver> {
  const collector = new OtlpCollector({ keepLiterals: !!o.keepLiterals }, o.sink ?? null);
  let refused = 0;
  const server = http.createServer((req, res) => {
    const reply = (status: number, json: boolean) => {
      res.writeHead(status, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : undefined);
    };
    if (req.method !== 'POST' || !(req.url ?? '').startsWith('/v1/traces')) { refused++; res.writeHead(404).end(); req.resume(); return; }
    const type = String(req.headers['content-type'] ?? '');
    const json = type.includes('json');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_BODY) chunks.push(c); });
    req.on('end', () => {
      if (size > MAX_BODY) { refused++; reply(413, json); return; }
      let body = Buffer.concat(chunks);
      try {
        if (String(req.headers['content-encoding'] ?? '').includes('gzip')) body = zlib.gunzipSync(body, { maxOutputLength: MAX_BODY });
        const parsed = json ? JSON.parse(body.toString('utf8')) : decodeExportTraceRequest(body);
        if (parsed === null) throw new Error('not an ExportTraceServiceRequest');
        collector.add(parsed as never);
        reply(200, json);
      } catch { refused++; reply(400, json); }
    });
    req.on('error', () => { refused++; });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`, collector, refused: () => refused,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections?.(); }),
  };
}
