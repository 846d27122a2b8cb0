import * as fs from 'node:fs';
import * as path from 'node:path';
import { WriteError } from '../errors';

/** Writes a file atomically (temporary file, then rename): a reader never sees half a file. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (err) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ }
    throw new WriteError(file, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
}
