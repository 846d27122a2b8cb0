import * as protobuf from 'protobufjs';

/**
 * The part of the OTLP trace protocol batch-doctor reads (opentelemetry/proto/collector/trace/v1 and the
 * messages it uses), as a protobufjs descriptor: field numbers and types from the OTLP .proto files. Fields not
 * listed here (events, links, dropped counts, flags) are skipped by the decoder.
 */
const DESCRIPTOR = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
        ResourceSpans: { fields: { resource: { type: 'Resource', id: 1 }, scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 }, schemaUrl: { type: 'string', id: 3 } } },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        ScopeSpans: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, spans: { rule: 'repeated', type: 'Span', id: 2 }, schemaUrl: { type: 'string', id: 3 } } },
        InstrumentationScope: { fields: { name: { type: 'string', id: 1 }, version: { type: 'string', id: 2 } } },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 }, spanId: { type: 'bytes', id: 2 }, traceState: { type: 'string', id: 3 }, parentSpanId: { type: 'bytes', id: 4 },
            name: { type: 'string', id: 5 }, kind: { type: 'int32', id: 6 }, startTimeUnixNano: { type: 'fixed64', id: 7 }, endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 }, status: { type: 'Status', id: 15 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 }, boolValue: { type: 'bool', id: 2 }, intValue: { type: 'int64', id: 3 }, doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 }, kvlistValue: { type: 'KeyValueList', id: 6 }, bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(DESCRIPTOR);
const Request = root.lookupType('otlp.ExportTraceServiceRequest');

/** Hex of the id fields (OTLP JSON writes ids as hex; protobufjs gives bytes). */
function hexIds(obj: { resourceSpans?: { scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }): void {
  for (const rs of obj.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) {
    for (const k of ['traceId', 'spanId', 'parentSpanId']) {
      const v = s[k];
      if (v instanceof Uint8Array) s[k] = Buffer.from(v).toString('hex');
    }
  }
}

/** Decodes one ExportTraceServiceRequest into the shape of OTLP JSON, or null when it is not one. */
export function decodeExportTraceRequest(buf: Uint8Array): unknown {
  try {
    const msg = Request.decode(buf);
    const obj = Request.toObject(msg, { longs: String, enums: Number, defaults: false, oneofs: false }) as Parameters<typeof hexIds>[0];
    hexIds(obj);
    return obj;
  } catch { return null; }
}

/** Encodes a request given in the shape of OTLP JSON (for tests and fixtures). */
export function encodeExportTraceRequest(req: unknown): Uint8Array {
  const fix = JSON.parse(JSON.stringify(req), (k, v: unknown) => (typeof v === 'string' && (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') ? Buffer.from(v, 'hex') : v));
  return Request.encode(Request.fromObject(fix)).finish();
}
