import { diag } from '@opentelemetry/api';
import { getHub } from './hub';
import { ENV } from './names';

/**
 * Runs `fn` and swallows anything it throws: the probes' own code must never
 * reach the host program. Failures are counted per component and logged
 * through OpenTelemetry's diag logger (silent unless OTEL_LOG_LEVEL asks).
 */
export function safely<T>(component: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    swallowed(component, err);
    return undefined;
  }
}

/**
 * What {@link safely} does with an error it caught, for hot paths that catch inline (a `try` around the work, with no
 * closure allocated per call): counted per component and logged through the diag logger. Never throws.
 */
export function swallowed(component: string, err: unknown): void {
  try {
    getHub()?.internalError(component);
    diag.debug(`batch-doctor probe: ${component} failed`, err);
  } catch { /* nothing can be done */ }
}

/** True when the fault-injection variable names this component (tests only). */
export function faultInjected(component: string): boolean {
  const v = process.env[ENV.faultInjection];
  return v !== undefined && v.split(',').includes(component);
}
