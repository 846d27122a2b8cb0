import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FtpBenchCell, FtpBenchReport } from '../model/ftp-bench';
import { FTP_BENCH_SCHEMA_VERSION } from '../model/ftp-bench';
import { ftpErrorCode, type ConnectOptions, type FtpSession } from './session';
import { Writable } from 'node:stream';
import { inferLimits, recommend } from './bench-analysis';
import { HashSink, verifyBytes, verifyDownload, verifyUploadSize, type LocalFile } from './bench-verify';

/** Pause before retrying refused connections, ms: long enough for a server to release closed sessions. */
const REFUSAL_RETRY_MS = 300;
/** Attempts to remove the scratch directory (250 ms, 500 ms... apart). */
const CLEANUP_ATTEMPTS = 5;

export { knee, inferLimits, KNEE_TOLERANCE, LINEAR_SCALING_SHARE } from './bench-analysis';

/** What to run. */
export interface BenchOptions {
  connect: ConnectOptions;
  /** Opens a session (injected so scheduling can be tested without a server). */
  open: (o: ConnectOptions) => Promise<FtpSession>;
  streams: number[];
  smallFiles: { count: number; size: number };
  largeFiles: { count: number; size: number };
  /** Segments for the segmented download of one large file; 0 to skip. */
  segmented: boolean;
  directions: ('upload' | 'download')[];
  /** Progress: what runs, and how many of its items are done (a TTY bar, or nothing). */
  progress: (message: string, done?: number, total?: number) => void;
  /** Set when the user interrupts: the bench stops between files and cleans up. */
  signal: AbortSignal;
  toolVersion: string;
}

class Aborted extends Error { constructor() { super('interrupted'); } }

function makeFiles(dir: string, prefix: string, count: number, size: number): LocalFile[] {
  const out: LocalFile[] = [];
  for (let i = 0; i < count; i++) {
    // Random bytes: incompressible, so no transparent compression can flatter the figures.
    const buf = randomBytes(size);
    const name = `${prefix}-${String(i).padStart(4, '0')}.bin`;
    const file = path.join(dir, name);
    fs.writeFileSync(file, buf, { flag: 'wx' });
    out.push({ name, file, size, sha256: createHash('sha256').update(buf).digest('hex') });
  }
  return out;
}

/** Opens up to n sessions; counts the ones the server refuses (421, refused or reset connections). */
async function openMany(o: BenchOptions, n: number): Promise<{ sessions: FtpSession[]; refused: number; codes: string[]; connectMs: number[] }> {
  const sessions: FtpSession[] = [];
  const codes: string[] = [];
  const connectMs: number[] = [];
  const attempt = (k: number) => Promise.allSettled(Array.from({ length: k }, async () => {
    const t = performance.now();
    const s = await o.open(o.connect);
    connectMs.push(performance.now() - t);
    return s;
  }));
  let results = await attempt(n);
  for (const r of results) if (r.status === 'fulfilled') sessions.push(r.value);
  if (sessions.length < n) {
    // A server frees the slots of just-closed sessions a moment later: retry the refused ones once
    // before calling it a limit.
    await new Promise((r) => setTimeout(r, REFUSAL_RETRY_MS));
    results = await attempt(n - sessions.length);
    for (const r of results) {
      if (r.status === 'fulfilled') sessions.push(r.value);
      else codes.push(ftpErrorCode(r.reason));
    }
  }
  return { sessions, refused: n - sessions.length, codes, connectMs };
}

/** Runs `work` over `items` with one worker per session. */
async function spread<T>(sessions: FtpSession[], items: T[], signal: AbortSignal, work: (s: FtpSession, item: T) => Promise<void>, onDone?: (done: number) => void): Promise<void> {
  const queue = [...items];
  let done = 0;
  await Promise.all(sessions.map(async (s) => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      if (signal.aborted) throw new Aborted();
      await work(s, item);
      onDone?.(++done);
    }
  }));
}

