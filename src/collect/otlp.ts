import { checkRead, type ReadGuard } from './read-guard';
import type { SpanSink } from './span-store';
import * as fs from 'node:fs';
import { fingerprintSql } from '../../probes/sql-fingerprint';
import { BatchDoctorError, TraceCorruptError } from '../errors';
import type { ProcessTrace, TraceSpan } from '../model/trace';
import type { SpanKind } from '../../probes/trace-records';

/**
 * OpenTelemetry traces from any SDK, into the trace model: OTLP JSON as the Collector's file exporter writes
 * it (one ExportTraceServiceRequest per line) and OTLP protobuf (the Collector's `format: proto`: each request
 * prefixed by its length, 4 bytes big-endian). Old and new semantic conventions are read alike, statements are
 * fingerprinted here (literals never reach the model unless kept on purpose), and each resource with its own
 * process.pid (or service instance) becomes one process of the run.
 */

/** Longest JSON line or protobuf message accepted, bytes: a bound on memory for a hostile file. */
const MAX_MESSAGE = 64 * 1024 * 1024;

/** Attribute keys, new semantic conventions first, then the old ones. */
const KEYS = {
  system: ['db.system.name', 'db.system'],
  statement: ['db.query.text', 'db.statement'],
  address: ['server.address', 'net.peer.name', 'net.sock.peer.addr'],
  port: ['server.port', 'net.peer.port', 'net.sock.peer.port'],
  namespace: ['db.namespace', 'db.name'],
  rows: ['db.response.returned_rows', 'db.rows_affected'],
} as const;

/** A flattened attribute value. */
type Attr = string | number | boolean;

interface OtlpAnyValue { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: OtlpAnyValue[] }; kvlistValue?: unknown; bytesValue?: string }
interface OtlpKeyValue { key?: string; value?: OtlpAnyValue }
interface OtlpSpan {
  traceId?: string; spanId?: string; parentSpanId?: string; name?: string; kind?: number | string;
  startTimeUnixNano?: string | number; endTimeUnixNano?: string | number; attributes?: OtlpKeyValue[];
  status?: { code?: number | string; message?: string };
}
interface OtlpRequest { resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[] }

/** Options of the OTLP readers. */
export interface OtlpReadOptions {
  /** Keep raw statements (db.statement.raw), as profile --keep-literals. Default false. */
  keepLiterals?: boolean;
}

/** What reading OTLP gives: spans (none when they went to a sink), one process per resource, and how many records were unusable. */
export interface OtlpResult {
  spans: TraceSpan[];
  processes: ProcessTrace[];
  badRecords: number;
}

/** Accumulates OTLP requests (JSON-shaped) into spans and processes; shared by the JSON and protobuf readers. */
export class OtlpCollector {
  readonly spans: TraceSpan[] = [];
  private readonly procs = new Map<string, ProcessTrace>();
  /** Attribute sets shared between spans of one shape (a statement on one server): a million spans, a few shapes. */
  private readonly shapes = new Map<string, Readonly<Record<string, Attr>>>();
  private readonly names = new Map<string, string>();
  badRecords = 0;
  /** Spans go to `sink` when given (a span store), else into {@link OtlpCollector.spans}. */
  constructor(private readonly o: OtlpReadOptions = {}, private readonly sink: SpanSink | null = null) {}

  add(req: OtlpRequest): void {
    if (!req || typeof req !== 'object' || !Array.isArray(req.resourceSpans)) { this.badRecords++; return; }
    for (const rs of req.resourceSpans) {
      const res = flatten(rs?.resource?.attributes);
      const pid = typeof res['process.pid'] === 'number' ? res['process.pid'] : null;
      const procKey = `${pid ?? ''}|${String(res['service.instance.id'] ?? '')}|${String(res['service.name'] ?? '')}|${String(res['host.name'] ?? '')}`;
      let proc = this.procs.get(procKey);
      if (!proc) {
        proc = {
          header: {
            type: 'header', format: 'batch-doctor-trace', version: 1, pid: pid ?? this.procs.size + 1, ppid: 0, runId: null,
            nodeVersion: String(res['process.runtime.version'] ?? res['telemetry.sdk.language'] ?? 'unknown'), platform: String(res['os.type'] ?? ''),
            script: typeof res['service.name'] === 'string' ? res['service.name'] : null,
            startedAt: Number.POSITIVE_INFINITY, processStartedAt: Number.POSITIVE_INFINITY, keepLiterals: !!this.o.keepLiterals,
          },
          footer: null, cpuProfile: null, eluWindows: [], badLines: 0, source: 'otlp',
        };
        this.procs.set(procKey, proc);
      }
      for (const ss of Array.isArray(rs?.scopeSpans) ? rs.scopeSpans : []) {
        for (const sp of Array.isArray(ss?.spans) ? ss.spans : []) {
          const s = this.toSpan(sp, proc);
          if (!s) { this.badRecords++; continue; }
          if (s.start < proc.header.startedAt) { proc.header.startedAt = s.start; proc.header.processStartedAt = s.start; }
          (this.sink ?? this.spans).push(s);
        }
      }
    }
  }

