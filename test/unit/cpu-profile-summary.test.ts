import { describe, expect, it } from 'vitest';
import { summarizeProfile } from '../../probes/runtime';

/** A CPU profile built from stacks (outermost first) and their sample counts. */
function profileOf(stacks: { frames: [string, string][]; samples: number }[]) {
  const nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children: number[] }[] = [];
  const root = { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [] as number[] };
  nodes.push(root);
  const samples: number[] = [];
  for (const s of stacks) {
    let parent = root;
    for (const [fn, url] of s.frames) {
      let child = parent.children.map((c) => nodes.find((n) => n.id === c)!).find((n) => n.callFrame.functionName === fn && n.callFrame.url === url);
      if (!child) { child = { id: nodes.length + 1, callFrame: { functionName: fn, url, lineNumber: 0, columnNumber: 0 }, children: [] }; nodes.push(child); parent.children.push(child.id); }
      parent = child;
    }
    for (let i = 0; i < s.samples; i++) samples.push(parent.id);
  }
  return { nodes, samples, startTime: 0, endTime: samples.length * 1000 };
}

describe('CPU profile summary: module loading is start-up, not work', () => {
  it('keeps the time of a require a job function made out of its attributed time, and says how much of its total it was', () => {
    const job = 'file:///app/job.js', lib = 'file:///app/node_modules/orm/index.js';
    const loader = 'node:internal/modules/cjs/loader';
    const p = summarizeProfile(profileOf([
      // main() requires the ORM: 300 samples in the loader and the ORM's top-level code.
      { frames: [['main', job], ['require', loader], ['Module._load', loader], ['(anonymous)', lib]], samples: 300 },
      // main() does its own work: 100 samples in a library it calls.
      { frames: [['main', job], ['format', lib]], samples: 100 },
    ]), 1000);
    const main = p.functions.find((f) => f.functionName === 'main')!;
    expect(main.attributedMs).toBeCloseTo(100, 0);
    expect(main.totalMs).toBeCloseTo(400, 0);
    expect(main.loadingMs).toBeCloseTo(300, 0);
  });

  it('counts a recursive function once per stack in its total, and time inside a database client to no job function', () => {
    const job = 'file:///app/job.js', pg = 'file:///app/node_modules/pg/lib/client.js', lib = 'file:///app/node_modules/csv/index.js';
    const p = summarizeProfile(profileOf([
      // walk() recursing: 200 samples three frames deep in itself.
      { frames: [['main', job], ['walk', job], ['walk', job], ['walk', job]], samples: 200 },
      // main() waiting in the pg client's own code: that CPU belongs to the query's span.
      { frames: [['main', job], ['query', pg], ['parse', pg]], samples: 50 },
      // main() parsing with a library: charged to main, and to the library.
      { frames: [['main', job], ['parse', lib]], samples: 30 },
    ]), 1000);
    const walk = p.functions.find((f) => f.functionName === 'walk')!;
    expect(walk.totalMs).toBeCloseTo(200, 0);
    expect(walk.selfMs).toBeCloseTo(200, 0);
    const main = p.functions.find((f) => f.functionName === 'main')!;
    expect(main.totalMs).toBeCloseTo(280, 0);
    expect(main.attributedMs).toBeCloseTo(30, 0);
    expect(p.libraries).toEqual([{ name: 'csv', ms: 30 }]);
  });
});
