import { quantile, round3 } from '../intervals';
import type { Detector, RawFinding } from './types';

/**
 * Transfers far below the throughput the same server gave elsewhere in the same run: the same link and
 * server moved other files of the same size class several times faster, so the slow ones were stalled (a
 * lost data connection retried by a timeout, a server-side lock, a throttled session) rather than limited
 * by bandwidth. Only files of at least thresholds.minTransferBytesForThroughput count: small files measure
 * round trips, not throughput.
 *
 * Saving model: each slow transfer at the run's 90th-percentile throughput for that server and direction:
 * saving = sum of (its time - bytes / that throughput), bounded by the transfers' time on the critical path.
 */
export const ftpSlowTransfer: Detector = {
  id: 'ftp-slow-transfer',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const spans = trace.spans.filter((s) => s.kind === 'ftp' && (s.name === 'ftp.upload' || s.name === 'ftp.download') && !s.error
      && typeof s.attrs['ftp.bytes'] === 'number' && (s.attrs['ftp.bytes'] as number) >= t.minTransferBytesForThroughput && s.end > s.start);
    if (spans.length < 3) return { status: 'no-data', reason: `fewer than 3 FTP transfers of at least ${t.minTransferBytesForThroughput} bytes: no throughput to compare with` };
    const groups = new Map<string, typeof spans>();
    for (const s of spans) {
      const k = `${s.name}|${String(s.attrs['server.address'])}:${String(s.attrs['server.port'])}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(s);
    }
    const findings: RawFinding[] = [];
    for (const [k, g] of groups) {
      if (g.length < 3) continue;
      const bps = (s: (typeof g)[number]) => (s.attrs['ftp.bytes'] as number) / ((s.end - s.start) / 1000);
      const best = quantile(g.map(bps).sort((a, b) => a - b), 0.9);
      const slow = g.filter((s) => bps(s) * t.slowTransferFactor < best);
      if (slow.length === 0) continue;
      const excess = slow.reduce((a, s) => a + (s.end - s.start) - ((s.attrs['ftp.bytes'] as number) / best) * 1000, 0);
      const saving = Math.min(excess, ctx.soleMs(slow));
      const [dir, server] = k.split('|');
      findings.push({
        id: `ftp-slow-transfer:${k}`,
        kind: 'ftp-slow-transfer',
        title: `${slow.length} FTP ${dir === 'ftp.upload' ? 'uploads' : 'downloads'} to ${server} ran at under 1/${t.slowTransferFactor} of the throughput the others got`,
        category: 'ftp',
        scope: ['ftp:transfers'],
        estimatedSavingMs: round3(Math.max(0, saving)),
        confidence: 'low',
        savingModel: `each slow transfer at the run's 90th-percentile throughput on this server (${Math.round(best)} B/s): its time minus bytes / that throughput, summed (${round3(excess)} ms), bounded by their time on the critical path`,
        evidence: {
          summary: `${slow.length} of ${g.length} transfers of >= ${t.minTransferBytesForThroughput} bytes were more than ${t.slowTransferFactor}x slower than the 90th percentile (${Math.round(best)} B/s); slowest ${Math.round(Math.min(...slow.map(bps)))} B/s`,
          metrics: { slow: slow.length, transfers: g.length, p90Bps: Math.round(best), slowestBps: Math.round(Math.min(...slow.map(bps))), excessMs: round3(excess) },
        },
        recommendation: {
          summary: 'Look at the server log around those transfers (a stalled data connection waits for a timeout), set an explicit data-connection timeout in the client (basic-ftp: new Client(timeoutMs)) and retry that file, instead of waiting for the default.',
        },
      });
    }
    return { status: 'ran', findings };
  },
};
