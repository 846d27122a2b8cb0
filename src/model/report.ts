/**
 * The report model: everything a renderer shows, already computed and ranked.
 * Serialized as report.json; schema/report.schema.json describes it.
 */

/** Version of the report.json format; bumped on incompatible changes. */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * How the run's file transfers are named, from the protocols of an {@link FtpSummary}: `FTP`, `SFTP`, or `FTP/SFTP`
 * when the run used both (FTP for reports that do not list protocols). Shared by the findings and the renderers.
 */
export function transferLabel(protocols: readonly string[] | undefined): 'FTP' | 'SFTP' | 'FTP/SFTP' {
  return protocols?.length === 1 && protocols[0] === 'sftp' ? 'SFTP' : protocols?.includes('sftp') ? 'FTP/SFTP' : 'FTP';
}

import type { FtpBenchReport } from './ftp-bench';
import type { ExplainResult } from './db';

/** Where wall-clock time went. */
/**
 * Where the time went. `network`: waits on sockets of clients the probes do not instrument (present only in runs
 * that had some).
 */
export type Category = 'db' | 'ftp' | 'network' | 'logic' | 'waiting';

/** How sure a finding's saving is. */
export type Confidence = 'high' | 'medium' | 'low';

/** Exclusive time of one category. */
export interface CategoryTime {
  category: Category;
  /** Milliseconds of wall time attributed to this category. */
  ms: number;
  /** Share of the wall time, 0..1. */
  share: number;
}

/** Wall time split into categories; the exclusive times add up to `wallMs`. */
export interface Breakdown {
  wallMs: number;
  /** Exclusive split: each moment counted once (db, then ftp, then logic, else waiting). */
  categories: CategoryTime[];
  /** Time each kind of work was in progress, overlaps included (not additive). */
  busyMs: { db: number; ftp: number; cpu: number };
}

/** The breakdown of one user-named stage. */
export interface StageBreakdown {
  name: string;
  /** Times the stage ran. */
  runs: number;
  /** Wall time covered by the stage's runs (their union). */
  wallMs: number;
  categories: CategoryTime[];
  /** Records reported with recordCount() inside the stage. */
  records: number | null;
}

/** The run over time, in fixed bins (aggregates: the same size for a thousand spans or a million). */
export interface TimelineSummary {
  /** Width of each bin, ms. */
  binMs: number;
  /** Exclusive database, FTP and logic time in each bin, ms (the rest of the bin is waiting). */
  db: number[];
  ftp: number[];
  logic: number[];
  /** Highest heap used in each bin, bytes (absent when no process sampled memory). */
  memory?: number[];
  /** Network waits through uninstrumented clients in each bin, ms (only in runs that had some). */
  network?: number[];
  /** Stage runs, ms from the run's start (the longest ones, at most 200). */
  stages: { name: string; startMs: number; endMs: number }[];
}

/** Memory of the run: peaks per process and per stage (src/analysis/memory.ts). */
export interface MemorySummary {
  /** How the figures were measured, and what they can miss. */
  method: string;
  /** The highest heap used of any one process, bytes. */
  peakHeapUsedBytes: number;
  /** The highest RSS of any one process, bytes. */
  peakRssBytes: number;
  /** The highest memory outside the JS heap (Buffers, ArrayBuffers) of any one process, bytes; absent in older reports. */
  peakExternalBytes?: number;
  processes: {
    pid: number;
    threadId?: number;
    name: string | null;
    samples: number;
    peakHeapUsedBytes: number;
    /** When the heap peaked, ms from the run's start. */
    peakHeapAtMs: number;
    /** Memory outside the JS heap (Buffers, ArrayBuffers), its peak, bytes. */
    peakExternalBytes: number;
    peakRssBytes: number;
    /** V8's heap limit (`--max-old-space-size` or the default), bytes; null when not reported. */
    heapLimitBytes: number | null;
  }[];
  /** Per named stage: the highest heap used during it, and heap used at its last sample minus at its first. */
  stages: { name: string; peakHeapUsedBytes: number; heapGrowthBytes: number }[];
  /**
   * What the memory (heap used + external) grew during on its way to the run's highest peak: statement classes,
   * transfers, and the job's own code by stage, largest first (at most 8). An estimate (see `method`); absent
   * when memory never rose.
   */
  growth?: {
    method: string;
    pid: number;
    /** The lowest sample before the peak, and the peak, bytes (heap used + external). */
    baseBytes: number;
    peakBytes: number;
    /** `label`: the statement class's fingerprint, the transfers' operation and file type, or the job's code and stage. */
    owners: { kind: 'query' | 'transfer' | 'code'; key: string; label: string; bytes: number; share: number }[];
  };
  /**
   * The probes' own memory: what their buffers held at most (trace records waiting to be written, memory and
   * event-loop samples), bytes; the V8 CPU profiler's native buffers are not in it. Absent in older traces.
   */
  probeBufferBytes?: number;
}

