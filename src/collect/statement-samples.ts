import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The receiving end of the probes' statement samples (probes/param-sampler.ts):
 * a local socket in a private temporary directory. Samples, with their bind
 * values, stay in this process's memory: they are used for EXPLAIN after the
 * run and never written to a file, a report or a log.
 */

/** One real statement of a class, with the values it ran with. */
export interface StatementSample {
  system: 'postgresql' | 'mysql';
  fingerprint: string;
  /** The statement text as the application sent it. Sensitive: memory only. */
  text: string;
  /** Its bind values. Sensitive: memory only. */
  values: unknown[];
  /** The server the job used, and the password it connected with when its client held one. Sensitive: memory only. */
  server: { host: string | null; port: number | null; database: string | null; user: string | null; password?: string | null };
}

/** Key of a sample in {@link SampleReceiver.samples}. */
export const sampleKey = (system: string, fingerprint: string): string => `${system}\u0000${fingerprint}`;

/** Most bytes accepted from one connection (a bound on memory: 200 classes of at most 64 KB). */
const MAX_BYTES_PER_CONNECTION = 16 * 1024 * 1024;

/** A listening sample receiver. */
export interface SampleReceiver {
  /** Path to pass to the probes. */
  socketPath: string;
  /** Samples by system and fingerprint (`${system}\u0000${fingerprint}`; first one wins). */
  samples: Map<string, StatementSample>;
  /** Stops listening and removes the socket and its directory. */
  close(): Promise<void>;
}

const isSample = (x: unknown): x is StatementSample => {
  const s = x as StatementSample;
  return !!s && (s.system === 'postgresql' || s.system === 'mysql') && typeof s.fingerprint === 'string' && typeof s.text === 'string' && Array.isArray(s.values) && !!s.server && typeof s.server === 'object';
};

/** Starts a receiver in a fresh private directory (mode 700). */
export async function startSampleReceiver(): Promise<SampleReceiver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-samples-'));
  fs.chmodSync(dir, 0o700);
  const socketPath = path.join(dir, 's.sock');
  const samples = new Map<string, StatementSample>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    let buf = '';
    let total = 0;
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      total += d.length;
      if (total > MAX_BYTES_PER_CONNECTION) { c.destroy(); return; }
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl); buf = buf.slice(nl + 1);
        try { const s: unknown = JSON.parse(line); if (isSample(s) && !samples.has(sampleKey(s.system, s.fingerprint))) samples.set(sampleKey(s.system, s.fingerprint), s); } catch { /* a torn line: skipped */ }
      }
    });
    c.on('error', () => undefined);
    c.on('close', () => sockets.delete(c));
  });
  server.unref();
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(socketPath, () => resolve()); });
  return {
    socketPath, samples,
    close: async () => {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
