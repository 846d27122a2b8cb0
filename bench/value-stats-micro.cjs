// Per-call cost of the pieces every database call pays in the probes: a fingerprint cache hit, the value statistics,
// and fingerprinting a text never seen (a statement with its values inlined). CPU only, no server.
//   npm run build && node bench/value-stats-micro.cjs
const { ValueStats } = require(__dirname + '/../dist/probes/value-stats.js');
const { fingerprintSql } = require(__dirname + '/../dist/probes/sql-fingerprint.js');
const { StatementCounter } = require(__dirname + '/../dist/probes/fast-path/counter.js');
const counter = new StatementCounter();
const v = new ValueStats();
const sql = 'SELECT id, name, region FROM cx_customers WHERE id = $1';
const N = 200000;
for (let r = 0; r < 3; r++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fingerprintSql(sql, 'postgresql');
  const fpNs = Number(process.hrtime.bigint() - t) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) v.observe('postgresql', sql, [i % 5000]);
  const vsNs = Number(process.hrtime.bigint() - t) / N;
  t = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) fingerprintSql(`UPDATE cx_progress SET done = ${i}, at = now() WHERE job = 'reconcile'`, 'postgresql');
  const uniqNs = Number(process.hrtime.bigint() - t) / 20000;
  // A statement with its key inlined: new text every call, for the value statistics too (they read the literals).
  t = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) v.observe('postgresql', `SELECT id, name, region FROM cx_customers WHERE id = ${r * 20000 + i}`, undefined);
  const vsUniqNs = Number(process.hrtime.bigint() - t) / 20000;
  // The fast path's whole chain for a new text, as probes/fast-path/pg.ts runs it: fingerprint, the statement
  // counter, and the value statistics given that fingerprint.
  t = process.hrtime.bigint();
  for (let i = 0; i < 20000; i++) {
    const text = `SELECT name, region FROM cx_customers WHERE id = ${r * 20000 + i}`;
    const fp = fingerprintSql(text, 'postgresql');
    if (fp.parsed && counter.fast(fp.text)) v.observe('postgresql', text, undefined, fp);
  }
  const chainNs = Number(process.hrtime.bigint() - t) / 20000;
  console.log(`fingerprint hit ${fpNs.toFixed(0)} ns, value-stats observe ${vsNs.toFixed(0)} ns, fingerprint of a new text ${uniqNs.toFixed(0)} ns, value-stats observe of a new text ${vsUniqNs.toFixed(0)} ns, fast-path chain for a new text ${chainNs.toFixed(0)} ns`);
}