/** One profiled process of the run and the work recorded in it. */
export interface ProcessSummary {
  pid: number;
  /** Parent pid (0 when unknown, as for OpenTelemetry resources). */
  ppid: number;
  /** A worker thread's id inside process `pid` (absent for a process's main thread). */
  threadId?: number;
  /** Script or service name. */
  name: string | null;
  /** Spans recorded in it. */
  spans: number;
  /** Time its database calls and its FTP calls were in flight (unions), ms. */
  dbMs: number;
  ftpMs: number;
  /** Its CPU time (user + system) when it reported one, ms. */
  cpuMs: number | null;
}

/** One statement class. */
export interface QueryClass {
  /** Stable id of the class (hash of system and fingerprint). */
  id: string;
  system: string;
  /** Normalized statement: literals replaced by ?, never the raw text. */
  fingerprint: string;
  /** False when the statement could not be parsed (the fingerprint is then a placeholder). */
  parsed: boolean;
  calls: number;
  errors: number;
  totalMs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Rows returned or affected, summed (null when the client did not report rows). */
  rows: number | null;
  /** Share of all database time. */
  share: number;
  /** Where the job issues this statement, most calls first (absent when the probes sampled no stack for it). */
  callSites?: CodeSite[];
}

/** A place in the job's own code that issues a statement class or a file transfer. */
export interface CodeSite {
  /** Path relative to the job's working directory (source-mapped when the job or its bundle had a map). */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  function: string | null;
  /** Estimated calls issued from here, and their share of the class's calls (from a bounded sample of stacks). */
  calls: number;
  share: number;
  /** The job's own frames, innermost first: this site, then its callers up to the loop (at most 6). */
  stack: { file: string; line: number; column: number; function: string | null; loop?: boolean }[];
}

/** One FTP transfer (upload or download). */
export interface FtpTransfer {
  direction: 'upload' | 'download';
  server: string;
  /** File extension only, unless the user kept paths. */
  file: string;
  bytes: number | null;
  ms: number;
  /** Bytes per second; null when bytes are unknown. */
  throughput: number | null;
  mode: string | null;
  error: boolean;
}

/** The FTP table. */
export interface FtpSummary {
  transfers: FtpTransfer[];
  /** File-transfer protocols of the recorded calls (`ftp`, `sftp`), sorted. Absent in older reports. */
  protocols?: ('ftp' | 'sftp')[];
  files: number;
  bytes: number;
  /** Union of transfer time, ms. */
  transferMs: number;
  /** Overall throughput, bytes/s (bytes over union time). */
  throughput: number | null;
  connections: number;
  connectMs: number;
  /** Most transfers in flight at once. */
  maxParallel: number;
}

/** Runtime signals of the logic stage. */
export interface RuntimeSummary {
  /** Mean event-loop utilization over the run (main processes), 0..1. */
  eventLoopUtilization: number | null;
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number } | null;
  gc: { count: number; totalMs: number; maxMs: number } | null;
  /** Hottest functions by self time (from the V8 CPU profile). */
  hotFunctions: {
    functionName: string;
    location: string;
    selfMs: number;
    totalMs: number;
    /** Own time plus the library and native code it called directly (0 for library code and traces of older probes). */
    attributedMs: number;
  }[];
  cpuProfileSamples: number;
}

/** One piece of evidence for a finding. */
export interface Evidence {
  /** One sentence a developer can check. */
  summary: string;
  /** Measured numbers behind it (counts, ms, bytes). */
  metrics: Record<string, number | string>;
  /** The statement class, when the finding is about one. */
  queryClassId?: string;
  fingerprint?: string;
}

/** A concrete change. */
export interface Recommendation {
  summary: string;
  /** Code or SQL to apply, when there is one. */
  code?: string;
}

