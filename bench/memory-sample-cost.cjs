'use strict';
// The cost of one memory sample as the probes take it (process.memoryUsage(), every 100 ms), and what that is per
// second of a job: median of 9 rounds of 20,000 calls, with a heap of ~50 MB live (the call's cost grows with it).
//   node bench/memory-sample-cost.cjs
const live = Array.from({ length: 500_000 }, (_, i) => ({ i, s: `row-${i}` }));
const rounds = [];
for (let r = 0; r < 9; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 20_000; i++) process.memoryUsage();
  rounds.push(Number(process.hrtime.bigint() - t0) / 20_000 / 1000);
}
rounds.sort((a, b) => a - b);
const us = rounds[4];
console.log(`process.memoryUsage(): ${us.toFixed(1)} µs per call (median of 9 rounds; ${live.length} objects live); at 10 samples a second: ${(us * 10 / 1e6 * 100).toFixed(4)}% of one core (node ${process.version})`);
