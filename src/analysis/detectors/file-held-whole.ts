import { round3 } from '../intervals';
import { MEM_SAMPLE_FIELDS } from '../memory';
import { unitKeyOf } from '../../model/trace';
import type { Detector, RawFinding } from './types';

/** Bytes of a stream's chunk a streamed transfer holds at once (Node's default highWaterMark for byte streams, 64 KiB). */
const STREAM_CHUNK_BYTES = 64 * 1024;
/**
 * Multiple of a transfer's bytes the memory must have grown by to say the file was held whole: 1, the whole file.
 * A streamed transfer also leaves its chunks behind as garbage (Buffers, external memory) until a collection frees
 * them; measured on the testbed's SFTP pair, fixtures/pipelines/memory: 0.68x the bytes for a 48 MiB fastPut
 * streamed from disk, 1.86x for the same file downloaded into one Buffer (its chunks plus their concatenation).
 */
const HELD_SHARE = 1;
/**
 * After a transfer ends, how long its memory is still looked at, ms: one second covers the sample (every 100 ms)
 * after a short transfer and the job handing the downloaded bytes on.
 */
const AFTER_MS = 1000;
/** Before a transfer starts, how far back the memory's low point is looked for, ms (a file read into memory just before its upload). */
const BEFORE_MS = 5000;
const F = MEM_SAMPLE_FIELDS;

const mib = (b: number) => round3(b / 1048576);

/**
 * A file held whole in memory for a transfer: a download collected into a Buffer (or a string) before it is used, an
 * upload of a file first read whole (readFile, a Buffer, a gzip of it in memory). A streamed transfer holds one
 * chunk (64 KiB) at a time, whatever the file's size; held whole, memory grows with the largest file, and the
 * night the file is larger than the machine's memory the job fails.
 *
 * Method, per transfer of at least minHeldFileBytes, in its process's memory samples (heap used + external, where
 * Buffers live): the highest sample from its start to AFTER_MS after its end, minus the lowest from BEFORE_MS before
 * its start (or the previous transfer's end, if later) up to that peak: the rise while it moved, uploads (a file read
 * whole just before) and downloads alike. Held whole when that growth is at least HELD_SHARE times the file's bytes.
 *
 * Memory model: streamed (a path or a read stream for uploads, a write stream for downloads), the peak drops by the
 * growth of the largest file held, plus one chunk per transfer in flight: predicted peak = peak - growth + 64 KiB.
 * Time: none claimed (streaming from or to disk moves the same bytes; the transfer time stays).
 */
