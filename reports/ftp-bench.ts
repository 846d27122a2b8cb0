import { escapeControl } from '../probes/sanitize';
import Table from 'cli-table3';
import type { FtpBenchReport } from '../src/model/ftp-bench';
import { bytes, ms } from './format';

/** Renderers of the ftp-bench result, by format name (formatting only). */
export const FTP_BENCH_RENDERERS: Readonly<Record<string, (r: FtpBenchReport) => string>> = {
  json: (r) => JSON.stringify(r, null, 2) + '\n',
  table: renderTable,
};

const rate = (bps: number | null) => (bps === null ? '-' : `${bytes(Math.round(bps))}/s`);

function renderTable(r: FtpBenchReport): string {
  const out: string[] = [];
  out.push(`FTP benchmark of ${r.server.url}${r.server.tls ? (r.server.tlsVerified ? ' (TLS, certificate verified)' : ' (TLS, certificate NOT verified: --insecure-tls)') : ''}`);
  out.push(`connect + login: ${ms(r.connect.meanMs)} mean, ${ms(r.connect.maxMs)} max over ${r.connect.attempts} connections`);
  const t = new Table({ head: ['workload', 'direction', 'streams', 'files', 'bytes', 'time', 'throughput'], colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right'], style: { head: [], border: [] } });
  for (const c of r.cells) t.push([c.workload, c.direction, c.streams, c.files, bytes(c.bytes), ms(c.wallMs), rate(c.throughput)]);
  out.push(t.toString());
  for (const rec of r.recommendations) {
    out.push(`recommended for ${rec.workload} ${rec.direction}: ${rec.streams} stream(s), ${rate(rec.throughput)} (${(rec.throughput / rec.singleStreamThroughput).toFixed(2)}x one stream)`);
  }
  if (r.perFileOverheadMs !== null) out.push(`per-file overhead: ${ms(r.perFileOverheadMs)} (commands and data connection per file)`);
  for (const n of r.limits.notes) out.push(`server: ${n}`);
  if (r.compression) {
    const c = r.compression;
    out.push(`compression (gzip -6) on ${c.files} sample file(s), ${bytes(c.bytes)}: ratio ${c.ratio.toFixed(3)}, ${ms(c.cpuMs)} CPU; ${c.savedMsPerMiB > 0 ? `saves ${ms(c.savedMsPerMiB)} per MiB sent` : `not worth it (${ms(-c.savedMsPerMiB)} lost per MiB)`}`);
  }
  out.push(r.scratchRemoved ? 'scratch directory removed' : 'WARNING: the scratch directory was not removed');
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return escapeControl(out.join('\n')) + '\n';
}
