#!/usr/bin/env node
// A shim: everything happens in src/cli/main.ts.
import { main } from '../src/cli/main';

void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then((r) => {
  if (r.signal) {
    // The profiled command died of a signal: die of the same one, so callers see what they would have seen.
    process.removeAllListeners(r.signal);
    process.kill(process.pid, r.signal);
    return;
  }
  process.exitCode = r.exitCode;
});
