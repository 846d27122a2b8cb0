import type { Breakdown, Finding, FtpSummary, StageBreakdown } from '../../model/report';
import type { TraceModel, TraceSpan } from '../../model/trace';
import type { FtpBenchReport } from '../../model/ftp-bench';
import type { ExplainResult } from '../../model/db';
import type { ConnectGroup, QueryGroup } from '../query-digest';
import type { LongCall, RunAggregates } from '../sweep';
import type { Thresholds } from '../thresholds';

/** What detectors read besides the trace: aggregates computed once. */
export interface DetectorContext {
  /** Statement classes with their aggregates, by total time. */
  queries: QueryGroup[];
  /** Kinds of database connect with their aggregates. */
  connects: ConnectGroup[];
  /** The run's aggregates (one pass over every span). */
  run: RunAggregates;
  breakdown: Breakdown;
  ftp: FtpSummary;
  /** The user-named stages with their breakdowns. */
  stages: StageBreakdown[];
  thresholds: Thresholds;
  /** Measured FTP server behaviour, when profile ran with --ftp-bench. */
  ftpBench: FtpBenchReport | null;
  /** EXPLAIN results of the run's top statement classes, or null when none ran. */
  explains: ExplainResult[] | null;
  /** Memory peaks per process and stage (src/analysis/memory.ts), or null when no process sampled memory. */
  memory: import('../../model/report').MemorySummary | null;
  /**
   * Time the given spans were in flight with no other I/O of the run pending, ms: the part of their time on the
   * critical path (see critical-path.ts). Savings are computed on it so that overlapped work is not counted twice.
   * For the spans kept whole (FTP and stage spans of the trace model); other spans given here (a wait built by a
   * detector) count as intervals that are not I/O calls. One pass over the run's spans.
   */
  soleMs(spans: readonly TraceSpan[]): number;
  /**
   * Critical-path time of the calls of these groups (statement classes or connect kinds, by their `group` index),
   * or of their failed calls only: one pass over the run's spans (a single group's is precomputed).
   */
  soleOfGroups(groups: readonly number[], options?: { failedOnly?: boolean }): number;
  /** Critical-path time of the given long calls together (one pass over the run's spans). */
  soleOfCalls(calls: readonly LongCall[]): number;
  /**
   * What a statement class's values did (bind parameters and inlined literals alike, by value position of the
   * fingerprint), merged over processes; null when the probes did not track the class (callback-style pg calls,
   * foreign traces, older probes).
   */
  valueStats(system: string, fingerprint: string): MergedValueStats | null;
  /**
   * The CPU an ORM or query builder spends per call of this class outside the database call (client-cpu.ts), already
   * scaled by the share of CPU on the critical path; null when the driver was called directly or it is unknown.
   */
  clientCpu(system: string, fingerprint: string): { library: string; perCallMs: number } | null;
}

/** A statement class's value positions over the whole run. */
export interface MergedValueStats {
  calls: number;
  /**
   * Per value position: constant (one value in each process that ran it; two processes may have had different
   * ones) and distinct values (summed over processes, at most `calls`); null when unknown.
   */
  slots: ({ constant: boolean; distinct: number } | null)[];
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
