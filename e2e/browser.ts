import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core (no browser download). Override the binary with CHROMIUM_PATH.
 * The flags: headless, no sandbox (CI runs as root in a container), no GPU, no background traffic (offline).
 */
export const CHROMIUM_PATH = (process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => existsSync(p));
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const PHONE = { width: 375, height: 812 } as const;
/** A shop's counter screen. */
export const COUNTER = { width: 1280, height: 800 } as const;

export function launch(): Promise<Browser> {
  if (!CHROMIUM_PATH) throw new Error('chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A phone-sized page of its own context (its own sessionStorage: one person per page); page errors are collected. */
export async function phonePage(browser: Browser, url: string, init?: { session?: { key: string; value: unknown }; viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: init?.viewport ?? PHONE, deviceScaleFactor: init?.viewport ? 1 : 2, locale: 'en-US', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  if (init?.session) {
    await context.addInitScript(({ key, value }) => {
      if (!sessionStorage.getItem(key)) sessionStorage.setItem(key, JSON.stringify(value));
    }, { key: init.session.key, value: init.session.value });
  }
  await page.goto(url);
  await ready(page);
  return { context, page, errors };
}

/** The app finished rendering the current hash. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const app = document.getElementById('app');
    return app?.dataset.ready !== undefined && app.dataset.ready === (location.hash || '#/');
  });
}

export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  await ready(page);
}

/** Waits until the locator's text matches (the page polls the BFF, so other people's actions show up by themselves). */
export async function waitText(l: Locator, re: RegExp, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = ((await l.count()) > 0 ? await l.first().innerText() : '').trim();
    if (re.test(last)) return last;
    if (Date.now() > until) throw new Error(`expected ${l} to match ${re}, it shows ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitAttr(l: Locator, name: string, value: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = (await l.count()) > 0 ? await l.first().getAttribute(name) : null;
    if (last === value) return;
    if (Date.now() > until) throw new Error(`expected ${l} [${name}] to be ${value}, it is ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `describe` for browser tests: without chromium, CI (CI=true) FAILS — a browser test must never pass by not
 * running — and a developer's machine SKIPS with the reason in the name.
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (CHROMIUM_PATH) return describe(name, fn);
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has chromium to run in', () => {
        throw new Error('chromium is not installed: .ci/run installs it (apt-get install -y chromium); set CHROMIUM_PATH for another binary');
      });
    });
    return;
  }
  describe.skip(`${name} — skipped: chromium not installed (apt-get install -y chromium, see DEVELOPERS.md)`, fn);
}
