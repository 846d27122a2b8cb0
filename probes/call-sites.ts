import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dialectForSystem, fingerprintSql } from './sql-fingerprint';
import { packageOf } from './package-name';
import type { CallSiteFrame, CallSiteRecord } from './trace-records';

/**
 * Where in the job's own code each statement class and file transfer is issued: the stack at the call, taken for a
 * bounded number of calls per key, so the per-call cost stays a counter increment and a comparison. The first
 * {@link SITE_FIRST_CALLS} calls are taken, then calls spaced by an eighth of the count so far (call n, then about
 * n + n/8): the samples spread over the whole run in proportion to log(calls), as a reservoir sample would, so a
 * site that only starts late (a second loop, a report at the end) is seen too; at most
 * {@link SITE_MAX_CAPTURES_PER_KEY} per key. Each capture stands for the calls up to the next one, which gives each
 * site its share of the calls.
 *
 * Frames inside node_modules, Node's internals and the probes themselves are skipped (an ORM's or a driver's frames
 * say nothing the user can change); paths are made relative to the job's working directory. `error.stack` is read
 * as Node formats it, so a job that runs with source maps (`--enable-source-maps`, tsx, ts-node) gets its own
 * TypeScript file and line; a bundle's map on disk is applied after the run.
 */

/** Calls of a key captured one by one before the spacing grows. */
export const SITE_FIRST_CALLS = 4;
/** After those, the next sample comes count/SITE_SPACING calls later: 8 gives ~8 samples per e-fold of calls. */
export const SITE_SPACING = 8;
/** Stack captures per key at most (a bound on the cost: ~10-30 µs each; 64 covers about 10^3.5 calls before the cap). */
export const SITE_MAX_CAPTURES_PER_KEY = 64;
/** Stack captures per process at most: code that builds a new statement text per call still costs a bounded amount. */
export const SITE_MAX_CAPTURES = 4000;
/** Keys (statement texts, transfer kinds) tracked per process. */
const MAX_KEYS = 5000;
/** Distinct sites kept per key; samples from further sites are counted as unattributed calls. */
const MAX_SITES_PER_KEY = 8;
/** User frames kept per site, innermost first (the call site, then its callers up to the record loop). */
export const SITE_STACK_FRAMES = 6;
/** Frames V8 collects for a capture: an ORM's call chain can be deep before the user's first frame. */
const CAPTURE_FRAMES = 60;

interface Site { frames: CallSiteFrame[]; samples: number[] }
interface Entry { kind: 'db' | 'ftp'; system: string; key: string; n: number; next: number; captures: number; sites: Map<string, Site>; otherSamples: number[]; via: Map<string, number> }

/** The call number of a key's next sample after a sample at call `n`. */
export const nextSampledCall = (n: number): number => (n < SITE_FIRST_CALLS ? n + 1 : n + Math.max(1, Math.floor(n / SITE_SPACING)));

const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

/** Parses one line of `error.stack`; null for frames without a file position (native, eval without a name). */
export function parseFrame(line: string, cwd: string): CallSiteFrame | null {
  const m = FRAME.exec(line);
  if (!m) return null;
  let file = m[2]!;
  if (file.startsWith('file://')) { try { file = fileURLToPath(file); } catch { return null; } }
  if (file.startsWith('node:') || file.startsWith('internal/') || !file.includes('/') && !file.includes('\\')) return null;
  const rel = path.isAbsolute(file) ? path.relative(cwd, file) : file;
  return { file: rel.startsWith('..') && path.isAbsolute(file) ? file : rel, line: Number(m[3]), column: Number(m[4]), function: m[1] && m[1] !== '<anonymous>' ? m[1].replace(/^(?:new |async )/, '') : null };
}

/**
 * The probes' bundle by name. The V8 code cache of the bundle is shared between installs with the same bundle
 * (it is keyed by content), and a function compiled from the cache keeps the file name it was first compiled under:
 * the probes' own frames may name another install's `.../probes/bundle/probes.js`, not this one's directory.
 */
const PROBES_BUNDLE = /[\\/]probes[\\/]bundle[\\/]probes\.js$/;

/** Whether a frame's file may be a call site: not the probes, and not a dependency unless they are included. */
export function isUserFrame(file: string, probesDir: string, includeDeps = false): boolean {
  return (includeDeps || !file.includes('node_modules')) && !file.startsWith(probesDir) && !PROBES_BUNDLE.test(file);
}

/** The bounded stack sampler of one process. */
export class CallSiteSampler {
  private readonly keys = new Map<string, Entry>();
  private captures = 0;

  /** @param includeDeps frames inside node_modules may be call sites too (`profile --call-sites-in-deps`). Default false. */
  constructor(private readonly cwd: string = process.cwd(), private readonly probesDir: string = __dirname, private readonly includeDeps = false) {}

  /**
   * Counts a call of `key` and captures its stack when this call is sampled. `stack`, when given, returns the stack
   * to use in place of the current one (a client that issues the statement later, off the job's stack, and kept
   * the stack of the call that created it: postgres.js's query origin).
   */
  observe(kind: 'db' | 'ftp', system: string, key: string, stack?: () => string | undefined): void {
    const e = this.entry(kind, system, key);
    if (!e) return;
    const n = ++e.n;
    if (n >= e.next) e.next = this.capture(e, n, stack);
  }

