import type { FtpBenchCell, FtpRecommendation, FtpServerLimits } from '../model/ftp-bench';

/**
 * What ftp-bench's measurements say: the knee of each throughput curve, the server's limits, the recommendations.
 * Pure functions over the cells (src/ftp/bench.ts runs the transfers).
 */

/** A throughput within this share of the best counts as as good: the knee is the smallest such stream count. */
export const KNEE_TOLERANCE = 0.10;
/**
 * Throughput growing to at least this share of N x the single stream at N streams means each connection, not
 * the link, is the limit (a per-session rate cap). 0.8: loopback and LAN links carry 4 capped streams at >90%.
 */
export const LINEAR_SCALING_SHARE = 0.8;

/** The knee: the smallest stream count within KNEE_TOLERANCE of the best. */
export function knee(cells: Pick<FtpBenchCell, 'streams' | 'throughput'>[]): { streams: number; throughput: number } | null {
  if (cells.length === 0) return null;
  const best = Math.max(...cells.map((c) => c.throughput));
  const ok = cells.filter((c) => c.throughput >= best * (1 - KNEE_TOLERANCE)).sort((a, b) => a.streams - b.streams);
  return { streams: ok[0]!.streams, throughput: ok[0]!.throughput };
}

/** What the measurements say about the server's limits. */
export function inferLimits(cells: FtpBenchCell[], refusedAt: { streams: number; codes: string[] }[]): FtpServerLimits {
  const notes: string[] = [];
  let maxConnections: number | null = null;
  for (const r of refusedAt) {
    const accepted = r.streams - r.codes.length;
    maxConnections = maxConnections === null ? accepted : Math.min(maxConnections, accepted);
    notes.push(`at ${r.streams} streams the server refused ${r.codes.length} connection(s) (${[...new Set(r.codes)].join(', ')})${r.codes.includes('421') ? ': 421 usually means a per-IP or total connection limit (vsftpd max_per_ip / max_clients, pure-ftpd -C / -c)' : ''}`);
  }
  const large = cells.filter((c) => c.workload === 'large-files' && c.direction === 'upload' && c.refusedConnections === 0);
  const one = large.find((c) => c.streams === 1);
  let perSessionCapLikely = false;
  if (one) {
    const scaled = large.filter((c) => c.streams > 1);
    // With fewer files than streams, only `files` transfers run at once.
    const parallel = (c: FtpBenchCell) => Math.min(c.streams, c.files);
    perSessionCapLikely = scaled.length > 0 && scaled.every((c) => c.throughput >= LINEAR_SCALING_SHARE * parallel(c) * one.throughput);
    if (perSessionCapLikely) notes.push(`throughput grows with streams (${scaled.map((c) => `${parallel(c)}: ${(c.throughput / one.throughput).toFixed(2)}x`).join(', ')}): each session is capped near ${(one.throughput / 1e6).toFixed(2)} MB/s (a per-session rate limit such as vsftpd local_max_rate), so parallel streams pay off`);
  }
  return { maxConnections, perSessionCapLikely, perStreamThroughput: one?.throughput ?? null, notes };
}

/** The recommendation per workload and direction (at its knee), and the per-file overhead of small files, ms. */
export function recommend(cells: FtpBenchCell[]): { recommendations: FtpRecommendation[]; perFileOverheadMs: number | null } {
  const recommendations: FtpRecommendation[] = [];
  for (const workload of ['small-files', 'large-files', 'segmented-download'] as const) {
    for (const direction of ['upload', 'download'] as const) {
      const cs = cells.filter((c) => c.workload === workload && c.direction === direction);
      const k = knee(cs);
      if (!k) continue;
      // A segmented download is compared with downloading the whole file over one connection.
      const single = workload === 'segmented-download'
        ? cells.find((c) => c.workload === 'large-files' && c.direction === 'download' && c.streams === 1)
        : cs.find((c) => c.streams === 1);
      recommendations.push({ workload, direction, ...k, singleStreamThroughput: (single ?? cs[0]!).throughput });
    }
  }
  const oneSmall = cells.find((c) => c.workload === 'small-files' && c.direction === 'upload' && c.streams === 1);
  const oneLarge = cells.find((c) => c.workload === 'large-files' && c.direction === 'upload' && c.streams === 1);
  const perFileOverheadMs = oneSmall && oneLarge ? Math.max(0, (oneSmall.wallMs - (oneSmall.bytes / oneLarge.throughput) * 1000) / oneSmall.files) : null;
  return { recommendations, perFileOverheadMs };
}
