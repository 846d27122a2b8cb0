// Preloaded by bench/matrix.mjs --split in every arm (bare and probed, after the probes' own preload): prints, from the
// main thread at exit, when the job's first line could run (ms since the process started: Node's start-up plus the
// preloads), when the job ended (the first 'exit' listener), and when the exit listeners were done (the probes' final
// flush, CPU profile summary and footer run in between). Costs the same in every arm.
'use strict';
const { performance } = require('node:perf_hooks');
const ready = performance.now();
let ended = 0;
process.prependListener('exit', () => { ended = performance.now(); });
process.on('exit', () => {
  if (!require('node:worker_threads').isMainThread) return;
  require('node:fs').writeSync(2, `\nBATCH_DOCTOR_PHASES ${ready.toFixed(2)} ${ended.toFixed(2)} ${performance.now().toFixed(2)}\n`);
});
