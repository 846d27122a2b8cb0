import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { TraceCorruptError, TraceMissingError } from '../errors';
import type { CompactSpan, ShapeRecord, SpanRecord } from '../../probes/trace-records';
import type { ProcessTrace, RunInfo, TraceModel, TraceSpan } from '../model/trace';

/** Longest line accepted, characters: a bound on memory for a hostile or broken file. */
const MAX_LINE = 16 * 1024 * 1024;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStrOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

/** Parses one trace file's lines into spans and a process record. Pure apart from reading the stream. */
export async function readTraceFile(file: string, into: TraceSpan[]): Promise<ProcessTrace | null> {
  const shapes = new Map<number, ShapeRecord>();
  let proc: ProcessTrace | null = null;
  let bad = 0;
  const stream = fs.createReadStream(file, { encoding: 'utf8' });
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      if (line.length === 0) continue;
      if (line.length > MAX_LINE) { bad++; continue; }
      let rec: unknown;
      try { rec = JSON.parse(line); } catch { bad++; continue; }
      if (Array.isArray(rec)) {
        const s = compactToSpan(rec as CompactSpan, shapes, proc?.header.pid ?? 0);
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
        case 'span': {
          const s = fullToSpan(rec as SpanRecord, proc?.header.pid ?? 0);
          if (s) into.push(s); else bad++;
          break;
        }
        case 'elu': {
          const w = (rec as { windows?: unknown }).windows;
          if (proc && Array.isArray(w) && w.length % 3 === 0 && w.every(isNum)) for (const x of w) proc.eluWindows.push(x); else bad++;
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
  return names.filter((n) => /^trace-\d+\.jsonl$/.test(n)).sort().map((n) => path.join(dir, n));
}

/** Reads every trace file of a run into one trace model. */
export async function readTraceDir(dir: string, run: RunInfo): Promise<TraceModel> {
  const files = listTraceFiles(dir);
  if (files.length === 0) throw new TraceMissingError(dir);
  const spans: TraceSpan[] = [];
  const processes: ProcessTrace[] = [];
  for (const f of files) {
    const p = await readTraceFile(f, spans);
    if (p) processes.push(p);
  }
  if (processes.length === 0) throw new TraceCorruptError(files[0]!, 'no header record');
  spans.sort((a, b) => a.start - b.start);
  return { run, processes, spans };
}
