import type { FtpSummary, FtpTransfer } from '../model/report';
import type { TraceModel } from '../model/trace';
import { maxConcurrency, round3, unionLength, type Interval } from './intervals';

const TRANSFER_SPANS = new Set(['ftp.upload', 'ftp.download']);

/** The FTP table: every transfer, and totals over the run. */
export function summarizeFtp(model: TraceModel): FtpSummary {
  const spans = model.spans.filter((s) => s.kind === 'ftp' && TRANSFER_SPANS.has(s.name));
  const transfers: FtpTransfer[] = spans.map((s) => {
    const bytes = typeof s.attrs['ftp.bytes'] === 'number' ? (s.attrs['ftp.bytes'] as number) : null;
    const ms = s.end - s.start;
    return {
      direction: s.name === 'ftp.download' ? 'download' : 'upload',
      server: `${String(s.attrs['server.address'] ?? '?')}:${String(s.attrs['server.port'] ?? '?')}`,
      file: String(s.attrs['ftp.remote.path'] ?? s.attrs['ftp.remote.ext'] ?? ''),
      bytes, ms: round3(ms), throughput: bytes !== null && ms > 0 ? Math.round(bytes / (ms / 1000)) : null,
      mode: typeof s.attrs['ftp.transfer.mode'] === 'string' ? (s.attrs['ftp.transfer.mode'] as string) : null,
      error: s.error,
    };
  });
  const ivs = spans.map((s) => [s.start, s.end] as Interval);
  const transferMs = unionLength(ivs);
  const bytes = transfers.reduce((a, t) => a + (t.bytes ?? 0), 0);
  const connects = model.spans.filter((s) => s.kind === 'ftp' && s.name === 'ftp.connect');
  const protocols = new Set<'ftp' | 'sftp'>();
  for (const s of model.spans) if (s.kind === 'ftp') protocols.add(protocolOf(s.attrs));
  return {
    transfers, protocols: [...protocols].sort(), files: transfers.length, bytes, transferMs: round3(transferMs),
    throughput: transferMs > 0 && bytes > 0 ? Math.round(bytes / (transferMs / 1000)) : null,
    connections: connects.length, connectMs: round3(connects.reduce((a, s) => a + s.end - s.start, 0)),
    maxParallel: maxConcurrency(ivs),
  };
}

/** The protocol of a file-transfer span (`ftp.protocol`; FTP when absent, as in traces of older probes). */
export function protocolOf(attrs: Readonly<Record<string, unknown>>): 'ftp' | 'sftp' {
  return attrs['ftp.protocol'] === 'sftp' ? 'sftp' : 'ftp';
}
