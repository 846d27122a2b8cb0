import type { CallSiteFrame, CallSiteRecord } from '../../probes/trace-records';
import type { CodeSite, Finding, QueryClass } from '../model/report';
import type { TraceModel } from '../model/trace';
import { round3 } from './intervals';

/** Sites shown per class or finding: the few that hold most calls (report.json keeps them all, up to the probes' bound). */
export const CODE_SITES_SHOWN = 5;

/** A class's or transfer kind's call sites, merged over processes. */
/** One key's call sites over all processes, and the library the job called to issue them. */
export interface Merged { calls: number; sites: Map<string, { frames: CallSiteFrame[]; calls: number }>; via?: string }

const siteKey = (f: CallSiteFrame) => `${f.file}:${f.line}:${f.column}`;

/** Every process's call-site records merged by kind, system and key (statement fingerprint, transfer span name). */
export function mergeCallSites(model: TraceModel): Map<string, Merged> {
  const out = new Map<string, Merged>();
  for (const p of model.processes) {
    for (const r of [...(p.footer?.callSites ?? []), ...(p.callSites ?? [])] as CallSiteRecord[]) {
      const k = `${r.kind}\u0000${r.system}\u0000${r.key}`;
      let m = out.get(k);
      if (!m) out.set(k, (m = { calls: 0, sites: new Map() }));
      m.calls += r.calls;
      if (r.via && !m.via) m.via = r.via;
      for (const s of r.sites) {
        if (!s.frames.length) continue;
        const sk = siteKey(s.frames[0]!);
        const e = m.sites.get(sk);
        if (e) e.calls += s.calls; else m.sites.set(sk, { frames: s.frames, calls: s.calls });
      }
    }
  }
  return out;
}

/** The code sites of merged entries, most calls first, with their share of all the entries' calls. */
function codeSites(entries: readonly Merged[]): CodeSite[] {
  const total = entries.reduce((a, e) => a + e.calls, 0);
  const by = new Map<string, { frames: CallSiteFrame[]; calls: number }>();
  for (const e of entries) for (const [k, s] of e.sites) { const x = by.get(k); if (x) x.calls += s.calls; else by.set(k, { ...s }); }
  return [...by.values()].sort((a, b) => b.calls - a.calls || (siteKey(a.frames[0]!) < siteKey(b.frames[0]!) ? -1 : 1)).slice(0, CODE_SITES_SHOWN).map((s) => {
    const f = s.frames[0]!;
    return { file: f.file, line: f.line, column: f.column, function: f.function, calls: Math.round(s.calls), share: total > 0 ? round3(Math.min(1, s.calls / total)) : 0, stack: s.frames.map((x) => ({ ...x })) };
  });
}

/** Transfer span names behind an FTP finding scope. */
const FTP_SCOPES: Record<string, string[]> = { 'ftp:transfers': ['ftp.upload', 'ftp.download'], 'ftp:connect': ['ftp.connect'] };

/**
 * The call sites of each statement class and of each finding, from the merged records: a class's own; a finding's
 * from the classes and transfer kinds in its scope. Pure: returns new objects, the inputs are unchanged.
 */
export function attachCallSites(queries: readonly QueryClass[], findings: readonly Finding[], merged: Map<string, Merged>): { queries: QueryClass[]; findings: Finding[] } {
  if (merged.size === 0) return { queries: [...queries], findings: [...findings] };
  const forClass = (q: QueryClass) => merged.get(`db\u0000${q.system}\u0000${q.fingerprint}`);
  const byId = new Map(queries.map((q) => [q.id, q]));
  const outQueries = queries.map((q) => {
    const m = forClass(q);
    const sites = m ? codeSites([m]) : [];
    return sites.length ? { ...q, callSites: sites } : q;
  });
  const outFindings = findings.map((f) => {
    const entries: Merged[] = [];
    for (const s of f.scope ?? []) {
      if (s.startsWith('query:')) { const q = byId.get(s.slice(6)); const m = q && forClass(q); if (m) entries.push(m); continue; }
      const names = FTP_SCOPES[s] ?? (s.startsWith('ftp:ftp.') ? [s.slice(4)] : []);
      for (const n of names) { const m = merged.get(`ftp\u0000ftp\u0000${n}`); if (m) entries.push(m); }
    }
    const sites = entries.length ? codeSites(entries) : [];
    return sites.length ? { ...f, callSites: sites } : f;
  });
  return { queries: outQueries, findings: outFindings };
}
