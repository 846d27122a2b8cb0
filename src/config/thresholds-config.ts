import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../analysis/thresholds';
import { InputError } from '../errors';

/** The file `profile` reads from the working directory when no --config is given. */
export const DEFAULT_CONFIG_FILE = 'batch-doctor.config.json';

/**
 * Detector thresholds for one job (`batch-doctor.config.json`):
 * `{ "thresholds": { ... }, "stages": { "<stage name>": { "thresholds": { ... } } } }`.
 * Job values override the defaults; a stage's values override the job's for findings inside that stage.
 */
export interface ThresholdsConfig {
  /** Where it was read from. */
  file: string;
  thresholds: Partial<Thresholds>;
  stages: Record<string, Partial<Thresholds>>;
}

/** Shares (0..1) among the thresholds; every other threshold is a count, a duration or a size (>= 0). */
const SHARES = new Set<keyof Thresholds>(['minHotFunctionShare', 'minErrorRateRisk', 'minGcShare', 'minStageDominance', 'heapNearLimitShare', 'minAccumulationFit']);
/** Thresholds that must be whole numbers (counts). */
const COUNTS = new Set<keyof Thresholds>(['minRepeatedCalls', 'batchSize', 'minSerialTransfers', 'ftpStreams', 'largeResultRows']);

/**
 * Reads and checks a thresholds file. `explicit` false: the default file, which may be absent (null).
 * Throws InputError (BD_INPUT) naming the file and the offending key, before anything runs.
 */
export function loadThresholdsConfig(file: string, explicit: boolean): ThresholdsConfig | null {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); }
  catch (e) {
    if (!explicit && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new InputError(`Cannot read the thresholds file ${file}: ${(e as Error).message}. Give an existing JSON file with --config.`);
  }
  let raw: unknown;
  try { raw = JSON.parse(text); }
  catch (e) { throw new InputError(`The thresholds file ${file} is not valid JSON (${(e as Error).message}). Fix it or remove it; docs/analysis.md shows the format.`); }
  const where = path.basename(file);
  if (!isObject(raw)) throw new InputError(`The thresholds file ${file} must hold a JSON object with "thresholds" and/or "stages".`);
  for (const k of Object.keys(raw)) {
    if (k !== 'thresholds' && k !== 'stages' && k !== '$schema') throw new InputError(`Unknown key "${k}" in ${file}: only "thresholds" and "stages" are read.`);
  }
  const thresholds = checkThresholds(raw['thresholds'] ?? {}, `${where}: thresholds`);
  const stages: Record<string, Partial<Thresholds>> = {};
  const rawStages = raw['stages'] ?? {};
  if (!isObject(rawStages)) throw new InputError(`"stages" in ${file} must be an object keyed by stage name.`);
  for (const [name, v] of Object.entries(rawStages)) {
    if (!isObject(v)) throw new InputError(`stages."${name}" in ${file} must be an object like { "thresholds": { ... } }.`);
    for (const k of Object.keys(v)) if (k !== 'thresholds') throw new InputError(`Unknown key "${k}" in stages."${name}" of ${file}: only "thresholds" is read.`);
    stages[name] = checkThresholds(v['thresholds'] ?? {}, `${where}: stages."${name}".thresholds`);
  }
  return { file, thresholds, stages };
}

function checkThresholds(v: unknown, where: string): Partial<Thresholds> {
  if (!isObject(v)) throw new InputError(`${where} must be an object of threshold names and numbers.`);
  const out: Partial<Thresholds> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!(k in DEFAULT_THRESHOLDS)) {
      throw new InputError(`${where}: unknown threshold "${k}". Known: ${Object.keys(DEFAULT_THRESHOLDS).join(', ')} (docs/analysis.md explains each).`);
    }
    const key = k as keyof Thresholds;
    const ok = typeof x === 'number' && Number.isFinite(x) && x >= 0 && (!SHARES.has(key) || x <= 1) && (!COUNTS.has(key) || (Number.isInteger(x) && x >= 1));
    if (!ok) {
      const want = SHARES.has(key) ? 'a share between 0 and 1' : COUNTS.has(key) ? 'a whole number >= 1' : 'a number >= 0';
      throw new InputError(`${where}: "${k}" must be ${want} (got ${JSON.stringify(x)}).`);
    }
    out[key] = x as number;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
