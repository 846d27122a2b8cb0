import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import { TraceBuilder } from '../helpers/trace-builder';

const run = (b: TraceBuilder) => analyze(b.build(), { toolVersion: 'test' });

describe('the socket safety net in the analysis', () => {
  it('puts waits on an uninstrumented endpoint in a network category, outside database time, and warns', () => {
    const b = new TraceBuilder(1000);
    // 400 ms of waits on the MariaDB connector's socket; a database call overlaps the first 50 ms of them.
    b.network('10.0.0.5:3306', 'mariadb', [[100, 300], [400, 600]], { connections: 2, bytesIn: 5000, bytesOut: 900 });
    b.db('select 1', 100, 150, { rows: 1 });
    const r = run(b);
    const cat = Object.fromEntries(r.breakdown.categories.map((c) => [c.category, c.ms]));
    expect(cat['db']).toBeCloseTo(50, 3);
    expect(cat['network']).toBeCloseTo(350, 3);
    expect(r.breakdown.categories.reduce((a, c) => a + c.ms, 0)).toBeCloseTo(1000, 3);
    expect(r.collection.coverage!.network).toEqual([{ endpoint: '10.0.0.5:3306', client: 'mariadb', connections: 2, bytesIn: 5000, bytesOut: 900, roundTrips: 2, waitMs: 400, wallShare: 0.4 }]);
    // Known from its connections even though the module cache did not list it (an ES module import).
    expect(r.collection.coverage!.uninstrumented).toEqual([{ name: 'mariadb', what: 'the MariaDB connector' }]);
    expect(r.warnings.some((w) => w.startsWith('400 ms (40% of the wall) waiting on 10.0.0.5:3306 through the MariaDB connector'))).toBe(true);
    // The timeline carries the network waits bin by bin (for the HTML chart): they add up to the category.
    expect(r.timeline!.network!.reduce((a, x) => a + x, 0)).toBeCloseTo(350, 0);
  });

  it('names the job\'s own code as the client, and stays quiet under 1% of the wall', () => {
    const b = new TraceBuilder(10_000);
    b.network('api.example.com:443', null, [[0, 500]]);
    b.network('10.0.0.9:8080', null, [[600, 650]]);
    const r = run(b);
    expect(r.warnings.filter((w) => w.includes('waiting on'))).toEqual([expect.stringContaining("waiting on api.example.com:443 from the job's own code")]);
    expect(r.collection.coverage!.uninstrumented).toEqual([]);
  });

  it('has no network category when nothing went through an uninstrumented client', () => {
    const b = new TraceBuilder(1000);
    b.db('select 1', 0, 100);
    const r = run(b);
    expect(r.breakdown.categories.map((c) => c.category)).toEqual(['db', 'ftp', 'logic', 'waiting']);
    expect(r.collection.coverage!.network).toBeUndefined();
    expect(r.timeline!.network).toBeUndefined();
  });
});
