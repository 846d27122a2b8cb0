import { checkRead, type ReadGuard } from './read-guard';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { BatchDoctorError, TraceCorruptError, TraceMissingError } from '../errors';
import { FAST_BLOCK_COLUMNS, type CompactSpan, type FastSpanBlockRecord, type ShapeRecord, type SpanRecord } from '../../probes/trace-records';
import { unitKeyOf, type ProcessTrace, type RunInfo, type TraceModel, type TraceSpan } from '../model/trace';
import { SpanStore, type SpanSink } from './span-store';

/** Longest line accepted, characters: a bound on memory for a hostile or broken file. */
const MAX_LINE = 16 * 1024 * 1024;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStrOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

/** Parses one trace file's lines into spans and a process record. Pure apart from reading the stream. */
export async function readTraceFile(file: string, into: SpanSink, guard?: ReadGuard): Promise<ProcessTrace | null> {
  const shapes = new Map<number, ShapeRecord>();
  let proc: ProcessTrace | null = null;
  let bad = 0;
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let bytes = 0, lines = 0;
  try {
    for await (const line of rl) {
      bytes += line.length + 1;
      // Every 256 lines: an interruption stops the read at once, and input without a record is given up on.
      if ((++lines & 255) === 0) checkRead(guard, file, bytes, lines - bad);
      if (line.length === 0) continue;
      if (line.length > MAX_LINE) { bad++; continue; }
      let rec: unknown;
      try { rec = JSON.parse(line); } catch { bad++; continue; }
      if (Array.isArray(rec)) {
        const s = compactToSpan(rec as CompactSpan, shapes, (proc ? unitKeyOf(proc.header) : 0));
        if (s) into.push(s); else bad++;
        continue;
      }
      if (!rec || typeof rec !== 'object') { bad++; continue; }
      const r = rec as { type?: unknown };
      switch (r.type) {
        case 'header': {
          const h = rec as ProcessTrace['header'];
          if (!isNum(h.pid) || !isNum(h.startedAt)) { bad++; break; }
          proc = { header: h, footer: null, cpuProfile: null, eluWindows: [], badLines: 0 };
          break;
        }
        case 'shape': {
          const s = rec as ShapeRecord;
          if (isNum(s.id) && typeof s.name === 'string' && s.attrs && typeof s.attrs === 'object') shapes.set(s.id, s); else bad++;
          break;
        }
        case 'fast': {
          bad += fastBlockToSpans(rec as FastSpanBlockRecord, shapes, (proc ? unitKeyOf(proc.header) : 0), into);
          break;
        }
        case 'span': {
          const s = fullToSpan(rec as SpanRecord, (proc ? unitKeyOf(proc.header) : 0));
          if (s) into.push(s); else bad++;
          break;
        }
        case 'elu': {
          const w = (rec as { windows?: unknown }).windows;
          if (proc && Array.isArray(w) && w.length % 3 === 0 && w.every(isNum)) for (const x of w) proc.eluWindows.push(x); else bad++;
          break;
        }
        case 'mem': {
          const m = (rec as { samples?: unknown }).samples;
          if (proc && Array.isArray(m) && m.length % 6 === 0 && m.every(isNum)) for (const x of m) (proc.memSamples ??= []).push(x); else bad++;
          break;
        }
        case 'post-gc': {
          const m = (rec as { samples?: unknown }).samples;
          if (proc && Array.isArray(m) && m.length % 2 === 0 && m.every(isNum)) for (const x of m) (proc.postGc ??= []).push(x); else bad++;
          break;
        }
        case 'cpu-profile':
          if (proc && Array.isArray((rec as { functions?: unknown }).functions)) proc.cpuProfile = rec as ProcessTrace['cpuProfile']; else bad++;
          break;
        case 'footer':
          if (proc) proc.footer = rec as ProcessTrace['footer']; else bad++;
          break;
        default:
          bad++;
      }
    }
  } catch (err) {
    // Our own errors (a full disk under the span store, an interruption) pass as they are.
    if (err instanceof BatchDoctorError) throw err;
    throw new TraceCorruptError(file, (err as Error).message);
  } finally {
    rl.close();
    stream.destroy();
  }
  if (proc) proc.badLines = bad;
  return proc;
}