/** A ranked bottleneck. */
export interface Finding {
  /** Stable id: the same bottleneck in two runs has the same id. */
  id: string;
  /** The detector that found it. */
  kind: string;
  title: string;
  category: Category | 'structure';
  /** 1-based rank by estimated saving. */
  rank: number;
  /**
   * What the saving takes its time from (statement classes `query:<id>`, `ftp:transfers`, `cpu:<function>`):
   * findings with a scope in common are not added up in the what-if. Absent when unknown.
   */
  scope?: string[];
  /** Predicted reduction of the run's wall time if fixed, ms. */
  estimatedSavingMs: number;
  confidence: Confidence;
  /** How the saving was computed, in words. */
  savingModel: string;
  /**
   * What goes wrong besides time (corrupted files, timeouts, memory), when that is the point of the finding:
   * such findings are reported even when they save little time. Absent for pure time findings.
   */
  risk?: string;
  /** The memory model beside the time model, for findings about what a process holds at once. Absent otherwise. */
  memory?: FindingMemory;
  evidence: Evidence;
  recommendation: Recommendation;
  /** Where in the job's code the calls behind this finding are issued, most calls first (absent when unknown). */
  callSites?: CodeSite[];
}

/** A finding's memory model: the peak it is about, the peak predicted after the fix, and the share of the heap limit. */
export interface FindingMemory {
  /** The peak (heap used, or heap used + external for buffered files) the finding is about, bytes. */
  peakBytes: number;
  /** The peak predicted with the recommended fix, bytes; null when no model applies. */
  predictedPeakBytes: number | null;
  /** V8's heap limit of the process, bytes; null when not reported. */
  heapLimitBytes: number | null;
  /** peakBytes over heapLimitBytes (0..1): what memory findings that save no time are ranked by. Null without a limit. */
  shareOfLimit: number | null;
  /** How the prediction was made, in words. */
  model: string;
}

/** What each detector concluded. */
export interface DetectorStatus {
  id: string;
  status: 'ran' | 'no-data';
  findings: number;
  /** Why it could not run, when status is no-data. */
  reason?: string;
}

/** Predicted wall time with fixes applied. */
export interface WhatIf {
  currentMs: number;
  top1Ms: number;
  top3Ms: number;
  allMs: number;
}

/** How complete the collected data is. */
export interface CollectionInfo {
  method: 'trace-file';
  traceFiles: number;
  /** Node processes profiled (their main threads). */
  processes: number;
  /** Worker threads profiled (each with a trace file of its own). Absent in older reports. */
  workerThreads?: number;
  spansRecorded: number;
  spansDropped: number;
  forwardFailures: number;
  badLines: number;
  probeInternalErrors: Record<string, number>;
  /** What the probes themselves cost this run (src/analysis/probe-cost.ts). Absent for traces of older probes. */
  probeCost?: ProbeCost;
  /** What the run's data covers, and what is known to be missing (src/analysis/coverage.ts). Absent in older reports. */
  coverage?: Coverage;
}

/** What a report's data covers: the clients seen, those known to be missing, and how much of the wall the recorded calls explain. */
export interface Coverage {
  /** Database systems and file-transfer protocols whose calls were recorded (`postgresql`, `mysql`, `ftp`). */
  clientsSeen: string[];
  /** Clients the job loaded that batch-doctor does not instrument: their calls are not in the report. */
  uninstrumented: { name: string; what: string }[];
  /** Worker threads the job started (each is profiled in a trace of its own). */
  workerThreads: number;
  /** Of those, the ones with no trace: their statements and transfers are not in the report. */
  workerThreadsUnseen?: number;
  /** Share of the wall (0..1) during which a recorded database or FTP call was in flight. */
  explainedShare: number;
  /** Traffic through clients the probes do not instrument, by endpoint (the socket safety net), most waiting first. */
  network?: NetworkEndpoint[];
}

/**
 * One remote endpoint reached through a client the probes do not instrument: the probes' record summed over
 * processes (the waits' intervals left out), with its share of the wall.
 */
export interface NetworkEndpoint extends Omit<import('../../probes/trace-records').NetworkEndpointRecord, 'intervals'> {
  /** waitMs over the wall time, capped at 1 (waits on several connections at once may overlap). */
  wallShare: number;
}

/**
 * The probes' own cost in a run: set-up per process and database calls by path, times their per-call cost measured
 * in the overhead benchmarks. Savings are computed after taking the per-call part out of each class's time.
 */
