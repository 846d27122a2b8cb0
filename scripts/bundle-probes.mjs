// Bundles the probes into one file (dist/probes/bundle/register.js). The probes load into every
// process of a profiled job: one file to read and compile instead of ~300 small modules cuts their
// start-up from ~0.3 s to ~0.1 s. The NodeSDK and the OTLP exporter stay external: they load only
// when spans are forwarded to the user's collector; import-in-the-middle stays external (see below).
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/probes/register.js'],
  outfile: 'dist/probes/bundle/register.js',
  bundle: true,
  // BD_BUNDLE_MINIFY=0 keeps names and lines readable in CPU profiles of the probes (for overhead work).
  minify: process.env.BD_BUNDLE_MINIFY !== "0",
  keepNames: true,
  sourcemap: true,
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
  external: ['@opentelemetry/sdk-node', '@opentelemetry/exporter-trace-otlp-http', 'import-in-the-middle'],
  legalComments: 'none',
  logLevel: 'error',
});