function compactToSpan(r: CompactSpan, shapes: Map<number, ShapeRecord>, pid: number): TraceSpan | null {
  if (r.length !== 7) return null;
  const [shapeId, spanId, parent, start, end, rows, err] = r;
  const shape = shapes.get(shapeId);
  if (!shape || typeof spanId !== 'string' || !isStrOrNull(parent) || !isNum(start) || !isNum(end) || end < start) return null;
  return {
    spanId, parentSpanId: parent, pid, name: shape.name, kind: shape.kind, start, end,
    error: err !== null, errorType: typeof err === 'string' && err !== '' ? err : null,
    rows: isNum(rows) ? rows : null, attrs: shape.attrs,
  };
}

/** The spans of a fast-path block (see {@link FastSpanBlockRecord}); returns how many rows were unusable. */
function fastBlockToSpans(r: FastSpanBlockRecord, shapes: Map<number, ShapeRecord>, pid: number, into: SpanSink): number {
  const n = r.n;
  if (!Number.isInteger(n) || n < 0 || typeof r.cols !== 'string' || !Array.isArray(r.parents) || !Array.isArray(r.errors)) return 1;
  const bytes = Buffer.from(r.cols, 'base64');
  if (bytes.length !== n * FAST_BLOCK_COLUMNS * 8) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parents = new Map<number, unknown>(r.parents.filter(Array.isArray).map((e) => [e[0], e[1]] as const));
  const errors = new Map<number, unknown>(r.errors.filter(Array.isArray).map((e) => [e[0], e[1]] as const));
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const o = i * FAST_BLOCK_COLUMNS * 8;
    const seq = view.getFloat64(o + 8, true), rows = view.getFloat64(o + 32, true);
    const parent = parents.get(i) ?? null, err = errors.get(i) ?? null;
    if (!Number.isSafeInteger(seq) || seq < 0 || !isStrOrNull(parent) || !isStrOrNull(err)) { bad++; continue; }
    const s = compactToSpan([view.getFloat64(o, true), `f${seq.toString(16).padStart(15, '0')}`, parent, view.getFloat64(o + 16, true),
      view.getFloat64(o + 24, true), Number.isNaN(rows) ? null : rows, err], shapes, pid);
    if (s) into.push(s); else bad++;
  }
  return bad;
}

function fullToSpan(r: SpanRecord, pid: number): TraceSpan | null {
  if (typeof r.spanId !== 'string' || typeof r.name !== 'string' || !isNum(r.start) || !isNum(r.end) || r.end < r.start) return null;
  const attrs = r.attrs && typeof r.attrs === 'object' ? r.attrs : {};
  const rows = attrs['db.response.returned_rows'];
  const et = attrs['error.type'];
  return {
    spanId: r.spanId, parentSpanId: isStrOrNull(r.parentSpanId) ? r.parentSpanId : null, pid, name: r.name,
    kind: (['db', 'db-connect', 'ftp', 'stage', 'other'] as const).includes(r.kind) ? r.kind : 'other',
    start: r.start, end: r.end, error: !!r.error, errorType: typeof et === 'string' ? et : null,
    rows: isNum(rows) ? rows : null, attrs,
  };
}

/** Lists the trace files of a trace directory. */
export function listTraceFiles(dir: string): string[] {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { throw new TraceMissingError(dir); }
  return names.filter((n) => /^trace-\d+(-t\d+)?\.jsonl$/.test(n)).sort().map((n) => path.join(dir, n));
}

/** Reads every trace file of a run directory into `into`; returns the processes. */
export async function readTraceFiles(dir: string, into: SpanSink): Promise<ProcessTrace[]> {
  const files = listTraceFiles(dir);
  if (files.length === 0) throw new TraceMissingError(dir);
  const processes: ProcessTrace[] = [];
  for (const f of files) {
    const p = await readTraceFile(f, into);
    if (p) processes.push(p);
  }
  if (processes.length === 0) throw new TraceCorruptError(files[0]!, 'no header record');
  return processes;
}

/** The trace model of spans pushed into a store: ends the store's writing (close the model's source when done). */
export function modelFromStore(run: RunInfo, processes: ProcessTrace[], store: SpanStore): TraceModel {
  const source = store.finish();
  return { run, processes, spans: store.detail, source };
}

/** Reads every trace file of a run into one trace model (close its `source` when done). */
export async function readTraceDir(dir: string, run: RunInfo): Promise<TraceModel> {
  const store = new SpanStore();
  try { return modelFromStore(run, await readTraceFiles(dir, store), store); } catch (e) { store.close(); throw e; }
}
