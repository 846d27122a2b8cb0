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
    const groups: { key: string; label: string; spans: TraceSpan[]; category: 'db' | 'ftp'; errorType: (s: TraceSpan) => string }[] = [];
    for (const g of ctx.queries) {
      groups.push({ key: `query:${g.cls.id}`, label: `statement ${g.cls.fingerprint.slice(0, 80)}`, spans: g.spans, category: 'db', errorType: (s) => s.errorType || 'error' });
    }
    const ftp = trace.spans.filter((s) => s.kind === 'ftp' && s.name !== 'ftp.connect');
    const byName = new Map<string, TraceSpan[]>();
    for (const s of ftp) { if (!byName.has(s.name)) byName.set(s.name, []); byName.get(s.name)!.push(s); }
    for (const [name, spans] of byName) {
      groups.push({ key: `ftp:${name}`, label: `FTP ${name.replace(/^ftp\./, '')}`, spans, category: 'ftp', errorType: (s) => String(s.attrs['ftp.response.code'] ?? s.errorType ?? 'error') });
    }
    const withErrors = groups.filter((g) => g.spans.some((s) => s.error));
    if (groups.length === 0) return { status: 'no-data', reason: 'no database or FTP calls were recorded' };
    const findings: RawFinding[] = [];
    for (const g of withErrors) {
      const failed = g.spans.filter((s) => s.error);
      // A retry: the next call of the same kind starts within maxRetryGapMs of a failure's end.
      let retries = 0;
      const gaps: TraceSpan[] = [];
      const sorted = [...g.spans].sort((a, b) => a.start - b.start);
      for (let i = 0; i + 1 < sorted.length; i++) {
        const a = sorted[i]!, b = sorted[i + 1]!;
        if (!a.error || b.start < a.end || b.start - a.end > t.maxRetryGapMs) continue;
        retries++;
        // The wait itself is no I/O span: kind 'other', so only other I/O during it is subtracted.
        if (b.start > a.end) gaps.push({ ...a, kind: 'other', start: a.end, end: b.start });
      }
      // Only the part of the waits in which no other I/O ran is time lost.
      const gapMs = gaps.length ? ctx.soleMs(gaps) : 0;
      const sole = ctx.soleMs(failed);
      const saving = sole + gapMs;
      const rate = failed.length / g.spans.length;
      const types = new Map<string, number>();
      for (const s of failed) types.set(g.errorType(s), (types.get(g.errorType(s)) ?? 0) + 1);
      const top = [...types].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} x${n}`).join(', ');
      findings.push({
        id: `errors-and-retries:${g.key}`,
        kind: 'errors-and-retries',
        title: `${failed.length} of ${g.spans.length} calls failed (${round3(rate * 100)}%)${retries ? `, ${retries} retried` : ''}: ${g.label}`,
        category: g.category,
        scope: [g.key],
        estimatedSavingMs: round3(saving),
        confidence: 'medium',
        savingModel: `failed calls' time on the critical path (${round3(sole)} ms) plus the waits before their retries (${round3(gapMs)} ms)`,
        ...(rate >= t.minErrorRateRisk ? { risk: `${round3(rate * 100)}% of these calls fail (${top}): data may be missing from the run's output.` } : {}),
        evidence: {
          summary: `${failed.length} failures (${top}) among ${g.spans.length} calls${retries ? `; ${retries} were retried right after` : ''}`,
          metrics: { calls: g.spans.length, failed: failed.length, errorRate: round3(rate), retries, failedMs: round3(sole), retryWaitMs: round3(gapMs) },
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
