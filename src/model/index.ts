export type { TraceModel, TraceSpan, ProcessTrace, RunInfo, SpanKind, HotFunction } from './trace';
export { REPORT_SCHEMA_VERSION } from './report';
export type {
  Report, Breakdown, Category, CategoryTime, StageBreakdown, QueryClass, FtpTransfer, FtpSummary, RuntimeSummary,
  Finding, Evidence, Recommendation, Confidence, DetectorStatus, WhatIf, CollectionInfo,
} from './report';
