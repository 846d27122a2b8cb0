/**
 * The ESM route into the instrumentations, for an ESM main that brings no loader of its own, without
 * import-in-the-middle's loader hook (a loader thread: 65-75 ms of start-up per process on Node 20 and 24,
 * docs/overhead.md).
 *
 * pg, pg-pool, mysql2 and basic-ftp are CommonJS packages. When ESM code imports one, Node's ESM loader runs the
 * package's entry file through `Module._load(filename)`, with no parent module, and require-in-the-middle (which
 * patches `Module.prototype.require`) does not see that file. It does see every file the entry file requires,
 * so the instrumentations that hook those (`pg/lib/client.js`, `mysql2/lib/connection.js`,
 * `basic-ftp/dist/Client.js`) work anyway; the hooks on entry files (`pg-pool`, `mysql2/promise.js`, `pg`) would
 * not. The bridge sends such a parent-less load of a file of an instrumented package through `require`, so
 * every hook runs, as it does for a CommonJS job. Any other load is passed on untouched.
 */
import * as path from 'node:path';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Installs the bridge for the given package names (e.g. `pg`, `mysql2`). Returns false if it could not. */
export function installEsmCjsBridge(packages: string[]): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('node:module') as { _load?: Load; createRequire: (f: string) => NodeRequire };
  const load = Module._load;
  if (typeof load !== 'function' || typeof Module.createRequire !== 'function') return false;
  const names = packages.map((p) => p.split('/')[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const inPackage = new RegExp(`[\\\\/]node_modules[\\\\/](?:${[...new Set(names)].join('|')})[\\\\/][^\\\\/].*\\.(?:c?js)$`);
  Module._load = function bridgedLoad(this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (parent == null && !isMain && typeof request === 'string' && path.isAbsolute(request) && inPackage.test(request)) {
      let req: NodeRequire | undefined;
      try { req = Module.createRequire(request); } catch { req = undefined; }
      // The file's own errors reach the importer as they would without the probes.
      if (req) return req(request);
    }
    // eslint-disable-next-line prefer-rest-params
    return load.apply(this, arguments as unknown as Parameters<Load>);
  };
  return true;
}
