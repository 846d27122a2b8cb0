import type { Coverage, Breakdown, NetworkEndpoint } from '../model/report';
import type { TraceModel } from '../model/trace';
import { UNINSTRUMENTED_CLIENTS } from '../../probes/coverage';
import { round3, union, type Interval } from './intervals';

/** Share of the wall (0..1) from which waits on an uninstrumented endpoint are warned about: below it, a health check or a token fetch, not a gap. */
export const NETWORK_WARN_SHARE = 0.01;

/** Every wait on a socket of an uninstrumented client, over all processes, as a union (epoch ms). */
export function networkWaits(model: TraceModel): Interval[] {
  const ivs: Interval[] = [];
  for (const p of model.processes) {
    for (const e of p.footer?.network?.endpoints ?? []) {
      const t = e.intervals;
      if (!Array.isArray(t)) continue;
      for (let i = 0; i + 1 < t.length; i += 2) if (typeof t[i] === 'number' && typeof t[i + 1] === 'number' && t[i + 1]! > t[i]!) ivs.push([t[i]!, t[i + 1]!]);
    }
  }
  return union(ivs);
}

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
  // Traffic through uninstrumented clients, by endpoint and client, summed over processes.
  const byEndpoint = new Map<string, NetworkEndpoint>();
  for (const p of model.processes) {
    for (const e of p.footer?.network?.endpoints ?? []) {
      const key = `${e.endpoint}\u0000${e.client ?? ''}`;
      const x = byEndpoint.get(key) ?? { endpoint: e.endpoint, client: e.client, connections: 0, bytesIn: 0, bytesOut: 0, roundTrips: 0, waitMs: 0, wallShare: 0 };
      x.connections += e.connections; x.bytesIn += e.bytesIn; x.bytesOut += e.bytesOut; x.roundTrips += e.roundTrips; x.waitMs += e.waitMs;
      byEndpoint.set(key, x);
    }
  }
  const network = [...byEndpoint.values()]
    .map((x) => ({ ...x, waitMs: round3(x.waitMs), wallShare: round3(Math.min(1, x.waitMs / Math.max(1, breakdown.wallMs))) }))
    .sort((a, b) => b.waitMs - a.waitMs);
  const explainedShare = round3(Math.min(1, io / Math.max(1, breakdown.wallMs)));
  // A known client imported as an ES module is not in the CommonJS module cache the probes read; the connections
  // it opened name it (the package on the stack when each socket was created).
  for (const n of network) if (n.client !== null && Object.prototype.hasOwnProperty.call(UNINSTRUMENTED_CLIENTS, n.client)) names.add(n.client);
  const uninstrumented = [...names].sort().map((name) => ({ name, what: UNINSTRUMENTED_CLIENTS[name] ?? name }));
  const warnings: string[] = [];
  if (uninstrumented.length) {
    const netSeen = uninstrumented.some((u) => network.some((n) => n.client === u.name));
    warnings.push(`The job loaded ${uninstrumented.map((u) => u.what).join(', ')}, which batch-doctor does not instrument: those calls are not in this report, and their time shows as ${netSeen ? 'network time to their endpoints (the waits on their sockets) and logic' : 'waiting or logic'} (recorded database and FTP calls explain ${Math.round(explainedShare * 100)}% of the wall).`);
  }
  for (const n of network) {
    // Below 1% of the wall (a health check, a license server) it is noise, not a gap worth a warning.
    if (n.wallShare < NETWORK_WARN_SHARE) continue;
    warnings.push(`${round3(n.waitMs)} ms (${Math.round(n.wallShare * 100)}% of the wall) waiting on ${n.endpoint}${n.client ? ` through ${UNINSTRUMENTED_CLIENTS[n.client] ?? n.client}` : ' from the job\'s own code'}, which batch-doctor does not instrument: ${n.roundTrips} round trips, ${n.connections} connection(s); it shows as network time, and its calls are not in the statement or transfer tables.`);
  }
  if (workers > 0) {
    warnings.push(`${workers} worker thread(s) ran without probes (of ${started} started): their statements and transfers are not in this report.`);
  }
  return { coverage: { clientsSeen: [...seen].sort(), uninstrumented, workerThreads: started, workerThreadsUnseen: workers, explainedShare, ...(network.length ? { network } : {}) }, warnings };
}
