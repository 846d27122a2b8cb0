// Per-call cost of the pg call paths, A/B inside one probed process: blocks of 1,000 primary-key lookups,
// alternating between pg's own `Client.prototype.query` ("bare"), the probes' fast path ("fast"), a wrapper that
// only times the call and chains one `.then` (the floor for any wrapper that times a promise) and the official
// OpenTelemetry wrapper ("official", a full span per call), and "fastSampled": the fast path with one call in 100
// sent through the official wrapper, as the probes did before 2026-11-24. Reports the medians of main-thread CPU (from
// /proc/self/task/<pid>/schedstat, ns) and wall per call, and of each path's difference from the bare block of
// the same round. In one process, the machine's slow spells hit every path alike.
//   npm run build && source testbed/env.sh
//   BATCH_DOCTOR_TRACE_DIR=$(mktemp -d) BATCH_DOCTOR_CPU_PROFILE=0 node -r ./dist/probes/bundle/register.js bench/per-call-ab.cjs
//   (Node 24: npx -p node@24 node -r ... ; BLOCKS=30 for more rounds; PATHS=bare,fast to pick paths;
//    LITERAL=1: the key concatenated into the text, new on every call, in place of a bind parameter;
//    CALLBACK=1: callback-style calls, as knex and pg.Pool#query make them)
'use strict';
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const pg = require('pg');

/** Main-thread CPU time, µs (Linux). */
const threadCpuUs = () => Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e3;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

(async () => {
  const proto = pg.Client.prototype;
  const fast = proto.query;
  if (!fast.__batchDoctorFast) {
    console.error('per-call-ab: the probes are not loaded (run with -r ./dist/probes/bundle/register.js and BATCH_DOCTOR_TRACE_DIR)');
    process.exitCode = 2;
    return;
  }
  const official = fast.__original;
  const bare = official.__original;
  const thenOnly = function (...args) { const t = performance.now(); return bare.apply(this, args).then((r) => { thenOnly.last = performance.now() - t; return r; }); };
  // The fast path as it was before 2026-11-24: one call in 100 through the official wrapper (run cold).
  let k = 0;
  const fastSampled = function (...args) { return (++k % 100 === 0 ? official : fast).apply(this, args); };
  const all = { bare, fast, thenOnly, official, fastSampled };
  const names = (process.env.PATHS || 'bare,fast,thenOnly,fastSampled,official').split(',');
  const c = new pg.Client(); // PGHOST, PGPORT, ... (testbed/env.sh)
  await c.connect();
  const sql = 'SELECT id, name, email, country FROM customers WHERE id = $1';
  const literal = process.env.LITERAL === '1';
  // CALLBACK=1: callback-style calls (what knex and pg.Pool#query make), each wrapped in a promise to await it.
  const callback = process.env.CALLBACK === '1';
  const N = 1000, BLOCKS = Number(process.env.BLOCKS || 20);
  const res = Object.fromEntries(names.map((n) => [n, []]));
  // Two warm-up rounds; the order alternates each round.
  for (let b = -2; b < BLOCKS; b++) {
    for (const n of (b % 2 ? names : [...names].reverse())) {
      proto.query = all[n];
      const c0 = threadCpuUs(), w0 = performance.now();
      if (callback) for (let i = 0; i < N; i++) await new Promise((resolve, reject) => c.query(sql, [1 + ((i * 7) % 5000)], (e, r) => (e ? reject(e) : resolve(r))));
      else if (literal) for (let i = 0; i < N; i++) await c.query(`SELECT id, name, email, country FROM customers WHERE id = ${1 + ((i * 7 + b * 13) % 5000)}`);
      else for (let i = 0; i < N; i++) await c.query(sql, [1 + ((i * 7) % 5000)]);
      const c1 = threadCpuUs(), w1 = performance.now();
      if (b >= 0) res[n].push([(c1 - c0) / N, ((w1 - w0) * 1000) / N]);
    }
  }
  proto.query = fast;
  await c.end();
  const base = res[names[0]];
  console.log(`Node ${process.version}, ${BLOCKS} rounds of ${N} calls per path${literal ? ', the key inlined in the text' : ''}${callback ? ', callback style' : ''}; difference from "${names[0]}" in the same round`);
  console.log('| path | CPU per call | difference | wall per call | difference |');
  console.log('|---|---|---|---|---|');
  for (const n of names) {
    const cpu = median(res[n].map((x) => x[0])), wall = median(res[n].map((x) => x[1]));
    const dc = median(res[n].map((x, i) => x[0] - base[i][0])), dw = median(res[n].map((x, i) => x[1] - base[i][1]));
    console.log(`| ${n} | ${cpu.toFixed(1)} µs | ${dc >= 0 ? '+' : ''}${dc.toFixed(1)} µs | ${wall.toFixed(1)} µs | ${dw >= 0 ? '+' : ''}${dw.toFixed(1)} µs |`);
  }
})().catch((e) => { console.error(`per-call-ab: ${e.message}`); process.exitCode = 1; });
