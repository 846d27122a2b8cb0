import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** An OTLP/HTTP receiver on loopback that answers `status` and keeps every request body. */
export function otlpServer(status = 200): Promise<{ port: number; bodies: string[]; close: () => void }> {
  return new Promise((resolve) => {
    const bodies: string[] = [];
    const s = http.createServer((req, res) => {
      let b = '';
      req.setEncoding('utf8').on('data', (d: string) => { b += d; }).on('end', () => { bodies.push(b); res.writeHead(status, { 'content-type': 'application/json' }).end('{}'); });
    });
    s.listen(0, '127.0.0.1', () => resolve({ port: (s.address() as net.AddressInfo).port, bodies, close: () => s.close() }));
  });
}

/** A server on loopback that accepts connections and never answers. */
export function silentServer(): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve) => {
    const sockets: net.Socket[] = [];
    const s = net.createServer((c) => { sockets.push(c); });
    s.listen(0, '127.0.0.1', () => resolve({ port: (s.address() as net.AddressInfo).port, close: () => { sockets.forEach((c) => c.destroy()); s.close(); } }));
  });
}

/** Every file under `dir`, read as text and joined: for searching all of a run's outputs at once. */
export function readAllFiles(dir: string): string {
  let s = '';
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    s += e.isDirectory() ? readAllFiles(p) : fs.readFileSync(p, 'utf8');
  }
  return s;
}