  /**
   * A database or FTP span that says where it was issued (`code.file.path`/`code.filepath`, `code.line.number`/
   * `code.lineno`, `code.function.name`/`code.function`): counted as a call site of its class, as the probes' are.
   */
  private noteCallSite(proc: ProcessTrace, s: TraceSpan, a: Record<string, Attr>): void {
    if (s.kind !== 'db' && s.kind !== 'ftp') return;
    const file = first(a, CODE_KEYS.file), line = first(a, CODE_KEYS.line);
    if (typeof file !== 'string' || typeof line !== 'number') return;
    const fn = first(a, CODE_KEYS.function), ns = first(a, CODE_KEYS.namespace);
    const column = first(a, CODE_KEYS.column);
    const system = s.kind === 'db' ? String(s.attrs['db.system'] ?? '') : 'ftp';
    const key = s.kind === 'db' ? String(s.attrs['db.fingerprint'] ?? '') : s.name;
    if (!key) return;
    const sites = (proc.callSites ??= []);
    let rec = sites.find((r) => r.kind === s.kind && r.system === system && r.key === key);
    if (!rec) { if (sites.length >= 10_000) return; sites.push((rec = { kind: s.kind, system, key, calls: 0, sites: [], unattributedCalls: 0 })); }
    rec.calls++;
    const fname = typeof fn === 'string' ? (typeof ns === 'string' && !fn.includes('.') ? `${ns}.${fn}` : fn) : null;
    const site = rec.sites.find((x) => x.frames[0]!.file === file && x.frames[0]!.line === line);
    if (site) site.calls++;
    else if (rec.sites.length < 16) rec.sites.push({ frames: [{ file, line, column: typeof column === 'number' ? column : 0, function: fname }], calls: 1 });
  }

  result(): OtlpResult {
    const processes = [...this.procs.values()].filter((p) => Number.isFinite(p.header.startedAt));
    this.spans.sort((a, b) => a.start - b.start);
    return { spans: this.spans, processes, badRecords: this.badRecords };
  }

  private toSpan(sp: OtlpSpan, proc: ProcessTrace): TraceSpan | null {
    const pid = proc.header.pid;
    const start = nanosToMs(sp?.startTimeUnixNano), end = nanosToMs(sp?.endTimeUnixNano);
    if (start === null || end === null || end < start || typeof sp.name !== 'string' || typeof sp.spanId !== 'string') return null;
    const a = flatten(sp.attributes, WANTED);
    const { kind, attrs } = this.classify(sp.name, a);
    const code = sp.status?.code;
    const error = code === 2 || code === 'STATUS_CODE_ERROR';
    const rowsV = first(a, KEYS.rows);
    const span: TraceSpan = {
      spanId: sp.spanId, parentSpanId: typeof sp.parentSpanId === 'string' && sp.parentSpanId !== '' ? sp.parentSpanId : null, pid,
      name: this.intern(sp.name), kind, start, end, error,
      errorType: error ? String(a['error.type'] ?? a['db.response.status_code'] ?? a['ftp.response.code'] ?? '') : null,
      rows: typeof rowsV === 'number' ? rowsV : null, attrs,
    };
    if (a['code.file.path'] !== undefined || a['code.filepath'] !== undefined) this.noteCallSite(proc, span, a);
    return span;
  }

  /**
   * One string object per distinct span name: JSON.parse makes a new string for every span, and a million spans
   * of a few names would keep a million copies (about 40 bytes each).
   */
  private intern(name: string): string {
    const have = this.names.get(name);
    if (have !== undefined) return have;
    if (this.names.size < 10_000) this.names.set(name, name);
    return name;
  }

