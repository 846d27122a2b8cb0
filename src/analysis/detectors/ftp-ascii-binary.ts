import type { Detector } from './types';
import { remoteExt } from './span-stats';

/** Extensions of binary formats, which ASCII mode corrupts (it rewrites line endings). */
const BINARY = new Set(['.gz', '.zip', '.bz2', '.xz', '.zst', '.7z', '.tar', '.tgz', '.pdf', '.png', '.jpg', '.jpeg', '.gif', '.webp',
  '.xlsx', '.xls', '.docx', '.parquet', '.avro', '.orc', '.bin', '.dat.gz', '.pgp', '.gpg', '.enc', '.p7m']);

/**
 * Binary files moved in ASCII mode (TYPE A): the server (or client) rewrites CR/LF line endings, which
 * corrupts archives, images and spreadsheets, and costs CPU on both sides. A correctness risk first: the
 * finding is reported whatever time it saves.
 *
 * Saving model: none claimed (0 ms): the cost is broken files, not time.
 */
export const ftpAsciiBinary: Detector = {
  id: 'ftp-ascii-binary',
  detect(trace) {
    const spans = trace.spans.filter((s) => s.kind === 'ftp' && (s.name === 'ftp.upload' || s.name === 'ftp.download') && typeof s.attrs['ftp.transfer.mode'] === 'string');
    if (spans.length === 0) return { status: 'no-data', reason: 'no FTP transfers with a known transfer mode were recorded' };
    const ext = remoteExt;
    const bad = spans.filter((s) => s.attrs['ftp.transfer.mode'] === 'ascii' && BINARY.has(ext(s)));
    if (bad.length === 0) return { status: 'ran', findings: [] };
    const exts = [...new Set(bad.map(ext))].join(', ');
    return {
      status: 'ran',
      findings: [{
        id: 'ftp-ascii-binary',
        kind: 'ftp-ascii-binary',
        title: `${bad.length} binary files (${exts}) transferred in ASCII mode`,
        category: 'ftp',
        scope: ['ftp:transfers'],
        estimatedSavingMs: 0,
        confidence: 'high',
        savingModel: 'no time saving claimed: ASCII mode rewrites line endings, which corrupts binary files',
        risk: `Corrupted files: ${exts} files sent with TYPE A have CR/LF bytes rewritten in transit.`,
        evidence: {
          summary: `${bad.length} transfers of ${exts} files ran after TYPE A (ASCII)`,
          metrics: { files: bad.length, transfers: spans.length },
        },
        recommendation: {
          summary: 'Transfer binary files in binary mode (TYPE I): basic-ftp uses it by default; remove the client.send("TYPE A") (or ascii option) before these transfers.',
        },
      }],
    };
  },
};
