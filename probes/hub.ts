import { HUB_KEY } from './names';

/**
 * The hub a loaded probe publishes on `globalThis`, so that every copy of the
 * public API (`stage`, `recordCount`), whichever path it was loaded from,
 * reports to the one running probe.
 */
export interface ProbeHub {
  /**
   * The probes' own tracer. The probes do not take the global tracer provider, so a job that starts its
   * own OpenTelemetry SDK keeps it; stage() uses this tracer.
   */
  tracer?: import('@opentelemetry/api').Tracer;
  /**
   * Installs the AsyncLocalStorage context manager, once (stage() calls it: recordCount() needs the active
   * stage). Undefined when there is nothing to install (already done, or the SDK installed its own).
   */
  enableContext?: () => void;
  /** Adds `count` records to the named stage's total. */
  addRecords(stage: string, count: number): void;
  /** Counts an error the probes swallowed. */
  internalError(component: string): void;
}

/** The running probe's hub, or undefined when the probes are not loaded. */
export function getHub(): ProbeHub | undefined {
  return (globalThis as Record<symbol, ProbeHub | undefined>)[HUB_KEY];
}

/** Publishes the hub (once per process). */
export function setHub(hub: ProbeHub): void {
  (globalThis as Record<symbol, ProbeHub | undefined>)[HUB_KEY] = hub;
}
