/**
 * Building blocks of the HTML report: escaping, safe links, embedded JSON, and small SVG charts. Pure string
 * functions: everything that comes from a report passes through `esc` or `jsonForScript`.
 */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** An href only for http and https URLs; anything else (javascript:, data:, file:) is no link. */
export function safeHref(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch { return null; }
}

/** Text with its http(s) URLs turned into links (rel=noopener, new tab); everything escaped. */
export function linkify(text: string): string {
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(/\bhttps?:\/\/[^\s<>"']+/g)) {
    out.push(esc(text.slice(last, m.index)));
    const href = safeHref(m[0]);
    out.push(href ? `<a href="${esc(href)}" rel="noopener noreferrer" target="_blank">${esc(m[0])}</a>` : esc(m[0]));
    last = m.index! + m[0].length;
  }
  out.push(esc(text.slice(last)));
  return out.join('');
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&`, U+2028 and U+2029 are escaped, so no
 * content can close the element or break a parser, whatever it holds.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Milliseconds as a short human duration. */
export function dur(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** Bytes as a short human size. */
export function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(2)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Colours of the categories (CSS classes c-db, c-ftp, c-logic, c-waiting carry them; SVG uses the classes). */
export const CATEGORY_LABEL: Record<string, string> = { db: 'database', ftp: 'FTP', network: 'network (uninstrumented)', logic: 'logic (CPU)', waiting: 'waiting' };

/** One horizontal stacked bar (SVG, viewBox units), segments with tooltips. */
export function stackedBar(parts: { category: string; ms: number }[], total: number, width = 1000, height = 26): string {
  let x = 0;
  const rects = parts.filter((p) => p.ms > 0 && total > 0).map((p) => {
    const w = (p.ms / total) * width;
    const r = `<rect class="c-${esc(p.category)}" x="${x.toFixed(2)}" y="0" width="${Math.max(0.5, w).toFixed(2)}" height="${height}"><title>${esc(CATEGORY_LABEL[p.category] ?? p.category)}: ${esc(dur(p.ms))} (${((100 * p.ms) / total).toFixed(1)}%)</title></rect>`;
    x += w;
    return r;
  });
  return `<svg class="bar" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="time per category">${rects.join('')}</svg>`;
}

/** A line chart (SVG) of series of (x, y) points, with axes labelled by the given formatters. */
export function lineChart(series: { name: string; points: [number, number][] }[], o: { xLabel: string; yLabel: string; fmtX: (x: number) => string; fmtY: (y: number) => string }): string {
  const W = 640, H = 260, L = 70, B = 36, T = 12, R = 150;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  if (xs.length === 0) return '';
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y1 = Math.max(...ys, 1);
  const px = (x: number) => L + (x1 === x0 ? 0 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const py = (y: number) => H - B - (y / y1) * (H - B - T);
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const out: string[] = [`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.yLabel)} against ${esc(o.xLabel)}">`];
  out.push(`<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>`);
  for (const x of xTicks) out.push(`<text class="tick" x="${px(x).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${esc(o.fmtX(x))}</text>`);
  for (const f of [0, 0.5, 1]) out.push(`<text class="tick" x="${L - 6}" y="${(py(y1 * f) + 4).toFixed(1)}" text-anchor="end">${esc(o.fmtY(y1 * f))}</text>`);
  out.push(`<text class="tick" x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(`<polyline class="series s${i % 6}" fill="none" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of pts) out.push(`<circle class="series s${i % 6}" cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3"><title>${esc(s.name)}: ${esc(o.fmtX(x))}, ${esc(o.fmtY(y))}</title></circle>`);
    out.push(`<text class="legend s${i % 6}" x="${W - R + 10}" y="${T + 14 + i * 16}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
