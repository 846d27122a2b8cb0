import type { Breakdown, Finding, FtpSummary, StageBreakdown } from '../../model/report';
import type { TraceModel, TraceSpan } from '../../model/trace';
import type { FtpBenchReport } from '../../model/ftp-bench';
import type { ExplainResult } from '../../model/db';
import type { QueryGroup } from '../query-digest';
import type { Thresholds } from '../thresholds';

/** What detectors read besides the trace: aggregates computed once. */
export interface DetectorContext {
  queries: QueryGroup[];
  breakdown: Breakdown;
  ftp: FtpSummary;
  /** The user-named stages with their breakdowns. */
  stages: StageBreakdown[];
  thresholds: Thresholds;
  /** Measured FTP server behaviour, when profile ran with --ftp-bench. */
  ftpBench: FtpBenchReport | null;
  /** EXPLAIN results of the run's top statement classes, or null when none ran. */
  explains: ExplainResult[] | null;
  /**
   * Time the given spans were in flight with no other I/O of the run pending, ms: the part of their time on the
   * critical path (see critical-path.ts). Savings are computed on it so that overlapped work is not counted twice.
   */
  soleMs(spans: readonly TraceSpan[]): number;
  /**
   * Bind positions (1-based) of a statement class that kept one value on every call, merged over processes;
   * null when the probes did not track the class (inline literals, callback-style pg calls, older probes).
   */
  constantParams(system: string, fingerprint: string): { calls: number; params: number; constant: ReadonlySet<number> } | null;
}

/** A finding before ranking (rank is assigned by rank.ts). */
export type RawFinding = Omit<Finding, 'rank'>;

/** A detector's answer: findings, or a plain statement that it lacked data. */
export type DetectorResult =
  | { status: 'ran'; findings: RawFinding[] }
  | { status: 'no-data'; reason: string };

/** A pure function of the trace model: no I/O, no clock, no randomness. */
export interface Detector {
  id: string;
  detect(trace: TraceModel, ctx: DetectorContext): DetectorResult;
}
