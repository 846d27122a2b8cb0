import { escapeControl } from '../probes/sanitize';
import type { QueryDigestReport } from '../src/model/db';
import { clip, ms, pct } from './format';

/** Renderers of a statement digest (`slow-log`, `queries`), by format name (formatting only). */
export const DIGEST_RENDERERS: Readonly<Record<string, (r: QueryDigestReport, width?: number) => string>> = {
  json: (r) => JSON.stringify(r, null, 2) + '\n',
  table: renderTable,
};

const SOURCE_NAMES: Record<QueryDigestReport['source'], string> = {
  trace: 'profiled run', pg_stat_statements: 'pg_stat_statements', performance_schema: 'performance_schema statement digests',
  'mysql-slow-log': 'MySQL/MariaDB slow log', 'postgresql-log': 'PostgreSQL log',
};

const n = (x: number | null) => (x === null ? '-' : String(x));

function renderTable(r: QueryDigestReport, width = 120): string {
  // Loaded here: JSON output (the CI and benchmark path) does not pay for the table library.
  const Table = require('cli-table3') as typeof import('cli-table3');
  const out: string[] = [];
  out.push(`${SOURCE_NAMES[r.source]}: ${r.origin}`);
  out.push(`${r.statements} statements in ${r.classes.length} classes, ${ms(r.totalMs)} in all${r.badRecords ? `, ${r.badRecords} unreadable records skipped` : ''}`);
  const t = new Table({
    head: ['#', 'statement class', 'calls', 'total', 'share', 'mean', 'p95', 'V/M', 'rows sent', 'rows examined'],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
  });
  const fpWidth = Math.max(30, width - 90);
  r.classes.slice(0, 20).forEach((c, i) => {
    t.push([i + 1, clip(c.fingerprint, fpWidth), c.calls, ms(c.totalMs), pct(c.share), ms(c.meanMs), c.p95Ms === null ? '-' : ms(c.p95Ms),
      c.varianceToMean === null ? '-' : c.varianceToMean.toFixed(2), n(c.rowsSent), n(c.rowsExamined)]);
  });
  out.push(t.toString());
  if (r.classes.length > 20) out.push(`... and ${r.classes.length - 20} more classes (--format json lists all)`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return escapeControl(out.join('\n')) + '\n';
}
