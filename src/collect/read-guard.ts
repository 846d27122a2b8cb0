import { InputError, InterruptedError } from '../errors';

/**
 * Bytes of input read without a single readable record before a reader gives up, 64 MiB: a real trace file has
 * its first record in its first line (a few hundred bytes) and an OTLP export request is at most
 * {@link MAX_MESSAGE}-sized; 64 MiB of anything else (`/dev/zero`, a binary dump, a log) is not trace data, and
 * reading it to the end could take forever.
 */
export const NO_RECORD_LIMIT_BYTES = 64 * 1024 * 1024;

/** What a reader checks as it goes: the user's interruption, and whether the input has yielded anything. */
export interface ReadGuard {
  /** The signal that interrupted the command, or null. */
  interrupted(): string | null;
}

/**
 * Throws when the command was interrupted, or when `bytes` read from `file` gave no readable record yet and pass
 * {@link NO_RECORD_LIMIT_BYTES}. Readers call it per chunk or record: an interruption stops them within one read.
 */
export function checkRead(guard: ReadGuard | undefined, file: string, bytes: number, records: number): void {
  const sig = guard?.interrupted();
  if (sig) throw new InterruptedError(sig);
  if (records === 0 && bytes >= NO_RECORD_LIMIT_BYTES) {
    throw new InputError(`${file} gave no readable trace record in its first ${NO_RECORD_LIMIT_BYTES / 1024 / 1024} MiB: it is not a batch-doctor trace, OTLP JSON or OTLP protobuf file. Give the trace files of batch-doctor profile or a Collector's file exporter.`);
  }
}
