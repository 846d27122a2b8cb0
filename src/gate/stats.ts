/**
 * Statistics for timing comparisons, deterministic (seeded) so the same
 * samples always give the same verdict.
 */

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median absolute deviation. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/**
 * One-sided Mann-Whitney U test that `b` tends to be larger than `a`: the
 * p-value. Exact (by counting arrangements) up to 20 samples per side, with
 * ties counted half; a normal approximation with tie correction above.
 */
export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): number {
  const n = a.length; const m = b.length;
  if (n === 0 || m === 0) return 1;
  // U = number of pairs (x in a, y in b) with y > x, ties 1/2.
  let u = 0;
  for (const x of a) for (const y of b) u += y > x ? 1 : y === x ? 0.5 : 0;
  if (n <= 20 && m <= 20) {
    const dist = uDistribution(n, m);
    const total = dist.reduce((x, y) => x + y, 0);
    let tail = 0;
    for (let k = Math.ceil(u - 1e-9); k < dist.length; k++) tail += dist[k]!;
    return Math.min(1, tail / total);
  }
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i; while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const t = j - i; tieTerm += t * t * t - t; i = j;
  }
  const N = n + m;
  const mean = (n * m) / 2;
  const sd = Math.sqrt(((n * m) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  if (sd === 0) return 1;
  const z = (u - mean - 0.5) / sd;
  return 1 - normalCdf(z);
}

/**
 * Null distribution of the Mann-Whitney U statistic for sample sizes n and m
 * (no ties): counts of arrangements with U = 0..n*m. By adding the largest
 * element: f(n, m, k) = f(n - 1, m, k) + f(n, m - 1, k - n).
 */
export function uDistribution(n: number, m: number): number[] {
  const max = n * m;
  let prev: number[][] = Array.from({ length: m + 1 }, () => new Array<number>(max + 1).fill(0));
  for (let j = 0; j <= m; j++) prev[j]![0] = 1;
  for (let i = 1; i <= n; i++) {
    const cur: number[][] = Array.from({ length: m + 1 }, () => new Array<number>(max + 1).fill(0));
    cur[0]![0] = 1;
    for (let j = 1; j <= m; j++) {
      for (let k = 0; k <= i * j; k++) cur[j]![k] = prev[j]![k]! + (k >= i ? cur[j - 1]![k - i]! : 0);
    }
    prev = cur;
  }
  return prev[m]!;
}

/**
 * Hodges-Lehmann estimate of how many times slower `b` is than `a` (the
 * median of all pairwise ratios b_j / a_i, taken in log space), with the
 * distribution-free confidence interval that inverts the Mann-Whitney test:
 * the k-th smallest and k-th largest pairwise log ratios, k from U's exact
 * null distribution. Up to 20 runs per side (more runs: the normal
 * approximation of the critical value).
 */
export function ratioEstimate(a: readonly number[], b: readonly number[], level = 0.95): { ratio: number; low: number; high: number } {
  const d: number[] = [];
  for (const x of a) for (const y of b) d.push(Math.log(Math.max(y, 1e-9)) - Math.log(Math.max(x, 1e-9)));
  d.sort((x, y) => x - y);
  const nm = d.length;
  const hl = nm % 2 ? d[nm >> 1]! : (d[nm / 2 - 1]! + d[nm / 2]!) / 2;
  const alpha2 = (1 - level) / 2;
  let k: number;
  if (a.length <= 20 && b.length <= 20) {
    const dist = uDistribution(a.length, b.length);
    const total = dist.reduce((x, y) => x + y, 0);
    let cum = 0; let c = -1;
    for (let u = 0; u < dist.length; u++) { cum += dist[u]!; if (cum / total <= alpha2) c = u; else break; }
    k = c + 1;
  } else {
    const mean = nm / 2; const sd = Math.sqrt((a.length * b.length * (a.length + b.length + 1)) / 12);
    k = Math.max(0, Math.floor(mean - 1.959964 * sd));
  }
  // With c the largest U whose lower tail is <= alpha/2, the textbook interval is d[c] .. d[nm - 1 - c] (0-based).
  // This uses k = c + 1, one order statistic inside it on each side: slightly narrower than the stated level.
  // Known deviation, kept for now because the gate's measured behaviour (docs/gate.md) was taken with it.
  const lo = d[Math.min(nm - 1, Math.max(0, k))]!;
  const hi = d[Math.max(0, Math.min(nm - 1, nm - 1 - k))]!;
  return { ratio: Math.exp(hl), low: Math.exp(lo), high: Math.exp(hi) };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, error < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.SQRT2);
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}
