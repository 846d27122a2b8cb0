import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;
/** batch-doctor's version, from its package.json. */
export function toolVersion(): string {
  if (cached) return cached;
  try {
    // dist/src/version.js -> package root
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    cached = pkg.version ?? '0.0.0';
  } catch { cached = '0.0.0'; }
  return cached;
}
