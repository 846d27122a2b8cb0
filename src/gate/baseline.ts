import * as fs from 'node:fs';
import { InputError } from '../errors';
import { BASELINE_SCHEMA_VERSION, type Baseline, type RunSample } from '../model/gate';

/**
 * Baseline files: reviewable JSON, keyed by job name, kept in the user's
 * repository. Reading fails closed: anything missing or malformed is an error
 * (exit 2), never an empty baseline that would let everything pass.
 */

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isNumRecord = (x: unknown): x is Record<string, number> => !!x && typeof x === 'object' && !Array.isArray(x) && Object.values(x).every(isNum);

/** Checks one run sample's shape. */
function checkRun(r: unknown, i: number, file: string): RunSample {
  const x = r as RunSample;
  const bad = (what: string) => new InputError(`The baseline ${file} is corrupt: run ${i + 1} has ${what}. Write it again with batch-doctor gate --update-baseline.`);
  if (!x || typeof x !== 'object') throw bad('no data');
  if (!isNum(x.wallMs) || x.wallMs < 0) throw bad('no valid wallMs');
  if (!isNumRecord(x.categories) || !isNumRecord(x.stages) || !isNumRecord(x.counters)) throw bad('invalid categories, stages or counters');
  if (!x.counterLabels || typeof x.counterLabels !== 'object') throw bad('no counter labels');
  if (x.records !== null && !isNum(x.records)) throw bad('an invalid record count');
  if (!Array.isArray(x.findings) || !x.findings.every((f) => f && typeof f.id === 'string' && typeof f.title === 'string' && isNum(f.savingMs))) throw bad('invalid findings');
  return x;
}

/** Parses baseline JSON text. */
export function parseBaseline(text: string, file: string): Baseline {
  let data: unknown;
  try { data = JSON.parse(text); } catch { throw new InputError(`The baseline ${file} is not valid JSON (corrupt or truncated). Restore it from version control, or write it again with batch-doctor gate --update-baseline.`); }
  const b = data as Baseline;
  if (!b || typeof b !== 'object' || b.kind !== 'batch-doctor-baseline') throw new InputError(`${file} is not a batch-doctor baseline. Write one with batch-doctor gate --update-baseline.`);
  if (b.schemaVersion !== BASELINE_SCHEMA_VERSION) throw new InputError(`The baseline ${file} has format version ${String(b.schemaVersion)}; this batch-doctor reads version ${BASELINE_SCHEMA_VERSION}. Write it again with --update-baseline.`);
  if (typeof b.job !== 'string' || !b.environment || typeof b.environment !== 'object') throw new InputError(`The baseline ${file} is corrupt: it has no job name or environment. Write it again with --update-baseline.`);
  if (!Array.isArray(b.runs) || b.runs.length === 0) throw new InputError(`The baseline ${file} holds no runs. Write it again with --update-baseline.`);
  b.runs.forEach((r, i) => checkRun(r, i, file));
  return b;
}

/** Reads a baseline file. */
export function readBaseline(file: string): Baseline {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); }
  catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `There is no baseline at ${file}. Record one first: batch-doctor gate --baseline ${file} --update-baseline --repeat 5 -- <command>.` : `Cannot read the baseline ${file} (${code}).`);
  }
  return parseBaseline(text, file);
}
