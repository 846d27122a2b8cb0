export type { TraceModel, TraceSpan, ProcessTrace, RunInfo, SpanKind, HotFunction } from './trace';
export { REPORT_SCHEMA_VERSION } from './report';
export type {
  Report, Breakdown, Category, CategoryTime, StageBreakdown, QueryClass, FtpTransfer, FtpSummary, RuntimeSummary,
  Finding, Evidence, Recommendation, Confidence, DetectorStatus, WhatIf, CollectionInfo,
} from './report';
export { FTP_BENCH_SCHEMA_VERSION } from './ftp-bench';
export type { FtpBenchReport, FtpBenchCell, FtpRecommendation, FtpServerLimits, FtpCompressionEstimate } from './ftp-bench';
