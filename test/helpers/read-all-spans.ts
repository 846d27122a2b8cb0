import { readTraceFiles } from '../../src/collect/read-trace';
import type { ProcessTrace, TraceSpan } from '../../src/model/trace';

/** Every span of a run directory as whole objects, sorted by start (the analysis keeps database spans as rows only). */
export async function readAllSpans(dir: string): Promise<{ spans: TraceSpan[]; processes: ProcessTrace[] }> {
  const spans: TraceSpan[] = [];
  const processes = await readTraceFiles(dir, spans);
  spans.sort((a, b) => a.start - b.start);
  return { spans, processes };
}
