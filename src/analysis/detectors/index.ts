import { nPlusOneRead } from './n-plus-one-read';
import { rowByRowWrite } from './row-by-row-write';
import { serialFtp } from './serial-ftp';
import { missingIndex } from './missing-index';
import { chattyProgress } from './chatty-progress';
import { cpuHotSpot } from './cpu-hot-spot';
import type { Detector } from './types';

export type { Detector, DetectorContext, DetectorResult, RawFinding } from './types';

/** Every detector, in one list. */
export const DETECTORS: readonly Detector[] = [nPlusOneRead, rowByRowWrite, chattyProgress, serialFtp, missingIndex, cpuHotSpot];
