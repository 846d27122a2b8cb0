import * as fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, installed by testbed/start.sh. */
export const CHROMIUM = '/usr/bin/chromium';

/** Launches headless Chromium; fails with the fix when it is missing (never skips). */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash testbed/start.sh (as root) to install Debian's chromium.`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** What a page did while it loaded: console messages, page errors, requests, dialogs and CSP violations. */
export interface PageLog { console: string[]; errors: string[]; requests: string[]; dialogs: string[]; csp: string[] }

/** Opens a file in a new page and records everything it does. */
export async function openFile(browser: Browser, file: string): Promise<{ page: Page; log: PageLog; loadMs: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const log: PageLog = { console: [], errors: [], requests: [], dialogs: [], csp: [] };
  page.on('console', (m) => log.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.errors.push(e.message));
  page.on('request', (r) => log.requests.push(r.url()));
  page.on('dialog', (d) => { log.dialogs.push(d.message()); void d.dismiss(); });
  // Runs before the page's own scripts, outside its CSP: records violations the page would not report.
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const t0 = performance.now();
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  const loadMs = performance.now() - t0;
  log.csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  return { page, log, loadMs };
}