  /**
   * Captures the stack for call `n` of `key`, counted by the caller (the fast path's statement counter), and returns
   * the call number of the next sample (Infinity once the key's or the process's captures are spent).
   */
  sampled(kind: 'db' | 'ftp', system: string, key: string, n: number): number {
    const e = this.entry(kind, system, key);
    if (!e) return Number.POSITIVE_INFINITY;
    e.n = Math.max(e.n, n);
    return this.capture(e, n);
  }

  /** A counter of keys counted elsewhere (the fast paths' statement counters), read for the final call counts at exit. */
  addCounter(kind: 'db' | 'ftp', system: string, counts: () => Iterable<[string, { n: number }]>): void {
    this.counters.push({ kind, system, counts });
  }
  private readonly counters: { kind: 'db' | 'ftp'; system: string; counts: () => Iterable<[string, { n: number }]> }[] = [];

  private entry(kind: 'db' | 'ftp', system: string, key: string): Entry | undefined {
    const k = `${kind}\u0000${system}\u0000${key}`;
    let e = this.keys.get(k);
    if (!e) {
      if (this.keys.size >= MAX_KEYS) return undefined;
      e = { kind, system, key, n: 0, next: 1, captures: 0, sites: new Map(), otherSamples: [], via: new Map() };
      this.keys.set(k, e);
    }
    return e;
  }

  /** Takes the stack of call `n`; returns the next call to sample. */
  private capture(e: Entry, n: number, given?: () => string | undefined): number {
    if (e.captures >= SITE_MAX_CAPTURES_PER_KEY || this.captures >= SITE_MAX_CAPTURES) return Number.POSITIVE_INFINITY;
    e.captures++; this.captures++;
    const next = nextSampledCall(n);
    const limit = Error.stackTraceLimit;
    const holder: { stack?: string } = {};
    if (given) holder.stack = given();
    else {
      try {
        Error.stackTraceLimit = CAPTURE_FRAMES;
        Error.captureStackTrace(holder);
      } finally { Error.stackTraceLimit = limit; }
    }
    const frames: CallSiteFrame[] = [];
    // The library the job's code called (the package of the frame just inside its innermost frame): an ORM or
    // query builder whose own CPU per call the analysis prices (probes/runtime.ts counts CPU by that package).
    let lastPkg: string | null = null;
    let via: string | null = null;
    for (const line of (holder.stack ?? '').split('\n').slice(1)) {
      const f = parseFrame(line, this.cwd);
      if (!f) continue;
      const abs = path.resolve(this.cwd, f.file);
      if (!isUserFrame(abs, this.probesDir, this.includeDeps)) { if (!frames.length) lastPkg = packageOf(abs) ?? lastPkg; continue; }
      if (!frames.length) via = lastPkg;
      frames.push(f);
      if (frames.length >= SITE_STACK_FRAMES) break;
    }
    if (via) e.via.set(via, (e.via.get(via) ?? 0) + 1);
    if (!frames.length) { e.otherSamples.push(n); return next; }
    const siteKey = `${frames[0]!.file}:${frames[0]!.line}:${frames[0]!.column}`;
    let site = e.sites.get(siteKey);
    if (!site) {
      if (e.sites.size >= MAX_SITES_PER_KEY) { e.otherSamples.push(n); return next; }
      e.sites.set(siteKey, (site = { frames, samples: [] }));
    }
    site.samples.push(n);
    return next;
  }

  /**
   * Every key's sites with the calls each stands for, database keys merged by statement class (fingerprint): a
   * sample at call n stands for the calls up to the key's next sample.
   */
  summary(): CallSiteRecord[] {
    for (const c of this.counters) {
      for (const [key, { n }] of c.counts()) {
        const e = this.keys.get(`${c.kind}\u0000${c.system}\u0000${key}`);
        if (e) e.n = Math.max(e.n, n);
      }
    }
    const out = new Map<string, CallSiteRecord>();
    for (const e of this.keys.values()) {
      const name = e.kind === 'db' ? fingerprintSql(e.key, dialectForSystem(e.system)).text : e.key;
      const all: { n: number; site: string | null }[] = [];
      for (const [sk, s] of e.sites) for (const n of s.samples) all.push({ n, site: sk });
      for (const n of e.otherSamples) all.push({ n, site: null });
      if (!all.length) continue;
      all.sort((a, b) => a.n - b.n);
      const weights = new Map<string | null, number>();
      all.forEach((x, i) => {
        const next = i + 1 < all.length ? all[i + 1]!.n : e.n + 1;
        weights.set(x.site, (weights.get(x.site) ?? 0) + Math.max(1, next - x.n));
      });
      const rk = `${e.kind}\u0000${e.system}\u0000${name}`;
      let rec = out.get(rk);
      if (!rec) out.set(rk, (rec = { kind: e.kind, system: e.system, key: name, calls: 0, sites: [], unattributedCalls: 0 }));
      const via = [...e.via].sort((a, b) => b[1] - a[1])[0];
      if (via && !rec.via) rec.via = via[0];
      rec.calls += e.n;
      rec.unattributedCalls += weights.get(null) ?? 0;
      for (const [sk, s] of e.sites) {
        const w = weights.get(sk) ?? 0;
        const same = rec.sites.find((x) => x.frames[0]!.file === s.frames[0]!.file && x.frames[0]!.line === s.frames[0]!.line && x.frames[0]!.column === s.frames[0]!.column);
        if (same) same.calls += w; else rec.sites.push({ frames: s.frames, calls: w });
      }
    }
    for (const r of out.values()) r.sites.sort((a, b) => b.calls - a.calls);
    return [...out.values()];
  }
}
