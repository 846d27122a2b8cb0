import { loadPgParser } from '../../db/pg-parser';
import { annotateCallSites } from '../../collect/source-sites';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../analysis/analyze';
import { OtlpCollector, readOtlpJsonFile, readOtlpProtoFile } from '../../collect/otlp';
import { listTraceFiles, modelFromStore, readTraceFile } from '../../collect/read-trace';
import { SpanStore } from '../../collect/span-store';
import { checkRead, type ReadGuard } from '../../collect/read-guard';
import { writeFileAtomic } from '../../collect/write-file';
import { DEFAULT_CONFIG_FILE, loadThresholdsConfig } from '../../config/thresholds-config';
import { InputError, InterruptedError, UsageError, WriteError } from '../../errors';
import type { ProcessTrace, TraceModel } from '../../model/trace';
import { toolVersion } from '../../version';
import { getRenderer } from '../../../reports/registry';
import { ANALYZE, commandHelp, parseOptions } from '../options';
import type { CliIO, CliResult } from '../io';

/** The formats `analyze` reads, told apart by content (and `.pb`/`.binpb`/`.proto` for protobuf). */
export type TraceFileFormat = 'batch-doctor' | 'otlp-json' | 'otlp-proto';

/** Which format a file holds: its first bytes decide. */
export function detectFormat(file: string): TraceFileFormat {
  if (/\.(pb|binpb|proto|protobuf)$/i.test(file)) return 'otlp-proto';
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const n = fs.readSync(fd, buf, 0, 256, 0);
    const head = buf.subarray(0, n).toString('utf8').trimStart();
    if (head.startsWith('{"type":"header"') || head.startsWith('{"type": "header"')) return 'batch-doctor';
    if (head.startsWith('{')) return 'otlp-json';
    return 'otlp-proto';
  } finally { fs.closeSync(fd); }
}

/**
 * `batch-doctor analyze FILE|DIR...`: the full analysis and report from recorded traces, whatever recorded them:
 * batch-doctor's own trace files (a run directory), OTLP JSON from an OpenTelemetry Collector's file exporter, or
 * OTLP protobuf. All files make one run (one process per trace file or OTel resource).
 */
