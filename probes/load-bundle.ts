/**
 * The probes' entry point as Node loads it (`dist/probes/bundle/register.js`, for `--require` and `--import`):
 * it runs the probes' bundle (`probes.js` beside it, built from register.ts) with a V8 code cache.
 *
 * Compiling the bundle costs 15-20 ms of start-up in every profiled process (more on Node 24); with the code
 * cache, which also holds the functions the probes compiled while starting, about 3 ms. The cache is one file
 * per bundle build, Node version and architecture, in a directory only the user can write (a code cache is
 * code): `$BATCH_DOCTOR_CODE_CACHE`, by default `<os.tmpdir()>/batch-doctor-code-cache-<uid>`;
 * `BATCH_DOCTOR_CODE_CACHE=0` turns it off. A missing, stale or unusable cache only costs the compile:
 * V8 rejects a cache made for other flags (it is then rewritten), and a directory owned by someone else, or
 * writable by others, is never read. The file is written when a process in which the probes ran exits (so that it
 * holds what ran), to a temporary name then renamed, so readers never see half a file.
 *
 * Like the probes, this never throws into the host: if the bundle cannot be compiled here it is required as an
 * ordinary module.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { CODE_CACHE_KEY, ENV, HUB_KEY } from './names';

/** Content hash of probes.js, written in at build time (scripts/bundle-probes.mjs). */
declare const BATCH_DOCTOR_BUNDLE_HASH: string;

const BUNDLE = path.join(__dirname, 'probes.js');
/** Files of other builds left in the cache directory are removed when a new one is written. */
const CACHE_PREFIX = 'probes-';

/** The cache directory, if it may be used: created private (0700), owned by this user, writable by nobody else. */
function cacheDir(): string | null {
  const env = process.env[ENV.codeCache];
  if (env === '0' || process.env[ENV.disabled] === '1') return null;
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dir = env || path.join((require('node:os') as typeof import('node:os')).tmpdir(), `batch-doctor-code-cache-${uid ?? 'user'}`);
  try { fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); } catch { return null; }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || (uid !== null && st.uid !== uid) || (st.mode & 0o022) !== 0) return null;
  return dir;
}

/** Set once the bundle starts running: from then on a failure is the bundle's, and it is not run again. */
let started = false;

function run(): void {
  const source = fs.readFileSync(BUNDLE, 'utf8');
  let dir: string | null = null;
  try { dir = cacheDir(); } catch { dir = null; }
  const name = `${CACHE_PREFIX}${BATCH_DOCTOR_BUNDLE_HASH}-${source.length}-${process.version}-${process.arch}.bin`;
  const file = dir ? path.join(dir, name) : null;
  let cachedData: Buffer | undefined;
  if (file) { try { cachedData = fs.readFileSync(file); } catch { cachedData = undefined; } }
  // The same wrapper Node gives a CommonJS module, on the bundle's first line.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: BUNDLE,
    cachedData,
    ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  const fn = script.runInThisContext() as (e: unknown, r: NodeRequire, m: NodeModule, f: string, d: string) => void;
  (globalThis as Record<symbol, unknown>)[CODE_CACHE_KEY] = !file ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  started = true;
  fn.call(module.exports, module.exports, require, module, BUNDLE, __dirname);
  // The cache is written at exit, after the probes' own exit work (this listener comes after theirs), so that it
  // holds every function the probes compiled in this process, their exit path included. And only from a process in
  // which the probes started (their hub is set): where they stood aside (no trace directory, an internal thread)
  // only the bundle's top level was compiled, and a cache of that would leave every later process to compile the
  // probes' start-up itself, lazily (+15-20 ms each, measured on Node 20 and 24).
  if (file && (!cachedData || script.cachedDataRejected)) {
    process.once('exit', () => {
      if ((globalThis as Record<symbol, unknown>)[HUB_KEY] === undefined) return;
      try {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, file);
        for (const f of fs.readdirSync(dir!)) {
          if (f.startsWith(CACHE_PREFIX) && f.endsWith(`-${process.version}-${process.arch}.bin`) && f !== name) fs.rmSync(path.join(dir!, f), { force: true });
        }
      } catch { /* no cache this time */ }
    });
  }
}

// BATCH_DOCTOR_DISABLED=1: the probes stand aside, and so does their bundle. Reading and compiling it (with no code
// cache: the cache is off too) cost 15-20 ms in every process that had the probes turned off.
try {
  if (process.env[ENV.disabled] !== '1') run();
} catch {
  if (!started) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      module.exports = require(BUNDLE);
    } catch { /* the probes stay off; the job runs as without them */ }
  }
}
