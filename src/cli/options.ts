import { parseArgs } from 'node:util';
import { UsageError } from '../errors';

/** One command-line option, declared once: parsing, validation and help come from this. */
export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  /** A string option that may be given several times (its value is then an array). */
  multiple?: boolean;
  short?: string;
  /** Help text, with the default. */
  help: string;
  /** Allowed values for a string option. */
  choices?: readonly string[];
}

/** A command: its options and what it does. */
export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  options: readonly OptionSpec[];
}

export const PROFILE: CommandSpec = {
  name: 'profile',
  usage: 'batch-doctor profile [options] -- <command...>',
  summary: 'Run a command with the probes injected and report where its wall-clock time went.',
  options: [
    { name: 'out', type: 'string', short: 'o', help: 'Output directory for report.json and the traces. Default: ./batch-doctor-report' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json', 'none'], help: 'What to print on stderr after the run: table, json or none. Default: table' },
    { name: 'keep-literals', type: 'boolean', help: 'Keep query literals and FTP remote paths in the trace and report (off by default: they may hold personal data).' },
    { name: 'call-sites-in-deps', type: 'boolean', help: 'Call sites may be frames inside node_modules too (off by default: only your own code is shown).' },
    { name: 'no-cpu-profile', type: 'boolean', help: 'Do not take an in-process V8 CPU profile: no hot functions in the report, a smaller overhead (1-4% of wall time on the call-dense sample job, Node 20 and 24: V8 logs every function compiled while it profiles; docs/overhead.md).' },
    { name: 'cpu-sample-us', type: 'string', help: 'CPU profile sampling interval in microseconds. Default: 10000' },
    { name: 'no-explain', type: 'boolean', help: 'Do not EXPLAIN the top PostgreSQL statement classes after the run (on by default; nothing is executed).' },
    { name: 'explain-analyze', type: 'boolean', help: 'EXPLAIN ANALYZE plain SELECTs (executed read-only with a timeout, rolled back). Default off.' },
    { name: 'db', type: 'string', help: 'Database URL for the post-run EXPLAIN (postgres://user@host:port/db, mysql://...); also snapshots pg_stat_statements / performance_schema before and after the run and puts what the server recorded beside each statement class. Default: EXPLAIN on the server the job used, with PGUSER/PGPASSWORD from its environment; no snapshot.' },
    { name: 'slow-log', type: 'string', help: 'The server\'s slow log (MySQL/MariaDB) or log (PostgreSQL, log_min_duration_statement): what it records while the job runs (rows examined, lock time, temporary tables) is put beside each statement class. Default none.' },
    { name: 'receive-otlp', type: 'boolean', help: 'Also receive the job\'s own OpenTelemetry spans (any language): OTEL_EXPORTER_OTLP_ENDPOINT is pointed at a local OTLP/HTTP receiver for the command. Default off.' },
    { name: 'clinic', type: 'string', choices: ['doctor', 'flame', 'bubbleprof'], help: 'Afterwards, run the command a second time under Clinic.js (doctor, flame or bubbleprof) for a deep dive into the logic stage; the report links its HTML. The job runs twice: use it on jobs that may. Default off.' },
    { name: 'config', type: 'string', help: 'Detector thresholds for this job, per stage if you like (JSON, see docs/analysis.md). Default: ./batch-doctor.config.json when it exists, else the documented defaults.' },
    { name: 'ftp-bench', type: 'string', help: 'After the run, benchmark this FTP server (ftp://user@host:port/dir) so the FTP findings rest on measurements. Password as for ftp-bench.' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const REPORT: CommandSpec = {
  name: 'report',
  usage: 'batch-doctor report <report.json> [--format table|json|html|md] [--out FILE]',
  summary: 'Render a saved report.json again, to stdout.',
  options: [
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json', 'html', 'md'], help: 'Output format: table, json, html (one self-contained page) or md. Default: table' },
    { name: 'out', type: 'string', short: 'o', help: 'Write to this file instead of stdout (written whole or not at all).' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const FTP_BENCH: CommandSpec = {
  name: 'ftp-bench',
  usage: 'batch-doctor ftp-bench ftp://user@host:port/dir [options]',
  summary: 'Measure an FTP server: throughput per stream count (serial against parallel), per-file overhead, limits, compression.',
  options: [
    { name: 'streams', type: 'string', help: 'Stream counts to measure, comma-separated. Default: 1,2,4,8' },
    { name: 'direction', type: 'string', choices: ['upload', 'download', 'both'], help: 'upload, download or both. Default: both' },
    { name: 'small-files', type: 'string', help: 'Number of small files. Default: 100' },
    { name: 'small-size', type: 'string', help: 'Size of each small file, bytes. Default: 16384' },
    { name: 'large-files', type: 'string', help: 'Number of large files. Default: 4' },
    { name: 'large-size', type: 'string', help: 'Size of each large file, bytes. Default: 8388608 (8 MiB)' },
    { name: 'no-segmented', type: 'boolean', help: 'Skip the segmented download (one file over several connections with REST offsets).' },
    { name: 'sample', type: 'string', help: 'A file or directory of your real data: estimate what gzip would save.' },
    { name: 'insecure-tls', type: 'boolean', help: 'ftps:// only: do not verify the server certificate (shown in the results).' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json'], help: 'Output on stdout. Default: table' },
    { name: 'out', type: 'string', short: 'o', help: 'Also write the JSON result to this file.' },
    { name: 'verbose', type: 'boolean', help: 'Progress lines on stderr when it is not a terminal.' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help. The password comes from BATCH_DOCTOR_FTP_PASSWORD, ~/.netrc (mode 600), or a prompt.' },
  ],
};

export const SLOW_LOG: CommandSpec = {
  name: 'slow-log',
  usage: 'batch-doctor slow-log <file> [options]',
  summary: 'Rank the statement classes of a MySQL/MariaDB slow log or a PostgreSQL log (log_min_duration_statement; stderr, csvlog, jsonlog, CloudNativePG or syslog; gzip-compressed too) by total time.',
  options: [
    { name: 'type', type: 'string', choices: ['auto', 'mysql', 'postgresql', 'postgresql-csv', 'postgresql-json', 'postgresql-cnpg', 'postgresql-syslog'], help: 'Log format. Default: auto (from the content, also inside .gz files)' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json'], help: 'Output on stdout. Default: table' },
    { name: 'out', type: 'string', short: 'o', help: 'Also write the JSON digest to this file.' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const QUERIES: CommandSpec = {
  name: 'queries',
  usage: 'batch-doctor queries [--db URL] [options]',
  summary: 'Rank the statement classes a database server has recorded: pg_stat_statements (PostgreSQL) or performance_schema digests (MySQL/MariaDB).',
  options: [
    { name: 'db', type: 'string', help: 'postgres://user@host:port/db or mysql://user@host:port/db (password from PGPASSWORD, MYSQL_PWD or BATCH_DOCTOR_DB_PASSWORD). Default: the PG* variables' },
    { name: 'all-databases', type: 'boolean', help: 'Include statements of every database, not only the connected one.' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json'], help: 'Output on stdout. Default: table' },
    { name: 'out', type: 'string', short: 'o', help: 'Also write the JSON digest to this file.' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const EXPLAIN: CommandSpec = {
  name: 'explain',
  usage: 'batch-doctor explain --db URL [options] "<SQL>"',
  summary: 'EXPLAIN one statement safely, diagnose its plan, and (PostgreSQL with HypoPG) suggest indexes the planner confirmed.',
  options: [
    { name: 'db', type: 'string', help: 'postgres://user@host:port/db or mysql://user@host:port/db (password from PGPASSWORD, MYSQL_PWD or BATCH_DOCTOR_DB_PASSWORD). Default: the PG* variables' },
    { name: 'param', type: 'string', multiple: true, help: 'A value for $1, $2... in order (repeat the option). Kept in memory only.' },
    { name: 'analyze', type: 'boolean', help: 'Also execute it (EXPLAIN ANALYZE): only a single SELECT, read-only, with a timeout, rolled back. Default off.' },
    { name: 'analyze-volatile', type: 'boolean', help: 'PostgreSQL: with --analyze, execute even a statement that calls volatile functions (nextval, pg_terminate_backend, your own VOLATILE functions): their side effects are NOT rolled back. Default off: such statements get the plan only.' },
    { name: 'timeout-ms', type: 'string', help: 'Statement timeout for ANALYZE, ms. Default: 10000' },
    { name: 'no-index-advice', type: 'boolean', help: 'Do not try hypothetical indexes.' },
    { name: 'keep-literals', type: 'boolean', help: 'Show plan filters with their literal values (off by default: they may hold personal data).' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json'], help: 'Output on stdout. Default: table' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const GATE: CommandSpec = {
  name: 'gate',
  usage: 'batch-doctor gate --baseline FILE (--current report.json ... | [--repeat N] -- <command...>) [options]',
  summary: 'CI performance gate: compare runs with a baseline (counters exactly, timings with a noise-aware test, new findings). Exit 0 pass, 1 regression, 2 error.',
  options: [
    { name: 'baseline', type: 'string', help: 'The baseline JSON file (kept in your repository). Required.' },
    { name: 'current', type: 'string', multiple: true, help: 'A report.json of the current code (repeat the option for several runs). Or give a command after --.' },
    { name: 'repeat', type: 'string', help: 'With a command: profile it this many times. Default 7 (timing verdicts need at least 3).' },
    { name: 'update-baseline', type: 'boolean', help: 'Write the baseline from these runs (with an A/A calibration of the timing threshold) instead of comparing.' },
    { name: 'job', type: 'string', help: 'Job name the baseline is keyed by. Default: the baseline\'s, or the command\'s script name.' },
    { name: 'threshold', type: 'string', help: 'Relative timing threshold, e.g. 0.1 for 10%. Default: the baseline\'s calibration, else 0.15' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json', 'md', 'junit', 'github'], help: 'Output on stdout. Default: table' },
    { name: 'markdown', type: 'string', help: 'Also write the Markdown summary to this file (it is appended to $GITHUB_STEP_SUMMARY when that is set).' },
    { name: 'junit', type: 'string', help: 'Also write JUnit XML to this file.' },
    { name: 'json', type: 'string', help: 'Also write the result JSON to this file.' },
    { name: 'out', type: 'string', short: 'o', help: 'With a command: where the runs\' reports go. Default: a temporary directory, removed afterwards' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const ANALYZE: CommandSpec = {
  name: 'analyze',
  usage: 'batch-doctor analyze FILE|DIR... [options]',
  summary: 'The full analysis and report from recorded traces: batch-doctor trace files, or OTLP JSON / protobuf from an OpenTelemetry Collector file exporter (any language). All files are one run.',
  options: [
    { name: 'out', type: 'string', short: 'o', help: 'Output directory for report.json and report.html. Default: ./batch-doctor-report' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json', 'none'], help: 'What to print on stderr. Default: table' },
    { name: 'keep-literals', type: 'boolean', help: 'Keep raw statements and remote paths from the traces in the report (off by default: they may hold personal data).' },
    { name: 'config', type: 'string', help: 'Detector thresholds file. Default: ./batch-doctor.config.json when it exists.' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const DEMO: CommandSpec = {
  name: 'demo',
  usage: 'batch-doctor demo [--out DIR]',
  summary: 'Profile the bundled sample pipeline and write the HTML report. Uses the servers in PGHOST, MYSQL_HOST and FTP_HOST when set, else embedded PostgreSQL (PGlite) and FTP servers (MySQL is then skipped).',
  options: [
    { name: 'out', type: 'string', short: 'o', help: 'Output directory for report.json and report.html. Default: ./batch-doctor-report' },
    { name: 'format', type: 'string', short: 'f', choices: ['table', 'json', 'none'], help: 'What to print on stderr after the run. Default: table' },
    { name: 'help', type: 'boolean', short: 'h', help: 'Show this help.' },
  ],
};

export const COMMANDS: readonly CommandSpec[] = [PROFILE, ANALYZE, REPORT, FTP_BENCH, SLOW_LOG, QUERIES, EXPLAIN, GATE, DEMO];

/** Help text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:'];
  for (const o of spec.options) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'string' ? ' <value>' : ''}`;
    lines.push(`  ${flag.padEnd(28)} ${o.help}`);
  }
  return lines.join('\n') + '\n';
}

/** Top-level help. */
export function mainHelp(): string {
  const lines = ['batch-doctor: find what makes a batch job slow, and what fixing it saves.', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.usage}\n      ${c.summary}`);
  lines.push('', 'Run batch-doctor <command> --help for its options.');
  return lines.join('\n') + '\n';
}

/** Parses a command's options (strictly: an unknown option is a usage error). */
export function parseOptions(spec: CommandSpec, args: string[]): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const o of spec.options) options[o.name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}. Run batch-doctor ${spec.name} --help for the options.`);
  }
  for (const o of spec.options) {
    const v = parsed.values[o.name];
    if (o.choices && typeof v === 'string' && !o.choices.includes(v)) {
      throw new UsageError(`--${o.name} must be one of ${o.choices.join(', ')}, not "${v}".`);
    }
  }
  return { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
}
