import { round3 } from '../intervals';
import type { Detector } from './types';
import { protocolOf } from '../ftp-summary';
import { remoteExt } from './span-stats';

/** Extensions of text data that gzip shrinks several times (delimited text, markup, logs). */
const TEXT = new Set(['.csv', '.tsv', '.txt', '.json', '.jsonl', '.ndjson', '.xml', '.log', '.sql', '.dat', '.psv', '.html']);
/**
 * Compression ratio assumed without a measurement: 3x, the low end of gzip -6 on CSV/JSON exports (numbers
 * and repeated values compress 3-10x). ftp-bench --sample measures the real one.
 */
const ASSUMED_RATIO = 3;
/** gzip -6 throughput of one core, bytes/s, assumed without a measurement: ~40 MB/s on current x86 servers. */
const ASSUMED_GZIP_BPS = 40e6;

/**
 * Compressible data sent uncompressed: text files moved as they are. Worth it only where the transfer, not
 * the round trips, takes the time: the saving model charges the compression CPU against it.
 *
 * Saving model: transfer time of text files on the critical path x (1 - 1 / ratio) minus the CPU to gzip
 * them (bytes / gzip throughput). The ratio is measured: by `ftp-bench --sample` when given, else by the probes on
 * the first 64 KiB of the first uploads of each kind of file (`ftp.sample.gzip_ratio`, weighted by the bytes of the transfers that have one),
 * else assumed (3x, low confidence). Throughput: ftp-bench's, else assumed 40 MB/s.
 */
export const ftpUncompressed: Detector = {
  id: 'ftp-uncompressed',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const spans = trace.spans.filter((s) => s.kind === 'ftp' && (s.name === 'ftp.upload' || s.name === 'ftp.download') && !s.error && typeof s.attrs['ftp.bytes'] === 'number');
    if (spans.length === 0) return { status: 'no-data', reason: 'no FTP or SFTP transfers with a byte count were recorded' };
    const ext = remoteExt;
    const text = spans.filter((s) => TEXT.has(ext(s)));
    const bytes = text.reduce((a, s) => a + (s.attrs['ftp.bytes'] as number), 0);
    if (bytes < t.minCompressibleBytes) return { status: 'ran', findings: [] };
    const measured = ctx.ftpBench?.compression ?? null;
    const sampled = text.filter((s) => typeof s.attrs['ftp.sample.gzip_ratio'] === 'number');
    const sampledBytes = sampled.reduce((a, s) => a + (s.attrs['ftp.bytes'] as number), 0);
    // Bytes-weighted harmonic mean: total original bytes over total compressed bytes.
    const sampledRatio = sampledBytes > 0 ? sampledBytes / sampled.reduce((a, s) => a + (s.attrs['ftp.bytes'] as number) / (s.attrs['ftp.sample.gzip_ratio'] as number), 0) : null;
    const ratio = measured ? Math.max(1, measured.bytes / Math.max(1, measured.gzipBytes)) : sampledRatio !== null ? Math.max(1, sampledRatio) : ASSUMED_RATIO;
    const ratioSource = measured ? 'ratio and speed measured by ftp-bench --sample' : sampledRatio !== null ? `ratio measured by the probes on the first 64 KiB of ${sampled.length === text.length ? '' : `${sampled.length} of `}${text.length} upload(s); gzip speed assumed ${ASSUMED_GZIP_BPS / 1e6} MB/s` : `assumed ratio ${ASSUMED_RATIO}x and ${ASSUMED_GZIP_BPS / 1e6} MB/s: measure with batch-doctor ftp-bench --sample <a file>`;
    const gzipBps = measured && measured.cpuMs > 0 ? measured.bytes / (measured.cpuMs / 1000) : ASSUMED_GZIP_BPS;
    const sole = ctx.soleMs(text);
    const cpu = (bytes / gzipBps) * 1000;
    const saving = Math.max(0, sole * (1 - 1 / ratio) - cpu);
    const exts = [...new Set(text.map(ext))].join(', ');
    const sftp = text.every((s) => protocolOf(s.attrs) === 'sftp');
    return {
      status: 'ran',
      findings: [{
        id: 'ftp-uncompressed',
        kind: 'ftp-uncompressed',
        title: `${text.length} text files (${exts}) sent uncompressed: ${round3(bytes / 1048576)} MiB`,
        category: 'ftp',
        scope: ['ftp:transfers'],
        estimatedSavingMs: round3(saving),
        confidence: measured || sampledRatio !== null ? 'medium' : 'low',
        savingModel: `${round3(sole)} ms of these transfers on the critical path x (1 - 1/${round3(ratio)}) minus ${round3(cpu)} ms to gzip ${bytes} bytes (${ratioSource})`,
        evidence: {
          summary: `${text.length} transfers of ${exts} files, ${bytes} bytes, none compressed`,
          metrics: { files: text.length, bytes, criticalMs: round3(sole), ratio: round3(ratio), gzipCpuMs: round3(cpu) },
        },
        recommendation: {
          summary: sftp
            ? 'Send them gzip-compressed (name.csv.gz) if the receiver accepts it, compressing while uploading; or, if the files must arrive as they are, turn on SSH compression (ssh2 algorithms.compress: zlib@openssh.com), which the server must allow.'
            : 'Send them gzip-compressed (name.csv.gz) if the receiver accepts it: compress while uploading, no temporary file.',
          code: sftp ? [
            `const zlib = require('node:zlib');`,
            `await sftp.put(fs.createReadStream(file).pipe(zlib.createGzip({ level: 6 })), path.basename(file) + '.gz');`,
          ].join('\n') : [
            `const zlib = require('node:zlib');`,
            `const { pipeline } = require('node:stream');`,
            `const gz = zlib.createGzip({ level: 6 });`,
            `pipeline(fs.createReadStream(file), gz, () => {});`,
            `await client.uploadFrom(gz, path.basename(file) + '.gz');`,
          ].join('\n'),
        },
      }],
    };
  },
};
