/**
 * A dynamic `import()` compiled by Node's own CommonJS loader. The probes' bundle runs from a V8 code cache through
 * `vm.Script` (load-bundle.ts), where an `import()` needs `vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER`, which
 * prints an ExperimentalWarning into the job's stderr on Node 24. This file is never bundled: the bundle requires it
 * by path (see {@link loadEsmImporter}).
 */
export function importEsm(url: string): Promise<unknown> {
  return import(url);
}
