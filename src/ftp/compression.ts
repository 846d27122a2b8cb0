import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FtpCompressionEstimate } from '../model/ftp-bench';
import { UsageError } from '../errors';

/** Most bytes of the sample read (a bound on time and memory): 64 MiB. */
const MAX_SAMPLE_BYTES = 64 * 1024 * 1024;

/** Files under `p` (a file or a directory, not recursing into hidden directories), up to the byte budget. */
function sampleFiles(p: string): string[] {
  let st: fs.Stats;
  try { st = fs.statSync(p); } catch { throw new UsageError(`--sample ${p}: no such file or directory.`); }
  if (st.isFile()) return [p];
  const out: string[] = [];
  let budget = MAX_SAMPLE_BYTES;
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (budget <= 0 || e.name.startsWith('.')) continue;
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) { out.push(f); budget -= fs.statSync(f).size; }
    }
  };
  walk(p);
  return out;
}

/**
 * gzip (level 6) ratio and CPU cost on a sample of the user's files, and the predicted transfer time saved
 * per MiB at `throughput` bytes/s: the time to send the bytes saved, minus the time to compress them
 * (compression runs on the sender; decompression on the receiver is several times faster and not counted).
 */
export function estimateCompression(samplePath: string, throughput: number): FtpCompressionEstimate {
  const files = sampleFiles(samplePath);
  if (files.length === 0) throw new UsageError(`--sample ${samplePath} holds no files.`);
  let bytes = 0, gz = 0, cpu = 0;
  for (const f of files) {
    const buf = fs.readFileSync(f);
    const t = process.cpuUsage();
    gz += gzipSync(buf, { level: 6 }).length;
    const d = process.cpuUsage(t);
    cpu += (d.user + d.system) / 1000;
    bytes += buf.length;
  }
  const mib = bytes / (1024 * 1024);
  const ratio = bytes > 0 ? gz / bytes : 1;
  const sendMsPerMiB = (1024 * 1024 / throughput) * 1000;
  const savedMsPerMiB = sendMsPerMiB * (1 - ratio) - (mib > 0 ? cpu / mib : 0);
  return { files: files.length, bytes, gzipBytes: gz, ratio, cpuMs: cpu, savedMsPerMiB };
}
