import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSiteRecord } from '../../probes/trace-records';
import type { CodeSite, Report } from '../../src/model/report';
import { cli, requireTestbed, ROOT, testbedEnv } from '../helpers/testbed';

/**
 * Findings and statement classes point at the line of the job's code that issues the calls, on the real servers:
 * behind a repository two calls deep, through knex, from two places with their shares, in TypeScript run through
 * tsx (source maps in memory), in a bundle run with its map on disk only, and for FTP transfers.
 */
const CS = 'fixtures/pipelines/call-sites';
const tmp = path.join(ROOT, 'test-artifacts', 'call-sites');
/** The line number of the line holding `marker` in a fixture. */
const lineOf = (file: string, marker: string) => fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;

async function profile(name: string, command: string[], options: string[] = []): Promise<{ report: Report; stderr: string; out: string }> {
  const out = path.join(tmp, name);
  const r = await cli(['profile', '--format', 'table', '--no-explain', '--out', out, ...options, '--', ...command], { env: { ...process.env, ...testbedEnv() } });
  expect(r.code, r.stderr).toBe(0);
  return { report: JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Report, stderr: r.stderr, out };
}
const at = (s: CodeSite | undefined) => (s ? `${s.file}:${s.line}` : 'none');

describe('call sites', () => {
  beforeAll(async () => { await requireTestbed(); fs.mkdirSync(tmp, { recursive: true }); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('an N+1 two calls deep in a repository, and the same statement from a second place, with their shares', async () => {
    const { report, stderr, out } = await profile('repo', [process.execPath, `${CS}/job.cjs`]);
    const f = report.findings.find((x) => x.kind === 'n-plus-one-read')!;
    expect(f, JSON.stringify(report.findings.map((x) => x.title))).toBeDefined();
    const [first, second] = f.callSites!;
    expect(at(first)).toBe(`${CS}/repo.cjs:${lineOf(`${CS}/repo.cjs`, 'CALL-SITE-REPO')}`);
    expect(first!.function).toBe('CustomerRepo.one');
    expect(at(second)).toBe(`${CS}/job.cjs:${lineOf(`${CS}/job.cjs`, 'CALL-SITE-SPOT')}`);
    // 300 calls from the repository, 100 from the spot check: the shares come from a sample of stacks.
    expect(first!.share).toBeGreaterThan(0.6);
    expect(first!.share).toBeLessThan(0.9);
    expect(second!.share).toBeGreaterThan(0.1);
    // The stack up to the loop, the loop frame marked.
    expect(first!.stack.map((s) => `${s.file}:${s.line}`)).toContain(`${CS}/repo.cjs:${lineOf(`${CS}/repo.cjs`, 'return this.one(')}`);
    const loop = first!.stack.find((s) => s.loop);
    expect(at(loop as CodeSite)).toBe(`${CS}/job.cjs:${lineOf(`${CS}/job.cjs`, '// LOOP')}`);
    // In every output: the terminal, the HTML, Markdown.
    expect(stderr).toContain(`at ${CS}/repo.cjs:${first!.line}`);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('Called from:');
    expect(html).toContain('(the loop)');
    expect(html).toContain(`${(first!.share * 100).toFixed(0)}% of the calls`);
    const md = await cli(['report', path.join(out, 'report.json'), '--format', 'md']);
    expect(md.stdout).toContain(`repo.cjs:${first!.line}`);
  }, 60_000);

  it('through knex behind a repository: the builder call in the repository, not knex\'s or pg\'s code', async () => {
    const { report } = await profile('knex', [process.execPath, `${CS}/knex-job.cjs`]);
    const q = report.queries.find((x) => x.fingerprint.startsWith('select "id", "name" from "customers"'))!;
    expect(at(q.callSites?.[0])).toBe(`${CS}/knex-repo.cjs:${lineOf(`${CS}/knex-repo.cjs`, 'KNEX-SITE')}`);
    expect(q.callSites![0]!.stack.some((s) => s.loop && s.file === `${CS}/knex-job.cjs`)).toBe(true);
    expect(JSON.stringify(q.callSites)).not.toContain('node_modules');
    // Only when asked do a dependency's frames count.
    const deps = await profile('knex-deps', [process.execPath, `${CS}/knex-job.cjs`], ['--call-sites-in-deps']);
    const qd = deps.report.queries.find((x) => x.fingerprint.startsWith('select "id", "name" from "customers"'))!;
    expect(qd.callSites?.[0]?.file).toMatch(/^node_modules\/(pg|knex)\//);
  }, 90_000);

  it('TypeScript through tsx: the .ts file and line', async () => {
    const { report } = await profile('tsx', [process.execPath, '--import', 'tsx', `${CS}/ts-job.ts`]);
    const q = report.queries.find((x) => x.fingerprint === 'select id, name from customers where id = $1')!;
    expect(at(q.callSites?.[0])).toBe(`${CS}/ts-job.ts:${lineOf(`${CS}/ts-job.ts`, 'TS-SITE')}`);
  }, 120_000);

  it('a bundle run without --enable-source-maps: mapped after the run through its .map on disk', async () => {
    const esbuild = await import('esbuild');
    const bundle = path.join(tmp, 'bundle', 'job.cjs');
    await esbuild.build({ entryPoints: [path.join(ROOT, CS, 'ts-job.ts')], bundle: true, platform: 'node', format: 'cjs', external: ['pg'], sourcemap: true, outfile: bundle, logLevel: 'silent' });
    const { report } = await profile('bundle', [process.execPath, path.relative(ROOT, bundle)]);
    const q = report.queries.find((x) => x.fingerprint === 'select id, name from customers where id = $1')!;
    expect(at(q.callSites?.[0])).toBe(`${CS}/ts-job.ts:${lineOf(`${CS}/ts-job.ts`, 'TS-SITE')}`);
  }, 60_000);

  it('FTP transfers: each upload site with its share', async () => {
    const { out } = await profile('ftp', [process.execPath, 'fixtures/pipelines/ftp-probe/ftp-calls.cjs']);
    const runDir = path.join(out, 'runs', fs.readdirSync(path.join(out, 'runs'))[0]!);
    const footer = fs.readdirSync(runDir).filter((f) => f.startsWith('trace-')).flatMap((f) => fs.readFileSync(path.join(runDir, f), 'utf8').split('\n'))
      .filter((l) => l.startsWith('{"type":"footer"')).map((l) => JSON.parse(l) as { callSites: CallSiteRecord[] })[0]!;
    const uploads = footer.callSites.find((r) => r.kind === 'ftp' && r.key === 'ftp.upload')!;
    expect(uploads.calls).toBe(2);
    expect(uploads.sites.map((s) => `${s.frames[0]!.file}:${s.frames[0]!.line}`).sort()).toEqual([
      `fixtures/pipelines/ftp-probe/ftp-calls.cjs:${lineOf('fixtures/pipelines/ftp-probe/ftp-calls.cjs', "'binary.bin');")}`,
      `fixtures/pipelines/ftp-probe/ftp-calls.cjs:${lineOf('fixtures/pipelines/ftp-probe/ftp-calls.cjs', "'text.txt');")}`,
    ].sort());
  }, 60_000);
});