/**
 * Runs the benchmark in a fresh scratch directory on the server: uploads (many small files, a few large
 * ones) and downloads of what was uploaded, at each stream count, then a segmented download of one large
 * file over several connections (REST offsets). Every file is verified: uploads by size, downloads by
 * SHA-256. The scratch directory is removed at the end, on failure and on interruption.
 */
export async function runFtpBench(o: BenchOptions): Promise<Omit<FtpBenchReport, 'compression'>> {
  const startedAt = new Date().toISOString();
  const local = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-ftp-bench-'));
  const scratch = `batch-doctor-bench-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
  const cells: FtpBenchCell[] = [];
  const refusedAt: { streams: number; codes: string[] }[] = [];
  const connectMs: number[] = [];
  const warnings: string[] = [];
  let control: FtpSession | null = null;
  let created = false;
  // On interruption, close every open session at once: in-flight transfers stop instead of finishing.
  const open = new Set<FtpSession>();
  const track = (s: FtpSession) => { open.add(s); return s; };
  const closeAll = () => { for (const s of open) s.close(); };
  o.signal.addEventListener('abort', closeAll, { once: true });
  const tracked: BenchOptions = { ...o, open: async (c) => track(await o.open(c)) };
  let scratchRemoved = false;
  try {
    const small = makeFiles(local, 'small', o.smallFiles.count, o.smallFiles.size);
    const large = makeFiles(local, 'large', o.largeFiles.count, o.largeFiles.size);
    const t = performance.now();
    control = await o.open(o.connect);
    connectMs.push(performance.now() - t);
    await control.mkdir(scratch); // fails if it exists: we never write into a directory we did not create
    created = true;
    // Free the connection slot: servers limit connections per address, and cleanup opens its own session.
    control.close();
    control = null;
    o.progress(`scratch directory ${scratch} created`);
    const scratchConnect: ConnectOptions = { ...o.connect, target: { ...o.connect.target, dir: o.connect.target.dir ? path.posix.join(o.connect.target.dir, scratch) : scratch } };
    const bo: BenchOptions = { ...tracked, connect: scratchConnect };
    for (const n of o.streams) {
      const { sessions, refused, codes, connectMs: cm } = await openMany(bo, n);
      connectMs.push(...cm);
      if (refused > 0) refusedAt.push({ streams: n, codes });
      if (sessions.length === 0) { warnings.push(`no connection at ${n} streams`); continue; }
      try {
        for (const [workload, files] of [['small-files', small], ['large-files', large]] as const) {
          if (files.length === 0) continue;
          // Each stream count writes its own copies: nothing is ever overwritten.
          const names = new Map(files.map((f) => [f, `n${n}-${f.name}`]));
          {
            // Downloads need the files on the server: they are uploaded (and verified) in any case.
            const label = `${workload}: upload, ${sessions.length} stream(s)`;
            o.progress(label, 0, files.length);
            const t0 = performance.now();
            await spread(sessions, files, o.signal, (s, f) => s.upload(f.file, names.get(f)!), (d) => o.progress(label, d, files.length));
            const wall = performance.now() - t0;
            for (const f of files) {
              const size = await sessions[0]!.size(names.get(f)!);
              verifyUploadSize(names.get(f)!, size, f.size);
            }
            if (o.directions.includes('upload')) cells.push(cell(workload, 'upload', sessions.length, files, wall, refused));
          }
          if (o.directions.includes('download')) {
            const label = `${workload}: download, ${sessions.length} stream(s)`;
            o.progress(label, 0, files.length);
            const t0 = performance.now();
            await spread(sessions, files, o.signal, async (s, f) => {
              const sink = new HashSink();
              await s.download(names.get(f)!, sink);
              verifyDownload(`the download of ${names.get(f)}`, sink, f);
            }, (d) => o.progress(label, d, files.length));
            cells.push(cell(workload, 'download', sessions.length, files, performance.now() - t0, refused));
          }
        }
      } finally {
        for (const s of sessions) s.close();
      }
      if (o.segmented && o.directions.includes('download') && large.length > 0 && n > 1) {
        cells.push(await segmentedDownload(bo, n, large[0]!, `n${n}-${large[0]!.name}`));
      }
    }
  } catch (err) {
    if (!(err instanceof Aborted) && !o.signal.aborted) throw err;
    warnings.push('interrupted: the results are partial');
  } finally {
    o.signal.removeEventListener('abort', closeAll);
    // Clean up on success, failure and interruption: a fresh session, since the others may be broken.
    if (created) {
      control?.close();
      // Retried: a server may not have released the slots of the sessions just closed (421 to a new one).
      let last: unknown;
      for (let attempt = 0; attempt < CLEANUP_ATTEMPTS && !scratchRemoved; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * attempt));
        try {
          const c = await o.open(o.connect);
          try { await c.removeDir(scratch); scratchRemoved = true; } finally { c.close(); }
        } catch (e) { last = e; }
      }
      if (!scratchRemoved) warnings.push(`could not remove the scratch directory ${scratch} (${ftpErrorCode(last)}): remove it by hand`);
    } else control?.close();
    fs.rmSync(local, { recursive: true, force: true });
  }
  const { recommendations, perFileOverheadMs } = recommend(cells);
  const t = o.connect.target;
  return {
    schemaVersion: FTP_BENCH_SCHEMA_VERSION,
    tool: { name: 'batch-doctor', version: o.toolVersion },
    server: { url: `${t.tls ? 'ftps' : 'ftp'}://${encodeURIComponent(t.user)}@${t.host}:${t.port}/${t.dir.split('/').map(encodeURIComponent).join('/')}`, tls: t.tls, tlsVerified: t.tls ? o.connect.verifyTls : null },
    startedAt,
    connect: { attempts: connectMs.length, meanMs: connectMs.length ? connectMs.reduce((a, b) => a + b, 0) / connectMs.length : 0, maxMs: connectMs.length ? Math.max(...connectMs) : 0 },
    cells, recommendations, limits: inferLimits(cells, refusedAt), perFileOverheadMs, scratchRemoved, warnings,
  };
}

