// Per-call cost of the probes on a loop of 20,000 primary-key lookups (CPU and wall µs per query).
//   source testbed/env.sh; V=bare node bench/per-call-cost.cjs
//   V=probes BATCH_DOCTOR_TRACE_DIR=$(mktemp -d) node -r ./dist/probes/bundle/register.js bench/per-call-cost.cjs
const pg = require('pg');
(async () => {
  const c = new pg.Client(); // PGHOST, PGPORT, ... from testbed/env.sh
  await c.connect();
  for (let i = 0; i < 2000; i++) await c.query('SELECT id, name, email, country FROM customers WHERE id = $1', [1 + (i % 5000)]);
  const u0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < 20000; i++) await c.query('SELECT id, name, email, country FROM customers WHERE id = $1', [1 + (i % 5000)]);
  const u = process.cpuUsage(u0);
  console.log(`${process.env.V} cpu_us_per_query ${((u.user + u.system) / 20000).toFixed(1)} wall_us_per_query ${((performance.now() - t0) * 1000 / 20000).toFixed(1)}`);
  await c.end();
})();
