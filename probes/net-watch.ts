import { performance } from 'node:perf_hooks';
import { safely } from './guard';
import { IO_CLIENT_PACKAGES, packageOf } from './package-name';
import type { NetworkEndpointRecord } from './trace-records';

/**
 * Most wait intervals kept per process (a bound on memory and on the footer's size: 16 bytes each). Beyond it the
 * totals stay exact and the intervals are counted as dropped.
 */
export const MAX_NET_INTERVALS = 200_000;
/** Frames read from the stack when a socket is created, to tell which package created it. */
const CREATOR_FRAMES = 40;

const TIME_ORIGIN = performance.timeOrigin;

interface SocketLike {
  _write: (...a: unknown[]) => unknown;
  _writev?: (...a: unknown[]) => unknown;
  push: (...a: unknown[]) => unknown;
  once: (ev: string, fn: () => void) => unknown;
  remoteAddress?: string;
  remotePort?: number;
  bytesRead?: number;
  bytesWritten?: number;
}

interface Endpoint extends NetworkEndpointRecord { intervals: number[] }

/**
 * The safety net under the client probes: every TCP connection the job opens through a client batch-doctor does not
 * instrument (a database driver, an HTTP API, a file server), accounted by remote endpoint from Node's own
 * diagnostics channel `net.client.socket`: connections, bytes each way, round trips and the time spent waiting for the
 * other side (from a write with no reply pending to the reply's first bytes), so that this time is reported as
 * network time to that endpoint and not as logic or idle time.
 *
 * Which sockets: those created outside the instrumented clients' packages (pg, mysql2, basic-ftp... whose calls are
 * timed already) and outside the probes, told by the first package frame on the stack when the socket is created
 * (one stack capture per connection). Node 20 publishes the channel for `net.connect()`/`net.createConnection()`
 * (what HTTP agents, mysql-family and Redis drivers use); Node 22+ for every client socket.
 *
 * How: on such a socket the instance's `_write`/`_writev` (where each written chunk goes) and `push` (the stream
 * method Node calls with each chunk read) are wrapped, and `connect` and `close` listeners added; no `data` or `error` listener, so its flow and error handling
 * are the job's. Never throws.
 */
export class NetWatch {
  private readonly endpoints = new Map<string, Endpoint>();
  private intervals = 0;
  private dropped = 0;
  private unsubscribe: (() => void) | null = null;

  /** @param probesDir the probes' own directory: sockets created from there (the OTLP forwarder) are not the job's. */
  constructor(private readonly probesDir: string) {}

  /** Subscribes to `net.client.socket`. Returns false when this Node has no such channel. */
  start(): boolean {
    return safely('net-watch', () => {
      const dc = require('node:diagnostics_channel') as typeof import('node:diagnostics_channel');
      if (typeof dc.subscribe !== 'function') return false;
      const onSocket = (message: unknown) => safely('net-watch', () => this.onSocket((message as { socket?: SocketLike } | null)?.socket));
      dc.subscribe('net.client.socket', onSocket);
      this.unsubscribe = () => dc.unsubscribe('net.client.socket', onSocket);
      return true;
    }) ?? false;
  }

  /** Stops watching new sockets. */
  stop(): void { safely('net-watch', () => this.unsubscribe?.()); this.unsubscribe = null; }