export const fileHeldWhole: Detector = {
  id: 'file-held-whole',
  detect(trace, ctx) {
    const transfers = trace.spans.filter((s) => s.kind === 'ftp' && /download|upload|append/i.test(s.name) && typeof s.attrs['ftp.bytes'] === 'number');
    if (transfers.length === 0) return { status: 'no-data', reason: 'no file transfer with its byte count was recorded' };
    const samples = new Map(trace.processes.filter((p) => (p.memSamples?.length ?? 0) >= F).map((p) => [unitKeyOf(p.header), p]));
    if (samples.size === 0) return { status: 'no-data', reason: 'no memory samples were recorded (older probes, or an OpenTelemetry trace)' };
    const minBytes = ctx.thresholds.minHeldFileBytes;
    const held: { name: string; ext: string | null; bytes: number; growth: number; pid: number; peak: number }[] = [];
    const prevEnd = new Map<number, number>();
    for (const s of [...transfers].sort((a, b) => a.start - b.start)) {
      const bytes = Number(s.attrs['ftp.bytes']);
      const p = samples.get(s.pid);
      const before = prevEnd.get(s.pid) ?? -Infinity;
      prevEnd.set(s.pid, Math.max(before, s.end));
      if (!p || bytes < minBytes) continue;
      const m = p.memSamples!;
      // The peak: the highest sample from the transfer's start to AFTER_MS after its end.
      let high = -Infinity, highAt = 0, last: number | null = null;
      for (let i = 0; i + F <= m.length; i += F) {
        const t = m[i]!, v = m[i + 1]! + m[i + 3]!;
        if (t <= s.start) last = v;
        else if (t <= s.end + AFTER_MS && v > high) { high = v; highAt = t; }
      }
      if (high === -Infinity || last === null) continue;
      // The base: the lowest sample from BEFORE_MS before the start (or the previous transfer's end) up to the peak.
      // Garbage another transfer left just before (a streamed upload's chunks) may be collected only during this one.
      let base = last;
      for (let i = 0; i + F <= m.length; i += F) {
        const t = m[i]!;
        if (t >= Math.max(before, s.start - BEFORE_MS) && t < highAt) base = Math.min(base, m[i + 1]! + m[i + 3]!);
      }
      const growth = high - base;
      if (growth >= HELD_SHARE * bytes) {
        const ext = s.attrs['ftp.remote.ext'];
        held.push({ name: s.name, ext: ext === undefined ? null : String(ext).replace(/^\./, ''), bytes, growth, pid: s.pid, peak: high });
      }
    }
    if (held.length === 0) return { status: 'ran', findings: [] };
    const findings: RawFinding[] = [];
    // One finding per process: the largest file held decides its peak.
    for (const pid of new Set(held.map((h) => h.pid))) {
      const mine = held.filter((h) => h.pid === pid).sort((a, b) => b.growth - a.growth);
      const top = mine[0]!;
      const proc = samples.get(pid)!;
      const limit = typeof proc.footer?.memory?.heapLimit === 'number' ? proc.footer.memory.heapLimit : null;
      const downloads = mine.filter((h) => /download/i.test(h.name)).length;
      const uploads = mine.length - downloads;
      const what = [downloads ? `${downloads} download(s)` : '', uploads ? `${uploads} upload(s)` : ''].filter(Boolean).join(' and ');
      const predicted = Math.max(0, Math.round(top.peak - top.growth + STREAM_CHUNK_BYTES));
      findings.push({
        id: `file-held-whole:${proc.header.pid}${proc.header.threadId ? `-t${proc.header.threadId}` : ''}`,
        kind: 'file-held-whole',
        title: `Files held whole in memory for ${what}: the largest, ${mib(top.bytes)} MiB, raised memory by ${mib(top.growth)} MiB`,
        category: 'ftp',
        scope: [`memory:${pid}`],
        estimatedSavingMs: 0,
        confidence: 'medium',
        savingModel: 'no time saving claimed: streaming moves the same bytes; the cost is memory',
        risk: `Memory grows with the largest file: ${mine.length} transfer(s) of ${mib(minBytes)} MiB or more were held whole (memory rose by at least each file's size while it moved), peaking at ${mib(top.peak)} MiB${limit ? ` with a ${mib(limit)} MiB heap limit` : ''}. A file larger than the memory left stops the job.`,
        memory: {
          peakBytes: top.peak, predictedPeakBytes: predicted, heapLimitBytes: limit, shareOfLimit: limit ? round3(top.peak / limit) : null,
          model: `peak - the largest held file's growth (${mib(top.growth)} MiB) + one 64 KiB stream chunk`,
        },
        evidence: {
          summary: mine.slice(0, 5).map((h) => `${h.name}${h.ext ? ` *.${h.ext}` : ''} of ${mib(h.bytes)} MiB: memory +${mib(h.growth)} MiB`).join('; '),
          metrics: { transfers: mine.length, largestBytes: top.bytes, largestGrowthBytes: Math.round(top.growth), peakBytes: top.peak, predictedPeakBytes: predicted, ...(limit ? { heapLimitBytes: limit } : {}) },
        },
        recommendation: {
          summary: downloads && !uploads
            ? 'Download to a file or a stream you consume as it arrives (basic-ftp: client.downloadTo(fs.createWriteStream(path), remote), then read it line by line), instead of collecting the bytes in memory.'
            : 'Upload from a path or a read stream (basic-ftp: client.uploadFrom(localPath, remote) or fs.createReadStream), and compress with a stream (zlib.createGzip) rather than reading the whole file into a Buffer.',
          code: [
            "// before: the whole file in memory",
            "await client.uploadFrom(Readable.from(fs.readFileSync(file)), remote);",
            "// after: streamed from disk, 64 KiB at a time",
            "await client.uploadFrom(fs.createReadStream(file), remote);",
            "// downloads: to a write stream, not a Buffer",
            "await client.downloadTo(fs.createWriteStream(localPath), remote);",
          ].join('\n'),
        },
      });
    }
    return { status: 'ran', findings };
  },
};