export async function analyzeCommand(args: string[], io: CliIO): Promise<CliResult> {
  const { values, positionals } = parseOptions(ANALYZE, args);
  if (values['help']) { io.stdout.write(commandHelp(ANALYZE)); return { exitCode: 0 }; }
  if (positionals.length === 0) throw new UsageError('Give the trace files or directories to analyze, for example: batch-doctor analyze otel-traces.jsonl');
  const configArg = values['config'] as string | undefined;
  const config = loadThresholdsConfig(path.resolve(io.cwd, configArg ?? DEFAULT_CONFIG_FILE), configArg !== undefined);
  const files: string[] = [];
  const pipes: string[] = [];
  for (const p of positionals) {
    const abs = path.resolve(io.cwd, p);
    let st: fs.Stats;
    try { st = fs.statSync(abs); } catch { throw new InputError(`Cannot read ${abs}: no such file or directory. Give trace files or the run directories that hold them.`); }
    if (st.isDirectory()) {
      const inDir = listTraceFiles(abs);
      if (inDir.length === 0) throw new InputError(`${abs} holds no trace-<pid>.jsonl files. Give a run directory of batch-doctor profile (<out>/runs/<id>), or the trace files themselves.`);
      files.push(...inDir);
    } else if (st.isFile()) files.push(abs);
    else if (st.isFIFO()) { files.push(abs); pipes.push(abs); }
    // A device (/dev/zero, /dev/urandom, a terminal) or a socket never ends and holds no trace.
    else throw new InputError(`${abs} is not a regular file, a directory or a pipe (it is a ${st.isCharacterDevice() ? 'character device' : st.isBlockDevice() ? 'block device' : st.isSocket() ? 'socket' : 'special file'}). Give trace files or the run directories that hold them.`);
  }
  const keepLiterals = !!values['keep-literals'];
  // Spans stream into a store: database calls become fixed-size rows spilled to a temporary file in sorted runs.
  const spans = new SpanStore();
  // Ctrl-C or a kill while reading: the spill file goes at once and the reading stops at its next chunk; during the
  // (synchronous) analysis, the handler runs after it and no report is written.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => { interrupted = sig; spans.interrupt(sig); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const guard: ReadGuard = { interrupted: () => interrupted };
  const spooled: string[] = [];
  try {
    // A pipe is read once: it is copied to a temporary file first, so that its format can be told from its start.
    for (const p of pipes) { const copy = await spoolPipe(p, guard); spooled.push(copy); files[files.indexOf(p)] = copy; }
    return await analyzeInto(spans, files, values, config, keepLiterals, io, guard);
  } catch (e) {
    if (!(e instanceof InterruptedError)) throw e;
    io.stderr.write(`batch-doctor: ${e.message} [${e.code}]\n`);
    return { exitCode: 130 };
  } finally {
    spans.close();
    for (const f of spooled) fs.rmSync(path.dirname(f), { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Copies a pipe into a private temporary file, stopping at an interruption. Returns the copy's path; when it fails or
 * is interrupted, the partial copy (an endless pipe fills it fast) is removed before the error goes on.
 */
async function spoolPipe(pipe: string, guard: ReadGuard): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-doctor-pipe-'));
  try {
    return await copyPipe(pipe, path.join(dir, path.basename(pipe)), guard);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function copyPipe(pipe: string, copy: string, guard: ReadGuard): Promise<string> {
  const out = fs.openSync(copy, 'w', 0o600);
  let fh: fs.promises.FileHandle;
  try { fh = await fs.promises.open(pipe, 'r'); } catch (e) { fs.closeSync(out); throw e; }
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let total = 0, newline = false;
    for (;;) {
      checkRead(guard, pipe, newline ? 0 : total, 0);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      // JSON lines hold a newline early; length-prefixed protobuf is accepted as it comes (its reader bounds it).
      if (!newline && (buf.subarray(0, bytesRead).includes(10) || total === 0 && buf.readUInt32BE(0) > 0)) newline = true;
      fs.writeSync(out, buf, 0, bytesRead);
      total += bytesRead;
    }
  } finally { await fh.close(); fs.closeSync(out); }
  return copy;
}

async function analyzeInto(spans: SpanStore, files: string[], values: Record<string, unknown>, config: ReturnType<typeof loadThresholdsConfig>, keepLiterals: boolean, io: CliIO, guard: ReadGuard): Promise<CliResult> {
  const processes: ProcessTrace[] = [];
  const otlp = new OtlpCollector({ keepLiterals }, spans);
  let bad = 0;
  for (const f of files) {
    const fmt = detectFormat(f);
    if (fmt === 'batch-doctor') { const p = await readTraceFile(f, spans, guard); if (p) processes.push(p); else bad++; }
    else if (fmt === 'otlp-json') await readOtlpJsonFile(f, otlp, guard);
    else await readOtlpProtoFile(f, otlp, guard);
  }
  const o = otlp.result();
  for (const p of o.processes) processes.push(p);
  if (o.badRecords > 0 && processes.length) processes[processes.length - 1]!.badLines += o.badRecords;
  if (spans.count === 0) {
    throw new InputError(`No spans found in ${files.join(', ')}${bad + o.badRecords ? ` (${bad + o.badRecords} unreadable records)` : ''}. Give trace-<pid>.jsonl files of batch-doctor profile, or OTLP JSON (one export request per line) or protobuf (length-prefixed) from an OpenTelemetry Collector file exporter.`);
  }
  let startedAt = spans.minStart, endedAt = spans.maxEnd;
  for (const p of processes) startedAt = Math.min(startedAt, p.header.processStartedAt, p.header.startedAt);
  for (const p of processes) if (p.footer) endedAt = Math.max(endedAt, p.footer.endedAt);
  const model: TraceModel = modelFromStore(
    { command: ['batch-doctor', 'analyze', ...files.map((f) => path.basename(f))], startedAt, endedAt, exitCode: null, signal: null },
    processes, spans,
  );
  annotateCallSites(model.processes, io.cwd);
  // Statement shapes an ORM writes are read with PostgreSQL's own parser (WebAssembly, loaded once).
  await loadPgParser().catch(() => undefined);
  const report = analyze(model, {
    toolVersion: toolVersion(),
    ...(config ? { thresholds: config.thresholds, stageThresholds: config.stages, thresholdsFile: config.file } : {}),
  });
  const sig = guard.interrupted();
  if (sig) throw new InterruptedError(sig);
  const outDir = path.resolve(io.cwd, (values['out'] as string | undefined) ?? 'batch-doctor-report');
  try { fs.mkdirSync(outDir, { recursive: true }); } catch (e) { throw new WriteError(outDir, (e as Error).message); }
  writeFileAtomic(path.join(outDir, 'report.json'), getRenderer('json')!.render(report));
  writeFileAtomic(path.join(outDir, 'report.html'), getRenderer('html')!.render(report));
  const format = (values['format'] as string | undefined) ?? 'table';
  if (format !== 'none') io.stderr.write(getRenderer(format)!.render(report, { color: !!io.stderr.isTTY, width: io.stderr.columns ?? 100 }));
  io.stderr.write(`batch-doctor: ${spans.count} spans from ${files.length} file(s), ${processes.length} process(es); report written to ${path.relative(io.cwd, path.join(outDir, 'report.json')) || 'report.json'} and report.html\n`);
  return { exitCode: 0 };
}