  /** The package that created the socket being made now (the first frame in node_modules), or null for the job's own code. */
  private creator(): { pkg: string | null; ours: boolean } {
    // The stack's frames as V8's call sites, not as text: only their file names are read, and formatting 40 frames
    // into a string was about 40% of the capture (52 -> 29 µs per socket warm, docs/overhead.md R7).
    // Error.prepareStackTrace is the host's again before anything else runs (the stack is read inside the try).
    const limit = Error.stackTraceLimit, prepare = Error.prepareStackTrace;
    let frames: unknown;
    try {
      Error.stackTraceLimit = CREATOR_FRAMES;
      Error.prepareStackTrace = (_e, callSites) => callSites;
      const holder: { stack?: unknown } = {};
      Error.captureStackTrace(holder);
      frames = holder.stack;
    } finally { Error.stackTraceLimit = limit; Error.prepareStackTrace = prepare; }
    // The first frames are this subscriber's own (the channel calls it from inside net.connect): past them, the
    // first frame outside Node's internals says who opened the socket.
    let inSubscriber = true;
    for (const cs of Array.isArray(frames) ? (frames as NodeJS.CallSite[]) : []) {
      const name = cs.getFileName();
      const file = typeof name === 'string' && (name.startsWith('/') || name.startsWith('file:///')) ? name : null;
      // Node's own frames (node:net, node:diagnostics_channel) end the subscriber's frames.
      if (!file) { inSubscriber = false; continue; }
      const isOurs = file.startsWith(this.probesDir) || /[\\/]probes[\\/]bundle[\\/]/.test(file) || file.includes('/@opentelemetry/');
      if (inSubscriber && isOurs) continue;
      inSubscriber = false;
      return isOurs ? { pkg: null, ours: true } : { pkg: packageOf(file.replace(/^file:\/\//, '')), ours: false };
    }
    return { pkg: null, ours: false };
  }

  private onSocket(socket: SocketLike | undefined): void {
    if (!socket || typeof socket._write !== 'function' || typeof socket.push !== 'function' || typeof socket.once !== 'function') return;
    const { pkg, ours } = this.creator();
    if (ours || (pkg !== null && IO_CLIENT_PACKAGES.includes(pkg))) return;
    let ep: Endpoint | null = null;
    let pending = -1;
    const self = this;
    // The stream's `_write`/`_writev` (what `write` hands each chunk to), not `write` itself: Node's
    // Socket#connect resets an own `write` property.
    const write = socket._write, writev = socket._writev, push = socket.push;
    socket._write = function (this: unknown, ...args: unknown[]) {
      if (pending < 0) pending = performance.now();
      return write.apply(this, args);
    };
    if (typeof writev === 'function') {
      socket._writev = function (this: unknown, ...args: unknown[]) {
        if (pending < 0) pending = performance.now();
        return writev.apply(this, args);
      };
    }
    socket.push = function (this: unknown, ...args: unknown[]) {
      if (pending >= 0 && args[0] !== null && args[0] !== undefined) {
        const now = performance.now();
        safely('net-watch', () => self.waited(ep, pending, now));
        pending = -1;
      }
      return push.apply(this, args);
    };
    socket.once('connect', () => safely('net-watch', () => {
      // TCP only: a Unix socket or a Windows pipe has no remote port.
      if (typeof socket.remotePort !== 'number') { for (const k of ['_write', '_writev', 'push'] as const) delete (socket as Partial<SocketLike>)[k]; return; }
      ep = this.endpoint(`${socket.remoteAddress ?? '?'}:${socket.remotePort}`, pkg);
      ep.connections++;
    }));
    socket.once('close', () => safely('net-watch', () => {
      if (!ep) return;
      ep.bytesIn += socket.bytesRead ?? 0;
      ep.bytesOut += socket.bytesWritten ?? 0;
    }));
  }

  private endpoint(key: string, client: string | null): Endpoint {
    let e = this.endpoints.get(key);
    if (!e) this.endpoints.set(key, (e = { endpoint: key, client, connections: 0, bytesIn: 0, bytesOut: 0, roundTrips: 0, waitMs: 0, intervals: [] }));
    if (e.client === null && client !== null) e.client = client;
    return e;
  }

  private waited(ep: Endpoint | null, a: number, b: number): void {
    // A reply before the connect event cannot happen on TCP; without an endpoint there is nothing to add to.
    if (!ep) return;
    ep.roundTrips++;
    ep.waitMs += b - a;
    if (this.intervals >= MAX_NET_INTERVALS) { this.dropped++; return; }
    this.intervals++;
    ep.intervals.push(TIME_ORIGIN + a, TIME_ORIGIN + b);
  }

  /** What was seen, for the footer (times rounded to µs). */
  summary(): { endpoints: NetworkEndpointRecord[]; intervalsDropped: number } {
    const endpoints = [...this.endpoints.values()].map((e) => ({
      ...e, waitMs: Math.round(e.waitMs * 1000) / 1000, intervals: e.intervals.map((t) => Math.round(t * 1000) / 1000),
    }));
    return { endpoints, intervalsDropped: this.dropped };
  }
}
