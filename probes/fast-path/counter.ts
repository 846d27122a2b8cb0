/**
 * Calls of one statement class that always go through the official instrumentation (full OTel spans) before the
 * fast path may take over: 5. The first fixes the class's shape (its attributes) and gives the parameter sampler its
 * one sample per class; the fast path then finds the shape, or takes the official path again until it exists. More
 * are not free: in a fresh process the official path runs cold (the OpenTelemetry wrapper and span code not yet
 * optimized), ~250 µs per call, and 50 of them added 10-15 ms per statement class and per process or worker thread
 * (docs/overhead.md, 2026-12-07 later).
 */
export const FULL_SPANS_PER_STATEMENT = 5;
/** Distinct statement texts tracked (a bound on memory); beyond it, calls take the official path. */
const MAX_TRACKED = 5000;

/**
 * Counts calls per statement text and says which may take the fast path. Every call is counted (one increment of a
 * field and one comparison), so that the call-site sampler can be told the calls it samples (see call-sites.ts).
 */
export class StatementCounter {
  private readonly calls = new Map<string, { n: number; next: number }>();

  /**
   * @param onSampled told the text and call number of each call the call-site sampler takes; returns the call number
   * of the next one. Default none.
   */
  constructor(private readonly onSampled: ((text: string, n: number) => number) | null = null) {}

  /** True when this call of `text` may skip the official instrumentation. */
  fast(text: string): boolean {
    let c = this.calls.get(text);
    if (c === undefined) {
      if (this.calls.size >= MAX_TRACKED) return false;
      this.calls.set(text, (c = { n: 0, next: 1 }));
    }
    const n = ++c.n;
    if (n >= c.next && this.onSampled !== null) c.next = this.onSampled(text, n);
    // No periodic full span after the first few: a call that takes the official path once in a while runs its code cold
    // (interpreted, inline caches unwarmed), ~200-400 µs per call in place of ~30 µs warm, and a 1-in-100 sample
    // cost 2-4 µs per call averaged over every call, more than the fast path itself (docs/overhead.md, "Third session").
    // Nothing reads those spans beyond what the fast path records: the same compact line.
    return n > FULL_SPANS_PER_STATEMENT;
  }

  /** Every text with its call count (for the call-site sampler's weights at exit). */
  counts(): IterableIterator<[string, { n: number; next: number }]> { return this.calls.entries(); }
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
