import { nPlusOneRead } from './n-plus-one-read';
import { rowByRowWrite } from './row-by-row-write';
import { serialFtp } from './serial-ftp';
import { missingIndex } from './missing-index';
import { chattyProgress } from './chatty-progress';
import { cpuHotSpot } from './cpu-hot-spot';
import { connectionPerQuery } from './connection-per-query';
import { commitPerRow } from './commit-per-row';
import { largeResultSet } from './large-result-set';
import { sequentialQueries } from './sequential-queries';
import { ftpConnectionPerFile } from './ftp-connection-per-file';
import { ftpUncompressed } from './ftp-uncompressed';
import { ftpAsciiBinary } from './ftp-ascii-binary';
import { ftpSlowTransfer } from './ftp-slow-transfer';
import { gcPressure } from './gc-pressure';
import { eventLoopBlocked } from './event-loop-blocked';
import { serialStages } from './serial-stages';
import { errorsAndRetries } from './errors-and-retries';
import { failedLogins } from './failed-logins';
import { heapNearLimit } from './heap-near-limit';
import { memoryAccumulation } from './memory-accumulation';
import { fileHeldWhole } from './file-held-whole';
import type { Detector } from './types';

export type { Detector, DetectorContext, DetectorResult, RawFinding } from './types';

/** Every detector, in one list (database, FTP, logic, structure). */
export const DETECTORS: readonly Detector[] = [
  nPlusOneRead, rowByRowWrite, chattyProgress, commitPerRow, connectionPerQuery, largeResultSet, missingIndex, sequentialQueries,
  serialFtp, ftpConnectionPerFile, ftpUncompressed, ftpAsciiBinary, ftpSlowTransfer, fileHeldWhole,
  cpuHotSpot, gcPressure, eventLoopBlocked, heapNearLimit, memoryAccumulation,
  serialStages, errorsAndRetries, failedLogins,
];
