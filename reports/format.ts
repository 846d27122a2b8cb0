/** Formatting helpers shared by renderers (formatting only: no computation of results). */
import type { Finding } from '../src/model/report';

/** 1234.5 -> "1.23 s", 12.3 -> "12.3 ms". */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 60_000) return `${(x / 60_000).toFixed(1)} min`;
  if (Math.abs(x) >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (Math.abs(x) >= 10) return `${x.toFixed(0)} ms`;
  return `${x.toFixed(2)} ms`;
}

/** Bytes in binary units. */
export function bytes(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  if (x >= 1024 ** 3) return `${(x / 1024 ** 3).toFixed(2)} GiB`;
  if (x >= 1024 ** 2) return `${(x / 1024 ** 2).toFixed(2)} MiB`;
  if (x >= 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${x} B`;
}

/** 0.123 -> "12.3%". */
export function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A text bar of `width` cells for a 0..1 share. */
export function bar(share: number, width = 20): string {
  const n = Math.round(Math.max(0, Math.min(1, share)) * width);
  return '█'.repeat(n) + '·'.repeat(width - n);
}

/** Shortens text to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}


/**
 * The report's coverage statement on one line: the clients whose calls were recorded and the share of the wall they
 * explain, the known clients loaded but not instrumented, the traffic the socket safety net saw, and the worker
 * threads. Formatting only.
 */
export function coverageLine(c: import('../src/model/report').Coverage | undefined): string | null {
  if (!c) return null;
  const parts = [`calls recorded from ${c.clientsSeen.length ? c.clientsSeen.join(', ') : 'no client'} (they explain ${pct(c.explainedShare)} of the wall)`];
  parts.push(`not instrumented: ${c.uninstrumented.length ? c.uninstrumented.map((u) => u.what).join(', ') : 'none loaded'}`);
  if (c.network?.length) parts.push(`network through uninstrumented clients: ${c.network.slice(0, 3).map((n) => `${n.endpoint}${n.client ? ` (${n.client})` : ''} ${ms(n.waitMs)} waiting in ${n.roundTrips} round trips`).join('; ')}${c.network.length > 3 ? `; ${c.network.length - 3} more` : ''}`);
  if (c.workerThreads) parts.push(`worker threads: ${c.workerThreads}, ${c.workerThreadsUnseen ? `${c.workerThreadsUnseen} without a trace` : 'all traced'}`);
  return `coverage: ${parts.join('; ')}`;
}

/** The run's memory on one line: peak heap (and where), peak RSS, the heap limit, the stages that grew it most. Formatting only. */
export function memoryLine(m: import('../src/model/report').MemorySummary | undefined): string | null {
  if (!m) return null;
  const top = m.processes.reduce((a, b) => (b.peakHeapUsedBytes > a.peakHeapUsedBytes ? b : a), m.processes[0]!);
  const limit = top?.heapLimitBytes ? ` of a ${bytes(top.heapLimitBytes)} limit (${pct(top.peakHeapUsedBytes / top.heapLimitBytes)})` : '';
  const grew = [...m.stages].sort((a, b) => b.heapGrowthBytes - a.heapGrowthBytes).filter((s) => s.heapGrowthBytes > 0).slice(0, 3);
  const owners = (m.growth?.owners ?? []).slice(0, 3);
  const toward = owners.length ? `; toward its peak it grew during ${owners.map((o) => `${o.label.length > 60 ? `${o.label.slice(0, 57)}...` : o.label} (+${bytes(o.bytes)})`).join(', ')}` : '';
  const own = m.probeBufferBytes ? `; the probes' own buffers held at most ${bytes(m.probeBufferBytes)}` : '';
  const ext = m.peakExternalBytes ?? 0;
  return `memory: peak heap ${bytes(m.peakHeapUsedBytes)}${top?.name ? ` (${top.name})` : ''}${limit}${ext > m.peakHeapUsedBytes / 4 ? `, peak outside the heap (Buffers) ${bytes(ext)}` : ''}, peak RSS ${bytes(m.peakRssBytes)}${grew.length ? `; heap grew most in ${grew.map((s) => `${s.name} (+${bytes(s.heapGrowthBytes)})`).join(', ')}` : ''}${toward}${own}`;
}

/** A finding that saves no time and is about a risk (memory, corruption): shown in its own section. */
export const isRiskOnly = (f: Finding): boolean => !!f.risk && f.estimatedSavingMs === 0;

/** A finding's memory model in words: the peak, the predicted peak after the fix, the share of the heap limit. */
export function findingMemoryText(f: Finding): string | null {
  const m = f.memory;
  if (!m) return null;
  return `peak ${bytes(m.peakBytes)}${m.shareOfLimit !== null ? ` (${pct(m.shareOfLimit)} of the heap limit)` : ''}${m.predictedPeakBytes !== null ? `, about ${bytes(m.predictedPeakBytes)} after the fix` : ''}`;
}
