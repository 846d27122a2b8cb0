/**
 * The database diagnosis model: plans, plan diagnostics, index advice and
 * statement digests from slow-query sources. Everything here is sanitized:
 * statements are fingerprints, plan filters have their literals replaced.
 */

/** Version of the digest JSON written by `batch-doctor slow-log` and `batch-doctor queries`. */
export const DIGEST_SCHEMA_VERSION = 1;

/** Database family. */
export type DbSystem = 'postgresql' | 'mysql';

/** One node of a query plan, the same shape for PostgreSQL and MySQL/MariaDB. */
export interface PlanNode {
  /** "Seq Scan", "Index Scan", "Hash Join"; MySQL: "table scan", "ref", "filesort"... */
  nodeType: string;
  relation: string | null;
  index: string | null;
  /** Estimated total cost (PostgreSQL units; MySQL query_cost). */
  totalCost: number | null;
  planRows: number | null;
  /** Measured rows per loop (ANALYZE only). */
  actualRows: number | null;
  loops: number | null;
  /** Inclusive time of the node over all loops, ms (ANALYZE only). */
  actualTotalMs: number | null;
  /** Time in the node itself, children excluded, ms (ANALYZE only). */
  exclusiveMs: number | null;
  /** Filter or condition with literals replaced by `?`. */
  filter: string | null;
  rowsRemovedByFilter: number | null;
  /** Free-form facts worth showing: "Sort Space Type: Disk", "using_filesort". */
  details: Record<string, string | number | boolean>;
  children: PlanNode[];
}

/** Severity of a plan diagnostic. */
export type Severity = 'info' | 'warning' | 'critical';

/** Something wrong in a plan, with the node it concerns. */
export interface PlanDiagnostic {
  /** Stable kind: slow-node, seq-scan-filter, row-misestimate, sort-spill, hash-spill, nested-loop-many, heap-fetches, full-scan, filesort, temporary-table, rows-examined. */
  kind: string;
  severity: Severity;
  /** One sentence a developer can check against the plan. */
  message: string;
  /** Path of the node from the root, child indexes (the root is []). */
  nodePath: number[];
  metrics: Record<string, number | string>;
}

/** An index the planner was asked about. */
export interface IndexAdvice {
  table: string;
  columns: string[];
  /** The statement to run, e.g. `CREATE INDEX CONCURRENTLY ON orders (status, created_at);`. */
  createStatement: string;
  /** True when HypoPG showed the planner using the index and the cost fell by at least the threshold. */
  confirmed: boolean;
  /** Why it is (not) confirmed, in words. */
  basis: string;
  costBefore: number | null;
  costAfter: number | null;
  /**
   * Share of the table's rows (0..1) the filtered scan keeps: measured (EXPLAIN ANALYZE's rows against those the
   * filter removed, MariaDB's r_filtered) or the planner's estimate (rows out of the scan over the table's rows,
   * MySQL's `filtered`); null or absent when unknown. An index only helps a filter that keeps a small share.
   */
  keptShare?: number | null;
}

/** The outcome of EXPLAIN for one statement class. */
export interface ExplainResult {
  system: DbSystem;
  queryClassId: string;
  fingerprint: string;
  /** `plan` = EXPLAIN only (nothing executed); `analyze` = executed read-only and rolled back. */
  mode: 'plan' | 'analyze';
  /** Null when EXPLAIN was refused or failed; see `note`. */
  plan: PlanNode | null;
  diagnostics: PlanDiagnostic[];
  indexAdvice: IndexAdvice[];
  /** Why the plan is missing or only partial (refused, timed out, no parameter sample...). */
  note: string | null;
}

/** Where a digest came from. */
export type DigestSource = 'trace' | 'pg_stat_statements' | 'performance_schema' | 'mysql-slow-log' | 'postgresql-log';

/** One statement class from a slow-query source. */
export interface DigestClass {
  /** Same id as the report's query classes for the same system and fingerprint. */
  id: string;
  system: DbSystem;
  fingerprint: string;
  parsed: boolean;
  calls: number;
  totalMs: number;
  meanMs: number;
  /** From a histogram with buckets 5% wide (slow logs) or null when the source keeps no distribution. */
  p95Ms: number | null;
  maxMs: number | null;
  /** Variance-to-mean ratio of the statement time, ms (high: unstable, contention, cache misses); null when unknown. */
  varianceToMean: number | null;
  rowsSent: number | null;
  rowsExamined: number | null;
  /** Share of the source's total statement time, 0..1. */
  share: number;
  /** Database (schema) the statement ran in, when the source says. */
  database: string | null;
  /** Time spent waiting for table locks, ms (MySQL/MariaDB slow logs); absent when the source has none. */
  lockMs?: number;
  /** Temporary tables created, and those on disk (slow logs with extended verbosity); absent when the source has none. */
  tmpTables?: number;
  tmpDiskTables?: number;
}

/** A ranked digest of one slow-query source. */
export interface QueryDigestReport {
  schemaVersion: number;
  tool: { name: 'batch-doctor'; version: string };
  source: DigestSource;
  /** File name or server (host:port/db), never with a password. */
  origin: string;
  statements: number;
  totalMs: number;
  /** Entries that could not be read (malformed records), skipped. */
  badRecords: number;
  classes: DigestClass[];
  warnings: string[];
}
