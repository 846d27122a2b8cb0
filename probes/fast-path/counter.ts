/**
 * Calls of one statement text that always go through the official instrumentation (full OTel spans) before the
 * fast path may take over. 50: enough to fix the class's shape and attributes, a negligible cost.
 */
export const FULL_SPANS_PER_STATEMENT = 50;
/** After that, one call in this many still goes through the official instrumentation (a sample of full spans). */
export const FULL_SPAN_SAMPLE_EVERY = 100;
/** Distinct statement texts tracked (a bound on memory); beyond it, calls take the official path. */
const MAX_TRACKED = 5000;

/** Counts calls per statement text and says which may take the fast path. */
export class StatementCounter {
  private readonly calls = new Map<string, number>();

  /** True when this call of `text` may skip the official instrumentation. */
  fast(text: string): boolean {
    const n = (this.calls.get(text) ?? 0) + 1;
    if (this.calls.size < MAX_TRACKED || n > 1) this.calls.set(text, n);
    return n > FULL_SPANS_PER_STATEMENT && n % FULL_SPAN_SAMPLE_EVERY !== 0;
  }
}

/** A function wrapped by OpenTelemetry's shimmer. */
export type Wrapped = ((...args: unknown[]) => unknown) & { __original?: (...args: unknown[]) => unknown; __wrapped?: boolean };

/** The function the official instrumentation wrapped, if `fn` is its wrapper and not already ours. */
export function officialOriginal(fn: unknown): ((...args: unknown[]) => unknown) | undefined {
  const w = fn as Wrapped | undefined;
  if (typeof w !== 'function' || !w.__wrapped || typeof w.__original !== 'function') return undefined;
  if ((w as unknown as Record<string, unknown>)['__batchDoctorFast']) return undefined;
  return w.__original;
}

/** Marks our wrapper, keeping shimmer's markers so that unwrapping restores the official wrapper. */
export function markFast(fast: (...args: unknown[]) => unknown, official: unknown): void {
  Object.defineProperty(fast, '__batchDoctorFast', { value: true });
  Object.defineProperty(fast, '__original', { value: official, configurable: true });
  Object.defineProperty(fast, '__wrapped', { value: true, configurable: true });
}