  /** The span's kind and its sanitized attributes (db statements fingerprinted, shared per shape). */
  private classify(name: string, a: Record<string, Attr>): { kind: SpanKind; attrs: Readonly<Record<string, Attr>> } {
    if (typeof a['batch_doctor.stage.name'] === 'string') return { kind: 'stage', attrs: { 'batch_doctor.stage.name': a['batch_doctor.stage.name'] } };
    const system = first(a, KEYS.system);
    if (system !== undefined) {
      const stmt = first(a, KEYS.statement);
      const address = first(a, KEYS.address), port = first(a, KEYS.port), ns = first(a, KEYS.namespace);
      const sys = normalizeSystem(String(system));
      const kind: SpanKind = stmt === undefined && /connect/i.test(name) ? 'db-connect' : 'db';
      // Shapes are keyed by fingerprint, not by raw statement: a million statements with inline literals are a
      // handful of classes, and share one attribute object each (with --keep-literals the raw text is per span).
      const fp = typeof stmt === 'string' ? fingerprintSql(stmt, sys === 'postgresql' ? 'postgresql' : 'mysql') : null;
      const key = `${kind}\u0000${sys}\u0000${fp ? fp.text : name}\u0000${String(address)}\u0000${String(port)}\u0000${String(ns)}`;
      let attrs = this.shapes.get(key);
      if (!attrs) {
        const out: Record<string, Attr> = { 'db.system': sys };
        if (address !== undefined) out['server.address'] = address;
        if (port !== undefined) out['server.port'] = port;
        if (ns !== undefined) out['db.namespace'] = ns;
        if (fp) {
          out['db.fingerprint'] = fp.text;
          if (!fp.parsed) out['db.fingerprint.unparsed'] = true;
        }
        attrs = out;
        if (this.shapes.size < 100_000) this.shapes.set(key, attrs);
      }
      if (this.o.keepLiterals && typeof stmt === 'string') attrs = { ...attrs, 'db.statement.raw': stmt };
      return { kind, attrs };
    }
    if (name.startsWith('ftp.')) {
      const out: Record<string, Attr> = {};
      for (const k of ['ftp.bytes', 'ftp.transfer.mode', 'ftp.remote.ext', 'ftp.direction', 'ftp.response.code', 'server.address', 'server.port']) if (a[k] !== undefined) out[k] = a[k]!;
      if (this.o.keepLiterals && a['ftp.remote.path'] !== undefined) out['ftp.remote.path'] = a['ftp.remote.path']!;
      return { kind: 'ftp', attrs: out };
    }
    return { kind: 'other', attrs: {} };
  }
}

/** Database system names across conventions and SDKs, to the two families analysis knows. */
function normalizeSystem(s: string): string {
  const v = s.toLowerCase();
  if (v === 'postgresql' || v === 'postgres' || v === 'pg') return 'postgresql';
  if (v === 'mysql' || v === 'mariadb') return 'mysql';
  return v;
}

function first(a: Record<string, Attr>, keys: readonly string[]): Attr | undefined {
  for (const k of keys) if (a[k] !== undefined) return a[k];
  return undefined;
}

/** The span attributes the model uses (everything else is skipped while reading: a million spans, few keys). */
/** Where a span was issued in the application's code, old and new semantic-convention names. */
const CODE_KEYS = {
  file: ['code.file.path', 'code.filepath'],
  line: ['code.line.number', 'code.lineno'],
  column: ['code.column.number', 'code.column'],
  function: ['code.function.name', 'code.function'],
  namespace: ['code.namespace'],
} as const;

const WANTED = new Set<string>([
  ...Object.values(KEYS).flat(), ...Object.values(CODE_KEYS).flat(), 'batch_doctor.stage.name', 'error.type', 'db.response.status_code',
  'ftp.bytes', 'ftp.transfer.mode', 'ftp.remote.ext', 'ftp.remote.path', 'ftp.direction', 'ftp.response.code',
]);

/** OTLP key-values to a flat record (only `wanted` keys, when given); int64 strings become numbers; arrays and maps JSON text. */
function flatten(kvs: OtlpKeyValue[] | undefined, wanted?: ReadonlySet<string>): Record<string, Attr> {
  const out: Record<string, Attr> = {};
  if (!Array.isArray(kvs)) return out;
  for (const kv of kvs) {
    if (!kv || typeof kv.key !== 'string' || !kv.value || typeof kv.value !== 'object') continue;
    if (wanted && !wanted.has(kv.key)) continue;
    const v = kv.value;
    if (typeof v.stringValue === 'string') out[kv.key] = v.stringValue;
    else if (typeof v.boolValue === 'boolean') out[kv.key] = v.boolValue;
    else if (v.intValue !== undefined && Number.isFinite(Number(v.intValue))) out[kv.key] = Number(v.intValue);
    else if (typeof v.doubleValue === 'number') out[kv.key] = v.doubleValue;
    else if (v.arrayValue || v.kvlistValue) out[kv.key] = JSON.stringify(v.arrayValue ?? v.kvlistValue).slice(0, 4096);
  }
  return out;
}

