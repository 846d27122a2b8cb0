import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallSiteFrame } from '../../probes/trace-records';
import type { ProcessTrace } from '../model/trace';

/**
 * After the run, on the machine that ran the job: the call sites the probes sampled are mapped through source maps
 * on disk (a bundle or compiled TypeScript run without `--enable-source-maps`: `//# sourceMappingURL=` beside the
 * file or inline), and the frame whose source line is a loop is marked, innermost first. Reads the job's own files
 * only (the paths the probes recorded, under the job's working directory); anything unreadable is left as it is.
 */

/** Source lines read per file (a bound on memory for huge bundles). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** A loop construct on a line: `for (`, `for await (`, `while (`, `do {`, or an iteration method's call. */
const LOOP = /\b(?:for\s*(?:await\s*)?\(|while\s*\(|do\s*\{)|\.(?:forEach|map|flatMap|reduce|filter|some|every|each|eachSeries|mapSeries)\s*\(/;

type SourceMapLike = { findEntry(line: number, column: number): { originalSource?: string; originalLine?: number; originalColumn?: number } | Record<string, never> };

/** Maps and marks the call sites of every process, in place. */
export function annotateCallSites(processes: ProcessTrace[], cwd: string): void {
  const lines = new Map<string, string[] | null>();
  const maps = new Map<string, SourceMapLike | null>();
  const read = (abs: string): string[] | null => {
    if (!lines.has(abs)) {
      try {
        const st = fs.statSync(abs);
        lines.set(abs, st.isFile() && st.size <= MAX_FILE_BYTES ? fs.readFileSync(abs, 'utf8').split(/\r?\n/) : null);
      } catch { lines.set(abs, null); }
    }
    return lines.get(abs)!;
  };
  const mapOf = (abs: string): SourceMapLike | null => {
    if (maps.has(abs)) return maps.get(abs)!;
    let map: SourceMapLike | null = null;
    try {
      const src = read(abs);
      const url = src && [...src].reverse().slice(0, 5).map((l) => /^\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(l)?.[1]).find(Boolean);
      if (url) {
        const payload = url.startsWith('data:')
          ? JSON.parse(Buffer.from(url.slice(url.indexOf(',') + 1), /;base64,/.test(url) ? 'base64' : 'utf8').toString('utf8'))
          : JSON.parse(fs.readFileSync(path.resolve(path.dirname(abs), decodeURIComponent(url)), 'utf8'));
        const { SourceMap } = require('node:module') as { SourceMap: new (p: unknown) => SourceMapLike };
        map = new SourceMap(payload);
        (map as unknown as { dir: string }).dir = path.dirname(abs);
      }
    } catch { map = null; }
    maps.set(abs, map);
    return map;
  };
  const mapFrame = (f: CallSiteFrame): void => {
    if (!/\.(?:c|m)?js$/.test(f.file)) return;
    const abs = path.resolve(cwd, f.file);
    const map = mapOf(abs);
    if (!map) return;
    const e = map.findEntry(f.line - 1, f.column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e || typeof e.originalSource !== 'string' || typeof e.originalLine !== 'number') return;
    let orig = e.originalSource;
    if (orig.startsWith('file://')) orig = fileURLToPath(orig);
    const origAbs = path.resolve((map as unknown as { dir: string }).dir, orig);
    f.file = path.relative(cwd, origAbs) || orig;
    f.line = e.originalLine + 1;
    f.column = (e.originalColumn ?? 0) + 1;
  };
  for (const p of processes) {
    for (const rec of p.footer?.callSites ?? []) {
      for (const site of rec.sites) {
        let marked = false;
        for (const f of site.frames) {
          mapFrame(f);
          if (marked) continue;
          const src = read(path.resolve(cwd, f.file));
          if (src && LOOP.test(src[f.line - 1] ?? '')) { f.loop = true; marked = true; }
        }
      }
    }
  }
}
