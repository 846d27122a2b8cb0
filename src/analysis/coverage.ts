import type { Coverage, Breakdown } from '../model/report';
import type { TraceModel } from '../model/trace';
import { UNINSTRUMENTED_CLIENTS } from '../../probes/coverage';
import { round3 } from './intervals';

/**
 * What the run's data covers, from the processes' footers and the recorded calls, and the warnings for what is known
 * to be missing: a client the probes do not instrument was loaded (its statements or transfers are not here and
 * their time shows as waiting or logic), or worker threads ran without a trace of their own. Pure.
 */
export function coverageOf(model: TraceModel, breakdown: Breakdown): { coverage: Coverage; warnings: string[] } {
  const seen = new Set<string>();
  for (const g of model.source.groups) if (g.system) seen.add(/postgres/i.test(g.system) ? 'postgresql' : /mysql|maria/i.test(g.system) ? 'mysql' : g.system);
  if (model.spans.some((s) => s.kind === 'ftp')) seen.add('ftp');
  const names = new Set<string>();
  let started = 0;
  for (const p of model.processes) {
    for (const n of p.footer?.coverage?.uninstrumented ?? []) names.add(n);
    started += p.footer?.coverage?.workerThreads ?? 0;
  }
  // Worker threads run the probes too (a trace of their own); those started without one ran unseen (probes
  // turned off in the thread, or a worker terminated before the probes loaded).
  const traced = model.processes.filter((p) => p.header.threadId).length;
  const workers = Math.max(0, started - traced);
  const io = breakdown.categories.filter((c) => c.category === 'db' || c.category === 'ftp').reduce((a, c) => a + c.ms, 0);
  const explainedShare = round3(Math.min(1, io / Math.max(1, breakdown.wallMs)));
  const uninstrumented = [...names].sort().map((name) => ({ name, what: UNINSTRUMENTED_CLIENTS[name] ?? name }));
  const warnings: string[] = [];
  if (uninstrumented.length) {
    warnings.push(`The job loaded ${uninstrumented.map((u) => u.what).join(', ')}, which batch-doctor does not instrument: those calls are not in this report, and their time shows as waiting or logic (recorded database and FTP calls explain ${Math.round(explainedShare * 100)}% of the wall).`);
  }
  if (workers > 0) {
    warnings.push(`${workers} worker thread(s) ran without probes (of ${started} started): their statements and transfers are not in this report.`);
  }
  return { coverage: { clientsSeen: [...seen].sort(), uninstrumented, workerThreads: started, workerThreadsUnseen: workers, explainedShare }, warnings };
}
