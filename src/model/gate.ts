/**
 * The CI gate's model: what a run contributes to a comparison (a run sample),
 * a baseline (several run samples of one job, with their environment), and
 * the gate's verdicts.
 */
import type { Category } from './report';

/** Version of the baseline file format. */
export const BASELINE_SCHEMA_VERSION = 1;
/** Version of the gate result JSON. */
export const GATE_SCHEMA_VERSION = 1;

/** What one profiled run contributes to a comparison. All times in ms. */
export interface RunSample {
  wallMs: number;
  /** CPU time of the job's processes, ms (null when unknown). Unlike wall time, other load on the machine barely moves it. */
  cpuMs?: number | null;
  /** Exclusive time per category. */
  categories: Record<Category, number>;
  /** Wall time per user-named stage. */
  stages: Record<string, number>;
  /** Deterministic counts: `calls:<classId>`, `rows:<classId>`, `db.statements`, `ftp.files`, `ftp.bytes`, `ftp.connections`. */
  counters: Record<string, number>;
  /** A readable name per counter key (the statement class's fingerprint). */
  counterLabels: Record<string, string>;
  /** Records the job declared (recordCount), summed; null when it declared none. */
  records: number | null;
  /** Findings of the run: stable id, title, predicted saving. */
  /** `site`: where the job issues the calls behind it (its top call site), when known. */
  findings: { id: string; title: string; savingMs: number; site?: { file: string; line: number } }[];
  exitCode: number | null;
  /** Peak heap used and peak RSS of the run's largest process, bytes (absent in older baselines and reports without memory). */
  peakHeapBytes?: number;
  peakRssBytes?: number;
}

/** Where runs were measured; a difference makes timings hard to compare. */
export interface GateEnvironment {
  nodeVersions: string[];
  platform: string;
  /** CPU model and count. */
  cpu: string;
  /** Database servers the job used (system and address), from the report. */
  databases: string[];
  /** Records declared and statement classes seen: a different dataset shows here. */
  dataset: string;
}

/** Timing noise measured on the baseline's own repeated runs (an A/A comparison). */
export interface Calibration {
  /** Robust relative spread of the baseline's wall times: 1.4826 x MAD / median. */
  relativeNoise: number;
  /** The relative timing threshold derived from it (see gate/compare.ts). */
  timingThreshold: number;
  runs: number;
}

/** A baseline: reviewable JSON kept in the user's repository. */
export interface Baseline {
  schemaVersion: number;
  kind: 'batch-doctor-baseline';
  job: string;
  createdAt: string;
  toolVersion: string;
  environment: GateEnvironment;
  runs: RunSample[];
  calibration: Calibration | null;
}

/** Outcome of one check. */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'info';

/** One comparison the gate made. */
export interface GateCheck {
  rule: 'counter' | 'timing' | 'finding' | 'environment';
  /** What was compared: a counter's label, `wall`, `category logic`, `stage load`, a finding's title. */
  name: string;
  verdict: Verdict;
  /** One sentence with the numbers. */
  message: string;
  baseline: number | null;
  current: number | null;
  /** The line of the job's code a finding points at (its top call site): CI annotations are placed there. */
  location?: { file: string; line: number };
  /** Statistics behind a timing verdict. */
  stats?: { ratio: number; ciLow: number; ciHigh: number; pValue: number; threshold: number; baselineRuns: number; currentRuns: number };
}

/** The gate's answer. */
export interface GateResult {
  schemaVersion: number;
  tool: { name: 'batch-doctor'; version: string };
  job: string;
  status: 'pass' | 'regression';
  /** Checks that failed, then inconclusive ones, then the rest. */
  checks: GateCheck[];
  summary: { failed: number; inconclusive: number; passed: number; info: number };
  /** Counters were divided by the declared record count (bigger nights are not regressions). */
  normalizedPerRecord: boolean;
}
