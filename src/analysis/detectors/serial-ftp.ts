import type { FtpBenchReport, FtpRecommendation } from '../../model/ftp-bench';
import { round3 } from '../intervals';
import type { Detector } from './types';
import { transferLabel } from '../../model/report';

/**
 * The benchmark's measured recommendation for transfers like the run's: same direction, and the workload whose
 * file size is nearest to the run's mean file size on a log scale (per-file overhead dominates small files,
 * throughput large ones; a 200 KiB file behaves more like 2 MiB than like 16 KiB).
 */
function measured(bench: FtpBenchReport | null, direction: 'upload' | 'download', meanBytes: number): FtpRecommendation | undefined {
  if (!bench) return undefined;
  let best: { rec: FtpRecommendation; distance: number } | undefined;
  for (const rec of bench.recommendations) {
    if (rec.direction !== direction || rec.workload === 'segmented-download') continue;
    const cell = bench.cells.find((c) => c.workload === rec.workload && c.direction === direction && c.files > 0);
    if (!cell) continue;
    const distance = Math.abs(Math.log(Math.max(1, cell.bytes / cell.files)) - Math.log(Math.max(1, meanBytes)));
    if (!best || distance < best.distance) best = { rec, distance };
  }
  return best?.rec;
}

/**
 * Serial FTP or SFTP transfers: several files moved one after another (SFTP: ftp-bench's figures are not used).
 *
 * Saving model: with N streams giving a speed-up S over one stream, the transfer phase lasts about
 * max(total / S, longest file) (a greedy schedule is within 4/3 of that).
 * - With `profile --ftp-bench`: N and S are measured on the same server (the knee of its
 *   throughput curve for files of this size and direction); confidence high.
 * - Without: N = min(4, files) and S = N, which holds when each connection, not the link, limits
 *   throughput (a per-session rate cap such as vsftpd local_max_rate or pure-ftpd -T, or the TCP
 *   window over a long round trip); on a link that one stream saturates the gain is nil, hence
 *   confidence low.
 */
export const serialFtp: Detector = {
  id: 'serial-ftp',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const f = ctx.ftp;
    if (f.files === 0) return { status: 'no-data', reason: 'no FTP or SFTP uploads or downloads were recorded' };
    if (f.maxParallel > 1 || f.files < t.minSerialTransfers || f.transferMs < t.minSerialTransferMs) return { status: 'ran', findings: [] };
    const allUp = f.transfers.every((x) => x.direction === 'upload');
    const allDown = f.transfers.every((x) => x.direction === 'download');
    const dir = allUp ? 'uploads' : allDown ? 'downloads' : 'transfers';
    const label = transferLabel(f.protocols);
    const sftp = label === 'SFTP';
    // ftp-bench measures FTP servers: its figures say nothing about an SFTP server.
    const rec = sftp ? undefined : measured(ctx.ftpBench, allDown ? 'download' : 'upload', f.bytes / f.files);
    const n = rec ? Math.min(rec.streams, f.files) : Math.min(t.ftpStreams, f.files);
    const speedup = rec ? Math.min(n, rec.throughput / rec.singleStreamThroughput) : n;
    if (rec && (rec.streams <= 1 || speedup < 1.1)) return { status: 'ran', findings: [] }; // measured: parallel streams do not help here
    const longest = Math.max(...f.transfers.map((x) => x.ms));
    // Transfer time on the critical path: database work running alongside would still take its time.
    const total = Math.min(f.transferMs, ctx.soleMs(trace.spans.filter((s) => s.kind === 'ftp' && (s.name === 'ftp.upload' || s.name === 'ftp.download'))));
    const saving = Math.max(0, total - Math.max(total / speedup, longest));
    return {
      status: 'ran',
      findings: [{
        id: 'serial-ftp:' + dir,
        kind: 'serial-ftp',
        scope: ['ftp:transfers'],
        title: `Serial ${label} ${dir}: ${f.files} files one after another over one connection`,
        category: 'ftp',
        estimatedSavingMs: round3(saving),
        confidence: rec ? 'high' : 'low',
        savingModel: rec
          ? `${round3(total)} ms of transfers at the ${round3(speedup)}x speed-up measured on this server with ${n} streams (ftp-bench): max(total / ${round3(speedup)}, longest file ${round3(longest)} ms)`
          : `${round3(total)} ms of transfers spread over ${n} connections: max(total / ${n}, longest file ${round3(longest)} ms); assumes each connection, not the link, limits throughput`,
        evidence: {
          summary: `${f.files} ${dir}, ${f.bytes} bytes in ${round3(total)} ms (${f.throughput ?? '?'} B/s overall), never more than one at a time${rec ? `; ftp-bench measured ${Math.round(rec.throughput)} B/s with ${rec.streams} streams against ${Math.round(rec.singleStreamThroughput)} B/s with one` : ''}`,
          metrics: {
            files: f.files, bytes: f.bytes, transferMs: total, throughputBps: f.throughput ?? 'unknown', maxParallel: f.maxParallel, longestMs: round3(longest),
            ...(rec ? { measuredStreams: rec.streams, measuredSpeedup: round3(speedup), measuredThroughputBps: Math.round(rec.throughput) } : {}),
          },
        },
        recommendation: {
          summary: sftp
            ? `Transfer with ${n} SFTP sessions at once (open ${n} ssh2-sftp-client clients and share the file list). batch-doctor ftp-bench does not measure SFTP servers yet, so the speed-up is assumed: check the server's session limits (sshd MaxSessions, MaxStartups) and its CPU, which encryption loads.`
            : `Transfer with ${n} connections at once (basic-ftp moves one file at a time per Client, so open ${n} Clients and share the file list).${rec ? '' : ' Measure the server first with batch-doctor ftp-bench: per-IP connection limits (vsftpd max_per_ip) answer 421.'}`,
          code: sftp ? [
            `const queue = [...files];`,
            `await Promise.all(Array.from({ length: ${n} }, async () => {`,
            `  const c = new SftpClient();`,
            `  await c.connect(options);`,
            `  try { for (let f; (f = queue.shift()); ) await c.put(f, path.basename(f)); }`,
            `  finally { await c.end(); }`,
            `}));`,
          ].join('\n') : [
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