function cell(workload: FtpBenchCell['workload'], direction: FtpBenchCell['direction'], streams: number, files: LocalFile[], wallMs: number, refused: number): FtpBenchCell {
  const bytes = files.reduce((a, f) => a + f.size, 0);
  return { workload, direction, streams, files: files.length, bytes, wallMs, throughput: bytes / (wallMs / 1000), verified: true, refusedConnections: refused };
}

/** Downloads one file in `n` segments over `n` fresh connections (REST offsets); verifies the reassembled hash. */
async function segmentedDownload(o: BenchOptions, n: number, f: LocalFile, name: string): Promise<FtpBenchCell> {
  const seg = Math.ceil(f.size / n);
  const parts: Buffer[] = new Array(n);
  const { sessions, refused } = await openMany(o, n);
  o.progress(`segmented download: ${sessions.length} segment(s)`);
  const t0 = performance.now();
  try {
    const segs = Array.from({ length: n }, (_, i) => i);
    await spread(sessions, segs, o.signal, async (s, i) => {
      const start = i * seg, len = Math.min(seg, f.size - start);
      const chunks: Buffer[] = [];
      let got = 0;
      // basic-ftp has no end offset: read from REST start, keep `len` bytes, then drop the connection.
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          const take = Math.min(chunk.length, len - got);
          if (take > 0) { chunks.push(chunk.subarray(0, take)); got += take; }
          cb(got >= len ? new Error('segment complete') : null);
        },
      });
      await s.download(name, sink, start).catch((e: Error) => { if (got < len) throw e; });
      parts[i] = Buffer.concat(chunks);
    });
  } finally {
    for (const s of sessions) s.close();
  }
  const wall = performance.now() - t0;
  const whole = Buffer.concat(parts);
  verifyBytes(`the segmented download of ${name}`, whole, f);
  return { workload: 'segmented-download', direction: 'download', streams: sessions.length, files: 1, bytes: f.size, wallMs: wall, throughput: f.size / (wall / 1000), verified: true, refusedConnections: refused };
}
