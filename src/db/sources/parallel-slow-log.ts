import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DigestAccumulator, type AccumulatorState } from '../digest';
import { PARALLEL_MIN_BYTES, readMysqlSlowLog, recordBoundaries } from './mysql-slow-log';

/** Most worker threads for one file (more than the cores only adds contention). */
export const MAX_SLOW_LOG_WORKERS = 8;

/**
 * Reads a slow log on several threads (as pgBadger's -j): the file is cut at
 * record starts, each range is parsed by a worker, the states are merged. The
 * result is the same as a single-threaded read. Falls back to one thread for
 * small files, one core, or when the compiled worker is not there (tests run
 * from the TypeScript sources).
 */
export async function readMysqlSlowLogParallel(file: string, acc: DigestAccumulator, threads = os.availableParallelism()): Promise<{ bytes: number; badRecords: number; threads: number }> {
  const size = fs.statSync(file).size;
  const worker = path.join(__dirname, 'slow-log-worker.js');
  const n = Math.min(MAX_SLOW_LOG_WORKERS, Math.max(1, threads), Math.ceil(size / PARALLEL_MIN_BYTES));
  if (n < 2 || !fs.existsSync(worker)) return { ...await readMysqlSlowLog(file, acc), threads: 1 };
  const cuts = await recordBoundaries(file, size, n);
  const results = await Promise.all(cuts.slice(0, -1).map((start, i) => new Promise<{ state: AccumulatorState; badRecords: number; bytes: number }>((resolve, reject) => {
    const w = new Worker(worker, { workerData: { file, start, end: cuts[i + 1]! } });
    w.once('message', (m: { ok: boolean; state: AccumulatorState; badRecords: number; bytes: number; code?: string }) => {
      void w.terminate();
      if (m.ok) resolve(m); else reject(Object.assign(new Error(`reading failed (${m.code})`), { code: m.code }));
    });
    w.once('error', reject);
  })));
  let bad = 0, bytes = 0;
  for (const r of results) { acc.mergeState(r.state); bad += r.badRecords; bytes += r.bytes; }
  return { bytes, badRecords: bad, threads: cuts.length - 1 };
}
