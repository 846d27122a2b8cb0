/**
 * Worker thread of the parallel slow-log reader: parses one byte range of the
 * file and sends back its accumulator state (fingerprints and numbers only).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DigestAccumulator } from '../digest';
import { readMysqlSlowLog } from './mysql-slow-log';

const { file, start, end } = workerData as { file: string; start: number; end: number };
const acc = new DigestAccumulator();
readMysqlSlowLog(file, acc, { start, end })
  .then((r) => parentPort!.postMessage({ ok: true, state: acc.exportState(), badRecords: r.badRecords, bytes: r.bytes }))
  .catch((err: NodeJS.ErrnoException) => parentPort!.postMessage({ ok: false, code: err?.code ?? 'read error' }));
