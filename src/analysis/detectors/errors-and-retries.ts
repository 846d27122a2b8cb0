import { round3 } from '../intervals';
import type { TraceSpan } from '../../model/trace';
import type { Detector, RawFinding } from './types';

/**
 * Failed calls and retries: database statements and FTP transfers that failed, and the same call issued
 * again right after (a retry loop). The failed attempts, and the back-off waits before their retries, are
 * time the run spends getting nowhere; a high error rate also hides a data or configuration problem.
 *
 * Saving model: the failed calls' time on the critical path plus the waits between a failure and the retry
 * that followed it (up to thresholds.maxRetryGapMs, where nothing else ran), i.e. what the run spent on
 * attempts that produced nothing.
 */
export const errorsAndRetries: Detector = {
  id: 'errors-and-retries',
  detect(trace, ctx) {
    const t = ctx.thresholds;
    const stats: ErrorStats[] = [];
    // Statement classes: counted in the main pass (failures, retries, the waits before them).
    for (const g of ctx.queries) {
      if (g.stats.errors === 0) continue;
      stats.push({
        key: `query:${g.cls.id}`, label: `statement ${g.cls.fingerprint.slice(0, 80)}`, category: 'db', calls: g.cls.calls, failed: g.stats.errors,
        retries: g.stats.retries, gapMs: g.stats.retryWaitMs, sole: () => ctx.soleOfGroups([g.group], { failedOnly: true }), types: g.stats.errorTypes,
      });
    }
    // FTP calls: kept whole, counted here.
    const ftp = trace.spans.filter((s) => s.kind === 'ftp' && s.name !== 'ftp.connect');
    const byName = new Map<string, TraceSpan[]>();
    for (const s of ftp) { if (!byName.has(s.name)) byName.set(s.name, []); byName.get(s.name)!.push(s); }
    for (const [name, spans] of byName) {
      const failed = spans.filter((s) => s.error);
      if (failed.length === 0) continue;
      // A retry: the next call of the same kind starts within maxRetryGapMs of a failure's end.
      let retries = 0;
      const gaps: TraceSpan[] = [];
      for (let i = 0; i + 1 < spans.length; i++) {
        const a = spans[i]!, b = spans[i + 1]!;
        if (!a.error || b.start < a.end || b.start - a.end > t.maxRetryGapMs) continue;
        retries++;
        // The wait itself is no I/O span: kind 'other', so only other I/O during it is subtracted.
        if (b.start > a.end) gaps.push({ ...a, kind: 'other', start: a.end, end: b.start });
      }
      const types = new Map<string, number>();
      for (const s of failed) { const k = String(s.attrs['ftp.response.code'] ?? s.errorType ?? 'error'); types.set(k, (types.get(k) ?? 0) + 1); }
      stats.push({
        key: `ftp:${name}`, label: `FTP ${name.replace(/^ftp\./, '')}`, category: 'ftp', calls: spans.length, failed: failed.length,
        retries, gapMs: gaps.length ? ctx.soleMs(gaps) : 0, sole: () => ctx.soleMs(failed), types,
      });
    }
    if (ctx.queries.length === 0 && byName.size === 0) return { status: 'no-data', reason: 'no database or FTP calls were recorded' };
    const findings: RawFinding[] = [];
    for (const g of stats) {
      // Only the part of the waits in which no other I/O ran is time lost.
      const gapMs = g.gapMs;
      const sole = g.sole();
      const saving = sole + gapMs;
      const rate = g.failed / g.calls;
      const retries = g.retries;
      const top = [...g.types].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} x${n}`).join(', ');
      findings.push({
        id: `errors-and-retries:${g.key}`,
        kind: 'errors-and-retries',
        title: `${g.failed} of ${g.calls} calls failed (${round3(rate * 100)}%)${retries ? `, ${retries} retried` : ''}: ${g.label}`,
        category: g.category,
        scope: [g.key],
        estimatedSavingMs: round3(saving),
        confidence: 'medium',
        savingModel: `failed calls' time on the critical path (${round3(sole)} ms) plus the waits before their retries (${round3(gapMs)} ms)`,
        ...(rate >= t.minErrorRateRisk ? { risk: `${round3(rate * 100)}% of these calls fail (${top}): data may be missing from the run's output.` } : {}),
        evidence: {
          summary: `${g.failed} failures (${top}) among ${g.calls} calls${retries ? `; ${retries} were retried right after` : ''}`,
          metrics: { calls: g.calls, failed: g.failed, errorRate: round3(rate), retries, failedMs: round3(sole), retryWaitMs: round3(gapMs) },
        },
        recommendation: {
          summary: retries
            ? 'Find why the first attempts fail (the error codes above) instead of retrying: a constraint violation or a refused login fails the same way every time.'
            : 'Fix the cause of the failures (error codes above) or stop issuing calls that cannot succeed; check that the run\'s output is complete.',
        },
      });
    }
    return { status: 'ran', findings };
  },
};

/** One group of calls with failures, counted. */
interface ErrorStats {
  key: string;
  label: string;
  category: 'db' | 'ftp';
  calls: number;
  failed: number;
  retries: number;
  /** The waits before retries with no I/O in flight, ms. */
  gapMs: number;
  /** The failed calls' critical-path time (computed only for groups with failures). */
  sole: () => number;
  types: ReadonlyMap<string, number>;
}
