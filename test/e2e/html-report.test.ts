import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analysis/analyze';
import type { Report } from '../../src/model/report';
import { htmlRenderer } from '../../reports/html';
import { launchChromium, openFile } from '../helpers/browser';
import { cli, requireTestbed, ROOT, testbedEnv } from '../helpers/testbed';
import { TraceBuilder } from '../helpers/trace-builder';

/** The HTML report in Debian's Chromium (headless, playwright-core): a real profile, and an XSS corpus. */
describe('HTML report in a real browser', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-html-'));
  let browser: Browser;
  beforeAll(async () => { browser = await launchChromium(); });
  afterAll(async () => { await browser?.close(); fs.rmSync(out, { recursive: true, force: true }); });

  it('a profile of the sample: no console errors, no requests, no CSP violation; summary and findings visible', async () => {
    await requireTestbed();
    const r = await cli(['profile', '--format', 'none', '--out', out, '--', process.execPath, 'fixtures/pipelines/orders-export/main.cjs'], { env: { ...process.env, ...testbedEnv() } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/open .*report\.html in a browser/);
    const file = path.join(out, 'report.html');
    const { page, log } = await openFile(browser, file);
    expect(log.console).toEqual([]);
    expect(log.errors).toEqual([]);
    expect(log.csp).toEqual([]);
    expect(log.requests).toEqual([`file://${file}`]);
    await expect.poll(() => page.locator('#summary').isVisible()).toBe(true);
    expect(await page.locator('#summary .card .v').first().textContent()).toMatch(/\d/);
    const first = page.locator('details.finding').first();
    expect(await first.isVisible()).toBe(true);
    expect(await first.textContent()).toMatch(/N\+1 reads/);
    // Sorting works (the page's one script ran under its CSP hash): by calls, largest first.
    await page.locator('#queries th', { hasText: 'calls' }).click();
    const calls = await page.locator('#queries tbody tr td:nth-child(3)').allTextContents();
    expect(calls.map(Number)).toEqual([...calls.map(Number)].sort((a, b) => b - a));
    fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'test-artifacts', 'html-report.png'), fullPage: true });
    await page.close();
  }, 90_000);

  it('an XSS corpus in every field shows as literal text and runs no script', async () => {
    const P = [
      '</script><script>window.__pwned=1</script>',
      '<img src=x onerror="window.__pwned=2">',
      '"><svg onload="window.__pwned=3">',
      '\u2028\u2029</SCRIPT ><script>window.__pwned=4</script>',
      "'><iframe src=javascript:window.__pwned=5>",
    ];
    const evil = P.join(' ');
    const b = new TraceBuilder(3000);
    b.stage(evil, 0, 2000);
    b.db(`select ${evil} from customers where id = $1`, 0, 10, { rows: 500 });
    for (let i = 0; i < 500; i++) b.db('select id, name from customers where id = $1', 20 + i * 3, 22 + i * 3, { rows: 1 });
    for (let i = 0; i < 4; i++) b.ftp('ftp.upload', 2000 + i * 200, 2190 + i * 200, { 'ftp.bytes': 100, 'ftp.remote.path': `/${evil}.csv`, 'ftp.remote.ext': evil });
    b.busy(0, 3000, 0.5);
    const base = analyze(b.build(), { toolVersion: evil, warnings: [evil] });
    const report: Report = {
      ...base,
      run: { ...base.run, command: ['node', evil] },
      findings: base.findings.map((f) => ({
        ...f, title: `${f.title} ${evil}`, risk: evil,
        evidence: { ...f.evidence, summary: `${evil} javascript:window.__pwned=6 https://example.com/ok`, metrics: { ...f.evidence.metrics, [evil]: evil } },
        recommendation: { summary: `see javascript:window.__pwned=7 or https://example.com/docs?a=1&b=${encodeURIComponent('"><x>')}`, code: evil },
      })),
      explains: [{
        system: 'postgresql', queryClassId: 'x', fingerprint: evil, mode: 'plan', note: evil,
        plan: { nodeType: evil, relation: evil, index: evil, totalCost: 1, planRows: 1, actualRows: null, loops: null, actualTotalMs: null, exclusiveMs: null, filter: evil, rowsRemovedByFilter: null, details: {}, children: [] },
        diagnostics: [{ kind: evil, severity: 'warning', message: evil, nodePath: [], metrics: {} }],
        indexAdvice: [{ table: evil, columns: [evil], createStatement: evil, confirmed: false, basis: evil, costBefore: null, costAfter: null }],
      }] as unknown as Report['explains'],
      runtime: { ...base.runtime, hotFunctions: [{ functionName: evil, location: evil, selfMs: 1, totalMs: 1, attributedMs: 1 }] },
      detectors: base.detectors.map((d) => ({ ...d, reason: evil })),
    };
    const file = path.join(out, 'xss.html');
    fs.writeFileSync(file, htmlRenderer.render(report));
    const { page, log } = await openFile(browser, file);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(log.dialogs).toEqual([]);
    expect(log.errors).toEqual([]);
    expect(log.console).toEqual([]);
    expect(log.csp).toEqual([]);
    expect(log.requests).toEqual([`file://${file}`]);
    // Shown as text, whole.
    const text = await page.locator('body').innerText();
    expect(text).toContain('<img src=x onerror="window.__pwned=2">');
    expect(text).toContain('</script><script>window.__pwned=1</script>');
    // Links only to http(s): the javascript: "links" are plain text.
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const h of hrefs) expect(h, h).toMatch(/^(#f-\d+|https:\/\/example\.com\/)/);
    expect(hrefs.some((h) => h.startsWith('https://example.com/docs'))).toBe(true);
    // The embedded report survives the escaping unchanged.
    const embedded = await page.evaluate(() => JSON.parse(document.getElementById('report-data')!.textContent!));
    expect(embedded).toEqual(JSON.parse(JSON.stringify(report)));
    await page.close();
  }, 60_000);
});
