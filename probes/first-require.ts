/**
 * Runs a function once, when the job first requires one of the given packages, before that package loads.
 *
 * Why: building the instrumentations (their modules, require-in-the-middle's hook and one hook per module name)
 * cost 4-9 ms of start-up in every profiled process, measured on Node 20 and 24, also in the many processes of a
 * job that never load a database or FTP client (npm's own process, helpers, tools). Built on the first require of
 * a client, a process without one does not pay it, and a job that has one pays it then instead of at start-up.
 *
 * How: `Module.prototype.require` is wrapped (CommonJS jobs; an ES module job needs its hooks from the start and does
 * not use this). On the first request that loads a file of one of the packages ({@link loadsPackage}: `pg`,
 * `mysql2/promise`, `/.../node_modules/pg/lib/index.js`, `./client` from inside pg), `fn` runs; the request is then sent through
 * `Module.prototype.require` as it is now, so a hook that `fn` installed there (require-in-the-middle's) sees the
 * very load that triggered it. Afterwards the wrapper takes itself out if nothing wrapped it since, and otherwise
 * only passes calls on.
 */
import { safely } from './guard';

type Require = (this: unknown, id: string) => unknown;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const NodeModule = require('node:module') as { prototype?: { require?: Require }; builtinModules?: string[] };
const BUILTINS: ReadonlySet<string> = new Set(NodeModule.builtinModules ?? []);

/** The package a bare specifier or an absolute path inside node_modules names, or null. */
export function packageOfRequest(id: string): string | null {
  if (id.length === 0 || id.startsWith('node:') || id.startsWith('.')) return null;
  const nm = id.lastIndexOf('node_modules');
  if (nm >= 0) {
    const rest = id.slice(nm + 'node_modules'.length + 1).split(/[\\/]/);
    return rest[0]?.startsWith('@') ? (rest[1] ? `${rest[0]}/${rest[1]}` : null) : (rest[0] || null);
  }
  if (id.startsWith('/') || /^[A-Za-z]:[\\/]/.test(id)) return null;
  const parts = id.split('/');
  return parts[0]!.startsWith('@') ? (parts[1] ? `${parts[0]}/${parts[1]}` : null) : parts[0]!;
}

/** The package names of module ids (`mysql2/promise` is `mysql2`). */
function packageNames(packages: readonly string[]): ReadonlySet<string> {
  return new Set(packages.map((p) => packageOfRequest(p)).filter((p): p is string => p !== null));
}

/** The file of the module a `require` was called on (its `this`), if any. */
const parentFileOf = (mod: unknown): unknown => (mod as { filename?: unknown } | null | undefined)?.filename;

/**
 * Calls `fn` once, on the first require of one of `packages` (module ids such as `pg` or `mysql2/promise`: their
 * package names count). Returns false if `Module.prototype.require` could not be wrapped (the caller then runs `fn`
 * itself).
 */
export function onFirstRequireOf(packages: readonly string[], fn: () => void): boolean {
  const proto = NodeModule.prototype;
  const original = proto?.require;
  if (!proto || typeof original !== 'function') return false;
  const names = packageNames(packages);
  let done = false;
  // Where calls go once done: `original`, or, when the wrapper could take itself out, the chain `fn` installed. A tool
  // that saved this wrapper before the trigger and puts it back later (wrap, then restore) keeps the hooks that way;
  // the wrapper is not in that chain, so nothing loops.
  let next: Require = original;
  const wrapper: Require = function firstRequireOf(this: unknown, id: string): unknown {
    if (!done && typeof id === 'string') {
      const parent = parentFileOf(this);
      if (safely('first-require', () => loadsPackage(id, parent, names))) {
        done = true;
        const removed = proto.require === wrapper;
        if (removed) proto.require = original;
        safely('first-require', fn);
        const now = proto.require as Require;
        if (removed && now !== wrapper) next = now;
        // Through whatever is installed now, so that a hook fn installed sees this load too.
        // eslint-disable-next-line prefer-rest-params
        return now.apply(this, arguments as unknown as [string]);
      }
    }
    // eslint-disable-next-line prefer-rest-params
    return next.apply(this, arguments as unknown as [string]);
  };
  proto.require = wrapper;
  return true;
}

/**
 * True when a require of `id` from the file `parentFile` loads a file of one of `names`: by the package's name, by a
 * path into its node_modules directory, or relative from a file inside it (an ES module job's first sight of a
 * CommonJS package can be such a require, made by the package's entry file that Node's ESM loader ran).
 */
export function loadsPackage(id: string, parentFile: unknown, names: ReadonlySet<string>): boolean {
  if (id.startsWith('.')) {
    if (id.includes('node_modules')) return true; // it climbs into a node_modules directory
    const own = typeof parentFile === 'string' ? packageOfRequest(parentFile) : null;
    return own !== null && names.has(own);
  }
  const pkg = packageOfRequest(id);
  return pkg !== null && names.has(pkg);
}

/** {@link loadsPackage}, or a built-in module, or a subpath import (`#x`, which can map to anything). */
export function mayLoadPackage(id: string, parentFile: unknown, names: ReadonlySet<string>): boolean {
  return id.startsWith('node:') || id.startsWith('#') || BUILTINS.has(id) || loadsPackage(id, parentFile, names);
}

/**
 * Sends only the requires that can load one of `packages` through `hook` (require-in-the-middle's wrapper, which the
 * instrumentations installed on top of `below`); every other require goes straight to `below`.
 *
 * Why: require-in-the-middle, as OpenTelemetry's instrumentations use it, sees every require of the process: for each
 * it resolves the file a second time, then resolves the package's main file once more to tell a package from a
 * file inside it, before it finds that nothing is hooked there. A CommonJS job's own modules and every package that is
 * not a client (an ORM's hundreds of files, the clients' own dependencies) paid that on each first load. What reaches
 * `hook` is what it could patch: a bare name or a node_modules path of one of the packages, a relative require from a
 * file inside one of them, a built-in module, a subpath import (`#x`, which can map to anything).
 */
export function routeUnhookedPast(hook: Require, below: Require, packages: readonly string[]): boolean {
  const proto = NodeModule.prototype;
  if (!proto || proto.require !== hook || hook === below) return false;
  const names = packageNames(packages);
  proto.require = function routedRequire(this: unknown, id: string): unknown {
    const parent = parentFileOf(this);
    const toHook = typeof id !== 'string' || (safely('require-route', () => mayLoadPackage(id, parent, names)) ?? true);
    // eslint-disable-next-line prefer-rest-params
    return (toHook ? hook : below).apply(this, arguments as unknown as [string]);
  };
  return true;
}
