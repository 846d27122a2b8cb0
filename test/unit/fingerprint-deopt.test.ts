import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The fingerprint runs on every call of a statement whose values are inlined in its text (a new text each call).
 * In a fresh process its scanner reads the first thousands of such texts before V8 has optimized it; a read past
 * the end of the text (which gives NaN, so the result is right) made V8 discard the optimized code ("out of
 * bounds") and rebuild it, twice, and a 3,000-call job paid ~7 µs per call in place of ~3 (docs/overhead.md,
 * 2026-12-07, fourth session). Checked on the built file, in a process of its own, with V8's deopt trace.
 */
describe('the literal scanner and tokenizer in a fresh process', () => {
  it('are not deoptimized by reading past the end of texts that end in a number', () => {
    const file = path.resolve('dist/probes/sql-fingerprint.js');
    const script = `
      const { fingerprintSql } = require(${JSON.stringify(file)});
      for (let i = 0; i < 6000; i++) {
        fingerprintSql('SELECT id, name FROM customers WHERE id = ' + (1 + (i * 7) % 5000), 'postgresql');
        fingerprintSql('UPDATE jobs SET done = ' + i + ' WHERE id = ' + (i % 97), 'mysql');
        fingerprintSql("SELECT id FROM users WHERE email = 'u" + i + "@example.com'", 'postgresql');
        fingerprintSql('SELECT id FROM users WHERE name = "n' + i + '"', 'mysql');
        // Not templated (a $ parameter): the full tokenizer, on a new text each call.
        fingerprintSql('SELECT * FROM t WHERE a = $1 AND b = ' + i, 'postgresql');
      }`;
    const r = spawnSync(process.execPath, ['--trace-deopt', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const outOfBounds = r.stdout.split('\n').filter((l) => /bailout .*reason: out of bounds/.test(l));
    expect(outOfBounds).toEqual([]);
  });
});
