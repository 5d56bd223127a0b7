/**
 * `npm run demo:screenshots`: runs the browser journey (e2e/journey.ts) on a fresh demo stack and writes a 375 px
 * screenshot of each step to docs/screenshots/ (and one of the staff console at 1280 px) (Chinese UI by default; `--lang en` for English). Needs chromium
 * and a CJK font (Debian: fonts-wqy-zenhei) — without one the Chinese text renders as boxes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startDemo } from '../scripts/demo-stack';
import { startLocalS3 } from '../bff/test/s3';
import { Bff, STAFF_SESSION_KEY, asSession } from './api';
import { COUNTER, launch, phonePage } from './browser';
import { runJourney } from './journey';
import { runManager } from './manager';

const OUT = path.resolve(__dirname, '..', 'docs', 'screenshots');

function hasCjkFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).trim().length > 0;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const lang = process.argv.includes('--lang') && process.argv[process.argv.indexOf('--lang') + 1] === 'en' ? 'en' : 'zh';
  if (lang === 'zh' && !hasCjkFont()) {
    process.stderr.write('No Chinese font found (fc-list :lang=zh is empty): apt-get install -y fonts-wqy-zenhei, or use --lang en\n');
    process.exit(1);
  }
  mkdirSync(OUT, { recursive: true });
  for (const f of readdirSync(OUT)) if (/^\d\d-.*\.png$/.test(f)) rmSync(path.join(OUT, f));
  const s3 = await startLocalS3(); // as `npm run demo`: the media panels have their storage
  const stack = await startDemo({ port: 0, odooPort: 0, pgliteDir: 'memory://', logLevel: 'error', env: s3.env() });
  const browser = await launch();
  try {
    const o = {
      stack,
      browser,
      lang,
      step: (s: string) => process.stdout.write(`· ${s}\n`),
      shot: async (page: Page, name: string) => {
        // The toast would cover the subject; a moment for layout to settle.
        await page.evaluate(() => document.getElementById('toast')?.setAttribute('hidden', ''));
        await page.waitForTimeout(150);
        await page.screenshot({ path: path.join(OUT, `${name}.png`) });
        process.stdout.write(`  docs/screenshots/${name}.png\n`);
      },
    } as const;
    const j = await runJourney(o);
    await runManager(o, j);
    // The counter screen: the staff console at 1280 px, the queue beside a work order waiting for its quote.
    const api = new Bff(stack.url);
    const { woId } = await api.quoted(`counter-${Date.now()}`);
    const advisor = await api.ok('POST', '/auth/staff/login', { body: { login: 'advisor', password: 'demo' } });
    const { page, context } = await phonePage(browser, `${stack.demoUrl}?lang=${lang}#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(advisor) }, viewport: COUNTER });
    await o.shot(page, '20-counter-1280');
    await context.close();
  } finally {
    await browser.close();
    await stack.close('screenshots done');
    await s3.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshots failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
