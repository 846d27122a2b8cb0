/** batch-doctor's library API. */
export { analyze, type AnalyzeOptions } from './analysis/analyze';
export { DEFAULT_THRESHOLDS, type Thresholds } from './analysis/thresholds';
export { loadThresholdsConfig, DEFAULT_CONFIG_FILE, type ThresholdsConfig } from './config/thresholds-config';
export { DETECTORS } from './analysis/detectors/index';
export type { Detector, DetectorContext, DetectorResult, RawFinding } from './analysis/detectors/index';
export { readTraceDir, readTraceFile, readTraceFiles, modelFromStore } from './collect/read-trace';
export { SpanStore, spanSourceOf, DEFAULT_CHUNK_ROWS, type SpanSink, type SpanStoreOptions } from './collect/span-store';
export { runWithProbes, type RunOptions, type RunResult } from './collect/run-command';
export { BatchDoctorError, UsageError, SpawnError, TraceMissingError, TraceCorruptError, ReportReadError, WriteError, type ErrorCode } from './errors';
export { main } from './cli/main';
export * from './model/index';
