/**
 * The pages browsers see (issue 17, item 5): they name the application, offer to try the same
 * address again when that makes sense (an address on the application, never the Host's), name
 * no internal host, escape everything, and can be replaced (`pagesDir`). Checked in Chromium too.
 */

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { htmlPage, loadPageTemplates } from '../../src/gateway/pages.js';
import { isPortcullisError } from '../../src/errors/index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { CHROMIUM_PATH, describeNeeding, executableProblem } from '../support/real-parts.js';
import { freePort } from '../support/wait.js';

const HTML = 'text/html,application/xhtml+xml';
const DEAD_UPSTREAM = 'http://127.0.0.1:9';

/** An application `reports` whose upstream never answers (every page is a 502), `skip` unauthenticated. */
function reportsGateway(port: number, skip: string): Promise<RunningGateway> {
  return startGateway(`
listen: "127.0.0.1:${port}"
metricsListen: ""
secret: "\${PORTCULLIS_SECRET}"
identity: { issuer: "http://127.0.0.1:9/unreachable", clientId: c }
applications:
  - name: reports
    externalHost: "http://reports.localhost:${port}"
    internalHost: "${DEAD_UPSTREAM}"
    skipPathRegex: ["${skip}"]
`);
}

describe('a page', () => {
  it('escapes every value and offers a retry link only when given one', () => {
    const page = htmlPage({ status: 502, error: 'bad_gateway', message: '<b>"x"</b>' }, { application: 'a<pp>', retryUrl: 'https://app.example.com/x?a=1&b="2"' });
    expect(page).toContain('&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(page).toContain('<p class="app">a&lt;pp&gt;</p>');
    expect(page).toContain('<a class="retry" href="https://app.example.com/x?a=1&amp;b=&quot;2&quot;">Try again</a>');
    expect(htmlPage({ status: 404, error: 'not_found', message: 'm' })).not.toContain('class="retry"');
  });

  it('comes from pagesDir when the operator provides one, the built-in page standing in for a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pages-'));
    writeFileSync(join(dir, 'error.html'), '<p>{{application}}: {{status}} {{title}} — {{message}} {{retry_link}} {{unknown}}</p>');
    const pages = loadPageTemplates(dir);
    expect(htmlPage({ status: 503, error: 'service_unavailable', message: 'later' }, { application: 'wiki', retryUrl: null }, pages.error)).toBe(
      '<p>wiki: 503 Service unavailable — later  {{unknown}}</p>',
    );
    expect(pages.signedOut).toContain('<style>');
  });

  it('refuses a pagesDir whose template cannot be read, naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-pages-'));
    mkdirSync(join(dir, 'error.html'));
    try {
      loadPageTemplates(dir);
      expect.unreachable('a directory was read as a template');
    } catch (error) {
      expect(isPortcullisError(error, 'PCL_CONFIG_UNREADABLE')).toBe(true);
      expect((error as Error).message).toMatch(/^pagesDir: cannot read /);
    }
  });
});

describe('error pages of a gateway', () => {
  let gw: RunningGateway;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    gw = await reportsGateway(port, '^/public/');
  });
  afterAll(async () => {
    await gw?.close();
  });

  async function page(method: 'GET' | 'POST', host: string): Promise<{ status: number; body: string }> {
    const res = await request(`${gw.url}/public/q?x=1`, { method, headers: { host, accept: HTML } });
    return { status: res.statusCode, body: await res.body.text() };
  }

  it('names the application and offers the same address again, on the application, for a GET', async () => {
    const answer = await page('GET', `reports.localhost:${port}`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('<p class="app">reports</p>');
    expect(answer.body).toContain(`<a class="retry" href="http://reports.localhost:${port}/public/q?x=1">Try again</a>`);
    expect(answer.body).not.toContain('127.0.0.1:9');
  });

  it('builds the retry link from externalHost, never from a forged Host, and offers none for a POST', async () => {
    const forged = await page('GET', 'evil.example');
    expect(forged.body).toContain(`href="http://reports.localhost:${port}/public/q?x=1"`);
    expect(forged.body).not.toContain('evil.example');
    expect((await page('POST', `reports.localhost:${port}`)).body).not.toContain('class="retry"');
  });
});

const chromiumMissing = await executableProblem(CHROMIUM_PATH);

describeNeeding('Chromium', chromiumMissing, 'an error page in Chromium', () => {
  it('renders as a card naming the application with a working retry link', async () => {
    const port = await freePort();
    const gw = await reportsGateway(port, '^/');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
    try {
      const tab = await browser.newPage({ viewport: { width: 800, height: 600 } });
      const response = await tab.goto(`http://reports.localhost:${port}/dashboard?week=12`);
      expect(response?.status()).toBe(502);
      expect(await tab.textContent('.app')).toBe('reports');
      expect(await tab.textContent('h1')).toBe('Bad gateway');
      expect(await tab.getAttribute('a.retry', 'href')).toBe(`http://reports.localhost:${port}/dashboard?week=12`);
      expect(await tab.textContent('body')).not.toContain('127.0.0.1:9');
      // A card: centred, rounded, narrower than the window.
      const card = await tab.evaluate(() => {
        const main = document.querySelector('main') as HTMLElement;
        const box = main.getBoundingClientRect();
        return { radius: getComputedStyle(main).borderRadius, left: box.left, width: box.width };
      });
      expect(card.radius).toBe('12px');
      expect(card.width).toBeLessThan(800);
      expect(card.left).toBeGreaterThan(100);
      const shot = await tab.screenshot();
      // PNG: signature, then IHDR with the viewport's size.
      expect(shot.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([shot.readUInt32BE(16), shot.readUInt32BE(20)]).toEqual([800, 600]);
      await tab.click('a.retry');
      expect(tab.url()).toBe(`http://reports.localhost:${port}/dashboard?week=12`);
    } finally {
      await browser.close();
      await gw.close();
    }
  });
});
