import { round3 } from '../intervals';
import type { Detector } from './types';

/**
 * Serial FTP transfers: several files moved one after another.
 *
 * Saving model: with N streams, files are spread over N connections; the
 * transfer phase then lasts about max(total / N, longest file) (a greedy
 * schedule is within 4/3 of that). This holds when each connection, not the
 * link, limits throughput: a per-session rate cap (vsftpd local_max_rate,
 * pure-ftpd -T), or the TCP window over a long round trip. On a link that one
 * stream already saturates the gain is nil, hence low confidence until
 * `batch-doctor ftp-bench` has measured the server.
 */
export const serialFtp: Detector = {
  id: 'serial-ftp',
  detect(_trace, ctx) {
    const t = ctx.thresholds;
    const f = ctx.ftp;
    if (f.files === 0) return { status: 'no-data', reason: 'no FTP uploads or downloads were recorded' };
    if (f.maxParallel > 1 || f.files < t.minSerialTransfers || f.transferMs < t.minSerialTransferMs) return { status: 'ran', findings: [] };
    const n = Math.min(t.ftpStreams, f.files);
    const longest = Math.max(...f.transfers.map((x) => x.ms));
    const total = f.transferMs;
    const saving = Math.max(0, total - Math.max(total / n, longest));
    const dir = f.transfers.every((x) => x.direction === 'upload') ? 'uploads' : f.transfers.every((x) => x.direction === 'download') ? 'downloads' : 'transfers';
    return {
      status: 'ran',
      findings: [{
        id: 'serial-ftp:' + dir,
        kind: 'serial-ftp',
        title: `Serial FTP ${dir}: ${f.files} files one after another over one connection`,
        category: 'ftp',
        estimatedSavingMs: round3(saving),
        confidence: 'low',
        savingModel: `${round3(total)} ms of transfers spread over ${n} connections: max(total / ${n}, longest file ${round3(longest)} ms); assumes each connection, not the link, limits throughput`,
        evidence: {
          summary: `${f.files} ${dir}, ${f.bytes} bytes in ${round3(total)} ms (${f.throughput ?? '?'} B/s overall), never more than one at a time`,
          metrics: { files: f.files, bytes: f.bytes, transferMs: total, throughputBps: f.throughput ?? 'unknown', maxParallel: f.maxParallel, longestMs: round3(longest) },
        },
        recommendation: {
          summary: `Transfer with ${n} connections at once (basic-ftp moves one file at a time per Client, so open ${n} Clients and share the file list). Measure the server first with batch-doctor ftp-bench: per-IP connection limits (vsftpd max_per_ip) answer 421.`,
          code: [
            `const queue = [...files];`,
            `await Promise.all(Array.from({ length: ${n} }, async () => {`,
            `  const c = new ftp.Client();`,
            `  await c.access(options);`,
            `  try { for (let f; (f = queue.shift()); ) await c.uploadFrom(f, path.basename(f)); }`,
            `  finally { c.close(); }`,
            `}));`,
          ].join('\n'),
        },
      }],
    };
  },
};