/** Unix nanoseconds (string, number or Long) to epoch ms with sub-ms fraction; null when not a time. */
function nanosToMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v / 1e6 : null;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    // Split to keep precision: ms part and the sub-ms remainder.
    const ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
    const sub = Number(v.slice(-6)) / 1e6;
    return ms + sub;
  }
  if (v && typeof v === 'object' && 'low' in v && 'high' in v) {
    const l = v as { low: number; high: number };
    return ((l.high >>> 0) * 4294967296 + (l.low >>> 0)) / 1e6;
  }
  return null;
}

/**
 * Reads an OTLP JSON file (one export request per line, the Collector's file exporter) into the collector. Lines
 * are cut from 4 MiB chunks with a native byte search (readline is several times slower on megabyte lines); a
 * line longer than MAX_MESSAGE is skipped as one bad record.
 */
export async function readOtlpJsonFile(file: string, into: OtlpCollector, guard?: ReadGuard): Promise<void> {
  let fh: fs.promises.FileHandle;
  try { fh = await fs.promises.open(file, 'r'); } catch (err) { throw new TraceCorruptError(file, (err as Error).message); }
  let good = 0;
  const line = (b: Buffer, s: number, e: number) => {
    if (e <= s) return;
    let req: unknown;
    try { req = JSON.parse(b.toString('utf8', s, e)); } catch { into.badRecords++; return; }
    if (!req || typeof req !== 'object') { into.badRecords++; return; }
    good++;
    into.add(req as OtlpRequest);
  };
  try {
    let buf = Buffer.allocUnsafe(4 << 20);
    let carry = 0, pos = 0, skipping = false;
    for (;;) {
      if (carry === buf.length) {
        if (buf.length >= MAX_MESSAGE) { into.badRecords++; carry = 0; skipping = true; }
        else { const bigger = Buffer.allocUnsafe(buf.length * 2); buf.copy(bigger, 0, 0, carry); buf = bigger; }
      }
      checkRead(guard, file, pos, good);
      // Sequential reads (no position): a pipe reads like a file.
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      pos += bytesRead;
      const end = carry + bytesRead;
      let s = 0;
      for (;;) {
        const nl = buf.indexOf(10, s);
        if (nl < 0 || nl >= end) break;
        if (skipping) skipping = false; else line(buf, s, nl);
        s = nl + 1;
      }
      if (bytesRead === 0) { if (!skipping && s < end) line(buf, s, end); break; }
      carry = end - s;
      buf.copy(buf, 0, s, end);
    }
  } catch (err) {
    // Our own errors (a full disk under the span store, an interruption) pass as they are.
    if (err instanceof BatchDoctorError) throw err;
    throw new TraceCorruptError(file, (err as Error).message);
  } finally { await fh.close(); }
}

/** Empty length-prefixed messages in a row after which a file is no OTLP protobuf (a Collector never writes one). */
const MAX_EMPTY_MESSAGES = 1024;

/**
 * Reads an OTLP protobuf file: ExportTraceServiceRequest messages, each prefixed by its length (4 bytes,
 * big-endian), as the Collector's file exporter writes with `format: proto`. A truncated last message counts as
 * one bad record; a length beyond MAX_MESSAGE ends the file as corrupt.
 */
export async function readOtlpProtoFile(file: string, into: OtlpCollector, guard?: ReadGuard): Promise<void> {
  const { decodeExportTraceRequest } = await import('./otlp-proto.js');
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    let pos = 0, good = 0, empty = 0;
    for (;;) {
      checkRead(guard, file, pos, good);
      const { bytesRead } = await fh.read(head, 0, 4, null);
      if (bytesRead === 0) break;
      if (bytesRead < 4) { into.badRecords++; break; }
      const len = head.readUInt32BE(0);
      if (len > MAX_MESSAGE) throw new TraceCorruptError(file, `a message claims ${len} bytes, more than the ${MAX_MESSAGE} accepted: not an OTLP protobuf file, or corrupt`);
      pos += 4;
      // An empty message carries no span: a bad record (and what endless zeros decode to).
      if (len === 0) {
        into.badRecords++;
        if (++empty >= MAX_EMPTY_MESSAGES) throw new TraceCorruptError(file, `${empty} empty messages in a row: not an OTLP protobuf file (a file of zeros?)`);
        continue;
      }
      empty = 0;
      const buf = Buffer.alloc(len);
      const r = await fh.read(buf, 0, len, null);
      if (r.bytesRead < len) { into.badRecords++; break; }
      pos += len;
      const req = decodeExportTraceRequest(buf);
      if (req === null) into.badRecords++; else { good++; into.add(req as OtlpRequest); }
    }
  } finally { await fh.close(); }
}
