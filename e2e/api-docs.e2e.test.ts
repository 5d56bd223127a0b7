import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { startHarness, type Harness } from '../bff/test/harness';
import { describeBrowser, launch } from './browser';

jest.setTimeout(120_000);

const SHOT = path.resolve(__dirname, '..', 'docs', 'screenshots', 'api-docs.png');

/** /docs in chromium: Swagger UI renders the operations of /openapi.json from same-origin files, under the CSP. */
describeBrowser('API reference at /docs (chromium)', () => {
  let h: Harness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('renders every operation, loading nothing from another origin and violating no CSP directive', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    const foreign: string[] = [];
    const origin = new URL(h.bff.url).origin;
    page.on('pageerror', (e) => errors.push(e.message));
    // A CSP violation (an inline script or style, eval) is reported on the console.
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.origin !== origin && u.protocol !== 'data:') foreign.push(r.url());
    });
    try {
      await page.goto(`${h.bff.url}/docs`);
      const doc = (await h.req('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const count = Object.values(doc.paths).reduce((n, byMethod) => n + Object.keys(byMethod).length, 0);
      // Swagger UI lists every operation (collapsed) under its tag.
      await page.waitForFunction((n) => document.querySelectorAll('.opblock').length === n, count, { timeout: 60_000 });
      expect(
        await page.locator('.opblock-summary-path', { hasText: '/api/v1/work-orders/{id}/transitions' }).count(),
      ).toBe(1);
      expect(await page.locator('.opblock-tag', { hasText: 'webhooks' }).count()).toBe(1);
      await page.locator('.info .title').waitFor();
      expect(await page.locator('.info .title').innerText()).toContain('DrMoto BFF');
      mkdirSync(path.dirname(SHOT), { recursive: true });
      await page.screenshot({ path: SHOT });
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