export interface ProbeCost {
  /** Set-up of the probes, summed over processes, ms. */
  setupMs: number;
  /**
   * The probes' work at exit (the CPU profile stopped and summarised, value statistics and call sites), summed over
   * processes, ms. Absent for traces of probes older than 2026-12-07.
   */
  exitMs?: number;
  officialDbCalls: number;
  fastDbCalls: number;
  /** The per-call costs used, µs. */
  perCallUs: { official: number; fast: number };
  /** Calls x their per-call cost, ms. */
  callsMs: number;
  /** (Set-up of one process + calls' cost) / wall time. */
  wallShare: number;
}

/** A second run under another profiler (Clinic.js), linked from this report. */
export interface DeepDive {
  /** e.g. "clinic doctor". */
  tool: string;
  /** Absolute path of its HTML report, or null when it made none. */
  report: string | null;
  /** Why there is no report, or null. */
  problem: string | null;
}

/** One server-side source read for the run's window. */
export interface ServerViewSource {
  /** `mysql-slow-log`, `postgresql-log`, `pg_stat_statements` or `performance_schema`. */
  source: string;
  /** File name or server (host:port/db), never with a password. */
  origin: string;
  /** Statements the source recorded during the run (every session's, not only the job's). */
  statements: number;
  totalMs: number;
  /** Records the source could not read. */
  badRecords: number;
}

/** A statement class of the run as the server saw it, joined on the class id (system + fingerprint). */
export interface ServerViewClass {
  /** The report's query class (same id as `queries[].id`). */
  queryClassId: string;
  system: string;
  fingerprint: string;
  source: string;
  /** Calls the probes recorded in the job, and calls the server recorded in the same window (all sessions). */
  jobCalls: number;
  serverCalls: number;
  /** Server-side execution time, ms (without the network and the client). */
  serverMs: number;
  rowsSent: number | null;
  rowsExamined: number | null;
  /** Table-lock wait, ms, and temporary tables (slow logs that record them); null when the source does not. */
  lockMs: number | null;
  tmpTables: number | null;
  tmpDiskTables: number | null;
}

/** The server's side of the run. */
export interface ServerView {
  sources: ServerViewSource[];
  /** The job's classes the server recorded, by server time. */
  classes: ServerViewClass[];
  /** Classes the server recorded in the window that the job's probes did not see (other sessions, or a client not instrumented). */
  otherClasses: number;
  otherMs: number;
}

/** The whole report. */
export interface Report {
  schemaVersion: number;
  tool: { name: 'batch-doctor'; version: string };
  run: {
    command: string[];
    startedAt: string;
    endedAt: string;
    wallMs: number;
    exitCode: number | null;
    signal: string | null;
    nodeVersions: string[];
    /** CPU time of all profiled processes (user + system), ms; null when a process did not report it (killed). */
    cpuMs?: number | null;
  };
  breakdown: Breakdown;
  /** Every process of the run with the work recorded in it. Absent in reports of older versions. */
  /** Memory peaks per process and stage; absent when no process sampled memory (older probes, OTLP). */
  memory?: MemorySummary;
  processes?: ProcessSummary[];
  /** The run over time, for the HTML report's timeline. Absent in reports of older versions. */
  timeline?: TimelineSummary;
  stages: StageBreakdown[];
  queries: QueryClass[];
  ftp: FtpSummary;
  runtime: RuntimeSummary;
  findings: Finding[];
  detectors: DetectorStatus[];
  whatIf: WhatIf;
  collection: CollectionInfo;
  /** The FTP benchmark run with `profile --ftp-bench`, or null. */
  ftpBench: FtpBenchReport | null;
  /** EXPLAIN of the run's top statement classes, with plan diagnostics and index advice (sanitized plans). */
  explains: ExplainResult[];
  /** A deep-dive profile of the logic stage by another tool (profile --clinic), or null. */
  deepDive?: DeepDive | null;
  /**
   * What the database server saw of the run (`profile --slow-log FILE`, `profile --db URL`): the server's figures for
   * the statement classes the job ran. Absent when no server-side source was given.
   */
  serverView?: ServerView | null;
  /** The detector thresholds this report was made with (defaults, overridden by the thresholds file). */
  thresholds?: {
    /** The thresholds file, or null for the defaults. */
    file: string | null;
    /** Every threshold by name (docs/analysis.md lists them with units and reasons). */
    job: Record<string, number>;
    /** Per user stage, the values that differ from the job's. */
    stages: Record<string, Record<string, number>>;
  };
  /** Things the reader should know about the data (dropped spans, missing signals). */
  warnings: string[];
}
