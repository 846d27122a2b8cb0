import { IO_CLIENT_PACKAGES } from '../../probes/package-name';
import type { TraceModel } from '../model/trace';
import type { Merged } from './call-sites';
import type { QueryGroup } from './query-digest';

/** Packages whose CPU belongs to the database and FTP calls themselves (inside their spans), never added on top. */
const IO_CLIENTS = new Set(IO_CLIENT_PACKAGES);

/** A statement class's client-side CPU per call: the library that issued it and its CPU per call, ms. */
export interface ClientCpu { library: string; perCallMs: number }

/**
 * The CPU a library the job calls (an ORM, a query builder) spends per statement, outside the database call:
 * building the query, validating, hydrating rows into objects. From the CPU profile's time by library (the
 * package the job's code called, probes/runtime.ts) divided by the calls of the statement classes the probes saw
 * issued through that library (their call-site samples' `via`). A fix that removes calls (a batch, a cache, a
 * throttle) removes this CPU too; the database detectors add it to their savings, scaled like CPU findings by the
 * share of the run's CPU on the critical path. Null when the class was issued by the driver directly, or unknown.
 */
export function clientCpuModel(model: TraceModel, groups: readonly QueryGroup[], sites: ReadonlyMap<string, Merged>, criticalShare: number): (system: string, fingerprint: string) => ClientCpu | null {
  const cpu = new Map<string, number>();
  for (const p of model.processes) for (const l of p.cpuProfile?.libraries ?? []) cpu.set(l.name, (cpu.get(l.name) ?? 0) + l.ms);
  const via = new Map<string, string>();
  const calls = new Map<string, number>();
  for (const g of groups) {
    const system = /postgres/i.test(g.cls.system) ? 'postgresql' : 'mysql';
    const v = sites.get(`db\u0000${system}\u0000${g.cls.fingerprint}`)?.via;
    if (!v || IO_CLIENTS.has(v) || !cpu.has(v)) continue;
    via.set(`${system}\u0000${g.cls.fingerprint}`, v);
    calls.set(v, (calls.get(v) ?? 0) + g.cls.calls);
  }
  return (system, fingerprint) => {
    const v = via.get(`${/postgres/i.test(system) ? 'postgresql' : 'mysql'}\u0000${fingerprint}`);
    if (!v) return null;
    return { library: v, perCallMs: (cpu.get(v)! / Math.max(1, calls.get(v)!)) * criticalShare };
  };
}
