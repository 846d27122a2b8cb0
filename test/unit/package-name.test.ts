import { describe, expect, it } from 'vitest';
import { packageOf } from '../../probes/package-name';
import { uninstrumentedIn } from '../../probes/coverage';

describe('package names from module paths', () => {
  it('reads the last node_modules segment, scoped packages included', () => {
    expect(packageOf('/app/node_modules/sequelize/lib/model.js')).toBe('sequelize');
    expect(packageOf('file:///app/node_modules/@scope/orm/dist/index.js')).toBe('@scope/orm');
    expect(packageOf('/app/node_modules/knex/node_modules/pg/lib/client.js')).toBe('pg');
    expect(packageOf('/app/src/job.js')).toBeNull();
  });

  it('finds the uninstrumented clients a job loaded, once each, and none of the instrumented ones', () => {
    expect(uninstrumentedIn([
      '/app/node_modules/mariadb/lib/connection.js', '/app/node_modules/mariadb/promise.js', '/app/node_modules/postgres/cjs/src/index.js',
      '/app/node_modules/pg/lib/index.js', '/app/node_modules/ssh2-sftp-client/src/index.js', '/app/node_modules/tedious/lib/tedious.js', '/app/job.js',
    ])).toEqual(['mariadb', 'tedious']);
  });
});
