// Bundles the probes into one file (dist/probes/bundle/probes.js), loaded by dist/probes/bundle/register.js
// (probes/load-bundle.ts: the bundle with a V8 code cache). The probes load into every
// process of a profiled job: one file to read and compile instead of ~300 small modules cuts their
// start-up from ~0.3 s to ~0.1 s. The NodeSDK and the OTLP exporter stay external: they load only
// when spans are forwarded to the user's collector; import-in-the-middle stays external (see below).
//
// Start-up is the probes' largest fixed cost in a profiled process, so the bundle also leaves out what
// no probe uses (docs/overhead.md, "Start-up"):
// - one copy of each package: npm nests an exact-version copy of @opentelemetry/core under each SDK
//   package (five copies of the same 2.x line); all resolve to the top-level copy here;
// - of @opentelemetry/semantic-conventions (380 KB of constants, all evaluated at load), only the
//   constants the bundled code names, as literal values;
// - `debug` (the logger of require-in-the-middle, ~7 ms of start-up with supports-color) is replaced by
//   a logger that is always off;
// - import-in-the-middle (~10 ms) loads only when the ESM loader hook is registered (lazyIitm below).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SEMCONV = '@opentelemetry/semantic-conventions';
/** Packages bundled once, from the project's top-level node_modules, whichever package asks. */
const DEDUPED = ['@opentelemetry/core', '@opentelemetry/api', '@opentelemetry/resources'];

const common = {
  entryPoints: ['dist/probes/register.js'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // CommonJS builds of every package (no `module` condition, no `module` field): esbuild would otherwise take the
  // ESM build of @opentelemetry/api and wrap it for require(), turning each access to `api.trace` or
  // `api.context` into a getter call, on every instrumented database call (~10 ms per 19,000 calls in a CPU
  // profile of the sample job).
  conditions: [],
  mainFields: ['main'],
  // import-in-the-middle must be the one copy that its loader hook (hook.mjs, loaded from node_modules)
  // also uses: its registry of hooks is module state.
  // The SDK's span pipeline (sdk-trace-base) is used only by the forwarder (its BatchSpanProcessor): the local trace
  // file has its own tracer (probes/local-tracer.ts), so the SDK stays out of the bundle every process reads.
  external: ['@opentelemetry/sdk-node', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/sdk-trace-base', 'import-in-the-middle'],
  legalComments: 'none',
  logLevel: 'error',
};

/** Resolves the packages of DEDUPED (and their subpaths) from the project root. */
const dedupe = {
  name: 'dedupe',
  setup(b) {
    const filter = new RegExp(`^(${DEDUPED.map((p) => p.replace(/[/]/g, '\\/')).join('|')})(\\/.*)?$`);
    b.onResolve({ filter }, (args) => {
      if (args.pluginData === 'dedupe') return undefined;
      return b.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: 'dedupe' });
    });
  },
};

/**
 * import-in-the-middle for @opentelemetry/instrumentation: the real package (external, the copy its loader hook
 * shares state with) when the ESM loader hook is registered, otherwise a no-op Hook (probes/esm-loader-hook.ts).
 */
const lazyIitm = {
  name: 'lazy-iitm',
  setup(b) {
    b.onResolve({ filter: /^import-in-the-middle$/ }, (args) => (args.namespace === 'iitm-shim' || !args.importer.includes('@opentelemetry/instrumentation/')
      ? { path: args.path, external: true }
      : { path: 'import-in-the-middle', namespace: 'iitm-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'iitm-shim' }, () => ({
      contents: "const { esmLoaderHookRegistered } = require('./esm-loader-hook');\n"
        + "module.exports = esmLoaderHookRegistered() ? require('import-in-the-middle') : { Hook: class Hook { unhook() {} } };\n",
      resolveDir: path.join(root, 'dist/probes'),
      loader: 'js',
    }));
  },
};

/** `debug` as a logger that is never enabled. */
const noDebug = {
  name: 'no-debug',
  setup(b) {
    b.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'no-debug' }));
    b.onLoad({ filter: /.*/, namespace: 'no-debug' }, () => ({
      contents: 'const off = () => { const d = () => {}; d.enabled = false; d.extend = off; return d; };\n'
        + 'module.exports = Object.assign(off, { enable() {}, disable() { return ""; }, enabled: () => false, default: off });\n',
      loader: 'js',
    }));
  },
};

/** The semantic-conventions entry point reduced to the given export names, as literals. */
function trimmedSemconv(names) {
  const full = require(require.resolve(SEMCONV, { paths: [root] }));
  const kept = [...names].filter((n) => Object.prototype.hasOwnProperty.call(full, n) && n !== '__esModule').sort();
  const body = kept.map((n) => `exports.${n} = ${JSON.stringify(full[n])};`).join('\n');
  return `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n${body}\n`;
}

fs.rmSync(path.join(root, 'dist/probes/bundle'), { recursive: true, force: true });

// Pass 1: which files are bundled, so that the semantic-conventions names they use can be collected.
const first = await build({ ...common, write: false, metafile: true, plugins: [lazyIitm, dedupe, noDebug] });
const names = new Set();
for (const [file, info] of Object.entries(first.metafile.inputs)) {
  if (file.includes(`${SEMCONV}/`)) continue;
  if (!info.imports.some((i) => i.original === SEMCONV)) continue;
  const src = fs.readFileSync(path.join(root, file), 'utf8');
  for (const m of src.matchAll(/[A-Za-z_$][\w$]*/g)) names.add(m[0]);
}
const semconvSource = trimmedSemconv(names);
const trimSemconv = {
  name: 'trim-semconv',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${SEMCONV.replace('/', '\\/')}$`) }, () => ({ path: SEMCONV, namespace: 'semconv-trimmed' }));
    b.onLoad({ filter: /.*/, namespace: 'semconv-trimmed' }, () => ({ contents: semconvSource, loader: 'js' }));
  },
};

await build({
  ...common,
  outfile: 'dist/probes/bundle/probes.js',
  // BD_BUNDLE_MINIFY=0 keeps names and lines readable in CPU profiles of the probes (for overhead work).
  minify: process.env.BD_BUNDLE_MINIFY !== '0',
  keepNames: true,
  sourcemap: true,
  plugins: [trimSemconv, lazyIitm, dedupe, noDebug],
});

// The entry point: loads probes.js with a code cache keyed by the bundle's content.
const hash = createHash('sha256').update(fs.readFileSync(path.join(root, 'dist/probes/bundle/probes.js'))).digest('hex').slice(0, 16);
await build({
  entryPoints: ['dist/probes/load-bundle.js'],
  outfile: 'dist/probes/bundle/register.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  define: { BATCH_DOCTOR_BUNDLE_HASH: JSON.stringify(hash) },
  legalComments: 'none',
  logLevel: 'error',
});
