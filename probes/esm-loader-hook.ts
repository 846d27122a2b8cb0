/**
 * Whether this process registered import-in-the-middle's ESM loader hook (register.ts does, for an ESM main).
 * Without it, import-in-the-middle's in-process hooks are never called, so the bundle gives the OpenTelemetry
 * instrumentation base a no-op `Hook` instead of loading import-in-the-middle (~10 ms of start-up on Node 24):
 * see scripts/bundle-probes.mjs.
 */
let registered = false;

/** Records that the loader hook is registered (before any instrumentation is created). */
export function markEsmLoaderHook(): void {
  registered = true;
}

/** True once {@link markEsmLoaderHook} ran. */
export function esmLoaderHookRegistered(): boolean {
  return registered;
}
