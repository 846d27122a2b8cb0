import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { escapeTerminalOutput } from '../../probes/sanitize';
import type { CliIO } from './io';

type OutStream = CliIO['stderr'];

/**
 * A stream that passes everything to `target` through {@link escapeTerminalOutput}: the last line of defence
 * between the CLI and the user's terminal (renderers escape data themselves; this catches what one missed).
 * Only colour and erase-line sequences, line breaks, tabs and carriage returns pass as they are.
 */
function guardStream(target: OutStream): OutStream {
  const decoder = new StringDecoder('utf8');
  const w = new Writable({
    decodeStrings: false,
    write(chunk: Buffer | string, _enc, done) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      // Handed on at once (the target buffers): nothing waits here, so nothing is lost if the process ends next.
      if (text) target.write(escapeTerminalOutput(text));
      done();
    },
    final(done) { const rest = decoder.end(); if (rest) target.write(escapeTerminalOutput(rest)); done(); },
  }) as unknown as OutStream;
  Object.defineProperty(w, 'isTTY', { get: () => target.isTTY, enumerable: true });
  Object.defineProperty(w, 'columns', { get: () => target.columns, enumerable: true });
  return w;
}

/** The CLI's IO with stdout and stderr guarded (see {@link guardStream}). */
export function guardIO(io: CliIO): CliIO {
  return { ...io, stdout: guardStream(io.stdout), stderr: guardStream(io.stderr as OutStream) };
}
