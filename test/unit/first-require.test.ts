import * as fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mayLoadPackage, onFirstRequireOf, packageOfRequest, routeUnhookedPast } from '../../probes/first-require';

type Req = (this: unknown, id: string) => unknown;
const proto = (Module as unknown as { prototype: { require: Req } }).prototype;
const original = proto.require;

/** A directory with node_modules/<name>/index.js for each name, each exporting its name. */
function fixture(names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-first-require-'));
  for (const n of names) {
    fs.mkdirSync(path.join(dir, 'node_modules', n), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules', n, 'index.js'), `module.exports = { name: ${JSON.stringify(n)} };`);
  }
  fs.writeFileSync(path.join(dir, 'job.js'), '');
  return dir;
}

describe('onFirstRequireOf (instrumentations built on the first require of a client)', () => {
  afterEach(() => { proto.require = original; });

  it('names the package of a bare specifier or of a file inside node_modules, and nothing else', () => {
    expect(packageOfRequest('pg')).toBe('pg');
    expect(packageOfRequest('mysql2/promise')).toBe('mysql2');
    expect(packageOfRequest('@scope/client/lib/x.js')).toBe('@scope/client');
    expect(packageOfRequest('/app/node_modules/pg/lib/index.js')).toBe('pg');
    expect(packageOfRequest('/app/node_modules/@scope/client/index.js')).toBe('@scope/client');
    expect(packageOfRequest('C:\\app\\node_modules\\pg\\lib\\index.js')).toBe('pg');
    for (const none of ['./pg', '../pg/index.js', '/app/lib/pg.js', 'node:fs', '', '@scope']) expect(packageOfRequest(none)).toBeNull();
  });

  it('runs once, before the first client loads, and a require hook installed then sees that very load', () => {
    const dir = fixture(['other', 'pg', 'mysql2']);
    const req = createRequire(path.join(dir, 'job.js'));
    const seen: string[] = [];
    let calls = 0;
    expect(onFirstRequireOf(['pg', 'mysql2/promise'], () => {
      calls++;
      // What require-in-the-middle does when the first instrumentation is enabled: wrap Module.prototype.require.
      const below = proto.require;
      proto.require = function hook(this: unknown, id: string) { seen.push(id); return below.call(this, id); };
    })).toBe(true);
    expect(req('other')).toEqual({ name: 'other' });
    expect(typeof (req('node:path') as typeof path).join).toBe('function');
    expect(calls).toBe(0);
    expect(req('pg')).toEqual({ name: 'pg' });
    expect(calls).toBe(1);
    expect(seen).toEqual(['pg']);
    expect(req('mysql2')).toEqual({ name: 'mysql2' });
    expect(calls).toBe(1);
    expect(seen).toEqual(['pg', 'mysql2']);
  });

  it('triggers on a relative require made from inside the package (an ES module job imported its entry file)', () => {
    const dir = fixture(['pg']);
    fs.writeFileSync(path.join(dir, 'node_modules', 'pg', 'client.js'), 'module.exports = "client";');
    const fromInside = createRequire(path.join(dir, 'node_modules', 'pg', 'index.js'));
    let calls = 0;
    onFirstRequireOf(['pg'], () => { calls++; });
    expect(createRequire(path.join(dir, 'job.js'))('node:path')).toBeDefined();
    expect(calls).toBe(0);
    expect(fromInside('./client')).toBe('client');
    expect(calls).toBe(1);
  });

  it('triggers on an absolute path into the package (an ES module importing it through the bridge), and takes itself out', () => {
    const dir = fixture(['pg']);
    const req = createRequire(path.join(dir, 'job.js'));
    let calls = 0;
    onFirstRequireOf(['pg'], () => { calls++; });
    expect(proto.require).not.toBe(original);
    expect(req(path.join(dir, 'node_modules', 'pg', 'index.js'))).toEqual({ name: 'pg' });
    expect(calls).toBe(1);
    expect(proto.require).toBe(original);
  });

  it('a tool that saved the wrapper and puts it back later keeps the hooks installed at the trigger', () => {
    const dir = fixture(['pg', 'other']);
    const req = createRequire(path.join(dir, 'job.js'));
    const seen: string[] = [];
    onFirstRequireOf(['pg'], () => {
      const below = proto.require;
      proto.require = function hook(this: unknown, id: string) { seen.push(id); return below.call(this, id); };
    });
    const saved = proto.require; // e.g. a mocking tool, before the job's first require of a client
    req('pg');
    proto.require = saved; // ... and its restore afterwards
    expect(req('other')).toEqual({ name: 'other' });
    expect(seen).toEqual(['pg', 'other']);
  });

  it('a failing callback never reaches the job: the module still loads', () => {
    const dir = fixture(['pg']);
    const req = createRequire(path.join(dir, 'job.js'));
    onFirstRequireOf(['pg'], () => { throw new Error('instrumentation failed'); });
    expect(req('pg')).toEqual({ name: 'pg' });
  });

  it('sends to the hook only the requires that can load a hooked package; the rest go straight below it', () => {
    const names = new Set(['pg', 'pg-pool', 'mysql2']);
    const inPg = '/app/node_modules/.pnpm/pg@8.11.3/node_modules/pg/lib/index.js';
    // Could load a hooked package: by name, by path, relative from inside one, built-ins, subpath imports.
    for (const [id, parent] of [['pg', '/app/job.js'], ['mysql2/promise', '/app/job.js'], ['./client', inPg], ['../lib/x.js', inPg],
      ['/app/node_modules/pg/lib/client.js', '/app/job.js'], ['../node_modules/pg', '/app/src/job.js'], ['net', '/app/job.js'],
      ['node:fs', '/app/job.js'], ['#db', '/app/job.js'], ['pg-pool', inPg]] as const) {
      expect(mayLoadPackage(id, parent, names), `${id} from ${parent}`).toBe(true);
    }
    // Cannot: other packages, the job's own files, files inside other packages.
    for (const [id, parent] of [['knex', '/app/job.js'], ['./lib/etl', '/app/job.js'], ['./dialects/postgres', '/app/node_modules/knex/lib/index.js'],
      ['lodash/get', '/app/node_modules/knex/lib/index.js'], ['./x', undefined], ['pgx', '/app/job.js'], ['@scope/pg', '/app/job.js']] as const) {
      expect(mayLoadPackage(id, parent, names), `${id} from ${parent}`).toBe(false);
    }
  });

  it('routes a real require past the hook when it cannot load a hooked package, and through it when it can', () => {
    const dir = fixture(['other', 'pg']);
    const req = createRequire(path.join(dir, 'job.js'));
    const below = proto.require;
    const seen: string[] = [];
    const hook: Req = function hook(this: unknown, id: string) { seen.push(id); return below.call(this, id); };
    proto.require = hook;
    expect(routeUnhookedPast(hook, below, ['pg'])).toBe(true);
    expect(req('other')).toEqual({ name: 'other' });
    expect(req('pg')).toEqual({ name: 'pg' });
    expect(typeof (req('node:path') as typeof path).join).toBe('function');
    expect(seen).toEqual(['pg', 'node:path']);
    // Not installed when the hook is not on top (someone wrapped require since): nothing is bypassed then.
    proto.require = original;
    expect(routeUnhookedPast(hook, below, ['pg'])).toBe(false);
  });
});
