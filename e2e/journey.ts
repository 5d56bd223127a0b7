import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { DemoStack } from '../scripts/demo-stack';
import { Bff, uniquePhone, uniquePlate } from './api';
import { go, phonePage, ready, waitAttr, waitText } from './browser';

/**
 * The whole journey, clicked in two phone-sized pages — the customer's H5 and the staff console — against the demo
 * stack: request → check-in, diagnosis, quote → confirm → start, parts requested and issued → ready → pay with
 * WeChat → deliver → closed. Asserts what the pages show at each step; `shot` (the screenshot script) is called
 * at each step. Shared by e2e/journey.e2e.test.ts and `npm run demo:screenshots`.
 */
export interface JourneyOptions {
  stack: DemoStack;
  browser: Browser;
  lang?: 'en' | 'zh';
  shot?: (page: Page, name: string) => Promise<void>;
  /** Called with a short step name as each step starts (test logs). */
  step?: (name: string) => void;
}

export interface JourneyResult {
  woId: number;
  number: string;
  total: number;
  customerPage: Page;
  staffPage: Page;
  errors: string[];
}

const STATUS: Record<'en' | 'zh', Record<string, string>> = {
  en: { draft: 'Requested', checkin: 'Checked in', diagnosing: 'Diagnosing', quoted: 'Quote to confirm', quoted_confirmed: 'Quote confirmed, repair not started', in_progress: 'In repair', ready: 'Ready for pickup', delivered: 'Delivered', closed: 'Closed' },
  zh: { draft: '已报修', checkin: '已接车', diagnosing: '检测中', quoted: '待确认报价', quoted_confirmed: '报价已确认，待开工', in_progress: '维修中', ready: '待取车', delivered: '已交车', closed: '已完结' },
};

/** Integer minor units → "¥1,234.50", written independently of the page's formatter. */
export function yuan(minor: number): string {
  const s = String(Math.abs(minor)).padStart(3, '0');
  return `${minor < 0 ? '-' : ''}¥${s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${s.slice(-2)}`;
}

export async function runJourney(o: JourneyOptions): Promise<JourneyResult> {
  const lang = o.lang ?? 'en';
  const api = new Bff(o.stack.url);
  const shot = o.shot ?? (async () => undefined);
  const step = o.step ?? (() => undefined);
  const label = (s: string) => new RegExp(`^${STATUS[lang][s]}$`);
  const { labor, pads } = await api.catalog();

  const customer = await phonePage(o.browser, `${o.stack.demoUrl}?lang=${lang}#/`);
  const c = customer.page;
  await shot(c, '01-landing');

  step('customer logs in with a WeChat code and binds a phone');
  await c.getByTestId('go-customer').click();
  await ready(c);
  const tag = `e2e-${Date.now().toString(36)}`;
  await c.getByTestId('login-code').fill(`user-${tag}`);
  await shot(c, '02-wechat-login');
  await c.getByTestId('login-submit').click();
  await c.getByTestId('phone-submit').waitFor();
  await c.getByTestId('phone-number').fill(uniquePhone());
  await c.getByTestId('phone-name').fill('Chen Rider');
  await c.getByTestId('phone-submit').click();
  await waitText(c.getByTestId('me-name'), /Chen Rider/);

  step('customer adds a vehicle with a Chinese plate');
  const plate = uniquePlate();
  await c.getByTestId('vehicle-plate').fill(plate);
  await c.getByTestId('vehicle-brand').fill('Honda');
  await c.getByTestId('vehicle-model').fill('CB400X');
  await shot(c, '03-add-vehicle');
  await c.getByTestId('vehicle-submit').click();
  await waitText(c.getByTestId('vehicle-list'), new RegExp(escape(plate)));

  step('customer opens a service request');
  await c.getByTestId('request-symptom').fill('Front brake squeaks and feels weak');
  await shot(c, '04-service-request');
  await c.getByTestId('request-submit').click();
  await c.waitForURL(/#\/c\/wo\/\d+$/);
  await ready(c);
  const head = c.getByTestId('wo-head');
  await waitAttr(head, 'data-status', 'draft');
  await waitText(c.getByTestId('wo-status'), label('draft'));
  const woId = Number(await head.getAttribute('data-id'));
  const number = (await c.getByTestId('wo-number').innerText()).trim();
  assert.match(number, /^WO\/\d{4}\/\d{5}$/);
  await shot(c, '05-request-opened');

  step('advisor checks in, diagnoses and sends quote v1');
  const staff = await phonePage(o.browser, `${o.stack.demoUrl}?lang=${lang}#/s`);
  const s = staff.page;
  await shot(s, '06-staff-login');
  await login(s, 'advisor');
  await s.locator(`[data-testid=wo-row][data-id="${woId}"]`).click();
  await ready(s);
  const sHead = s.getByTestId('wo-head');
  await s.getByTestId('act-checkin').click();
  await waitAttr(sHead, 'data-status', 'checkin');
  await s.getByTestId('act-start_diagnosis').click();
  await waitAttr(sHead, 'data-status', 'diagnosing');
  await s.getByTestId('diagnosis-text').fill('Front pads worn to 1 mm; replace pads, bleed the brake.');
  await s.getByTestId('diagnosis-save').click();
  await s.locator('[data-testid=timeline] li[data-event=diagnosis]').waitFor();
  // The builder starts with an hour of labor and the first part (front brake pads), at their list prices.
  const builder = s.getByTestId('quote-builder');
  assert.deepEqual(await builder.getByTestId('qb-price').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), [yuan(labor.unit_price).slice(1), yuan(pads.unit_price).slice(1)]);
  await builder.scrollIntoViewIfNeeded();
  await shot(s, '07-advisor-quote-builder');
  await s.getByTestId('quote-create').click();
  await waitAttr(s.getByTestId('quote-v1'), 'data-status', 'draft');
  await s.getByTestId('quote-send').click();
  await waitAttr(s.getByTestId('quote-v1'), 'data-status', 'sent');
  await waitAttr(sHead, 'data-status', 'quoted');
  // Sent: the builder is closed (a new version is one click away), not lingering with the sent lines.
  await s.getByTestId('quote-revise').waitFor();
  assert.equal(await s.getByTestId('quote-builder').count(), 0);
  const advisor = await api.staff('advisor');
  const q1 = (await api.ok('GET', `/work-orders/${woId}/quotes/1`, { token: advisor })) as { total: { amount: number }; tax: { amount: number }; untaxed: { amount: number }; lines: unknown[] };
  // Tax-included prices: the total is the sum of the prices; Odoo splits out the tax.
  assert.equal(q1.total.amount, labor.unit_price + pads.unit_price);
  assert.ok(q1.tax.amount > 0 && q1.untaxed.amount + q1.tax.amount === q1.total.amount);
  await s.getByTestId('quote-v1').scrollIntoViewIfNeeded();
  await shot(s, '08-advisor-quote-sent');

  step('customer sees quote v1 with its lines, tax and total, and confirms it');
  const cq = c.getByTestId('quote-v1');
  await cq.waitFor({ timeout: 20_000 });
  await waitText(c.getByTestId('wo-status'), label('quoted'));
  assert.equal(await cq.locator('tbody tr').count(), q1.lines.length);
  assert.equal((await cq.getByTestId('quote-total').innerText()).trim(), yuan(q1.total.amount));
  assert.equal((await cq.getByTestId('quote-tax').innerText()).trim(), yuan(q1.tax.amount));
  assert.equal((await cq.getByTestId('quote-untaxed').innerText()).trim(), yuan(q1.untaxed.amount));
  await cq.scrollIntoViewIfNeeded();
  await shot(c, '09-customer-quote');
  await c.getByTestId('quote-confirm').click();
  await waitAttr(c.getByTestId('quote-v1'), 'data-status', 'confirmed');
  assert.equal(await c.getByTestId('quote-confirm').count(), 0);
  await waitText(c.getByTestId('amount-total'), new RegExp(`^${escape(yuan(q1.total.amount))}$`));
  // Still `quoted` in Odoo until the repair starts, but the chip says what the customer did; and this (walk-in)
  // shop is paid at pick-up: no pay button yet, a line saying when.
  await waitText(c.getByTestId('wo-status'), label('quoted_confirmed'));
  await c.getByTestId('pay-later').waitFor();
  assert.equal(await c.getByTestId('pay-button').count(), 0);

  step('technician starts the repair and requests the parts; the keeper issues them');
  await switchUser(s, 'technician', woId);
  await s.getByTestId('act-start_repair').click();
  await waitAttr(sHead, 'data-status', 'in_progress');
  await s.getByTestId('parts-request').click();
  await waitText(s.getByTestId('part-requested'), /^1$/);
  await s.getByTestId('parts').scrollIntoViewIfNeeded();
  await shot(s, '10-technician-parts-request');
  await switchUser(s, 'keeper', woId);
  await waitText(s.getByTestId('part-requested'), /^1$/);
  assert.equal(await s.getByTestId('parts-issue-qty').first().inputValue(), '1');
  await s.getByTestId('parts-issue').click();
  await waitText(s.getByTestId('part-issued'), /^1$/);
  await waitText(s.getByTestId('pickings'), /issue · done/);
  await s.getByTestId('parts').scrollIntoViewIfNeeded();
  await shot(s, '11-keeper-parts-issued');
  await switchUser(s, 'technician', woId);
  await s.getByTestId('act-mark_ready').click();
  await waitAttr(sHead, 'data-status', 'ready');

  step('customer pays with WeChat; the payment settles');
  await waitText(c.getByTestId('wo-status'), label('ready'));
  await waitText(c.getByTestId('amount-due'), new RegExp(`^${escape(yuan(q1.total.amount))}$`));
  await c.getByTestId('pay-card').scrollIntoViewIfNeeded();
  await shot(c, '12-customer-ready-to-pay');
  await c.getByTestId('pay-button').click();
  await waitText(c.getByTestId('sheet-amount'), new RegExp(`^${escape(yuan(q1.total.amount))}$`));
  await shot(c, '13-wechat-pay-sheet');
  await c.getByTestId('pay-confirm').click();
  await c.getByTestId('sheet').waitFor({ state: 'detached' });
  await waitText(c.getByTestId('amount-due'), /^¥0\.00$/);
  await waitText(c.getByTestId('amount-paid'), new RegExp(`^${escape(yuan(q1.total.amount))}$`));
  await c.getByTestId('paid-banner').waitFor();
  await waitText(c.locator('[data-testid=ledger] li[data-kind=charge]'), new RegExp(escape(yuan(q1.total.amount))));
  await c.evaluate(() => window.scrollTo(0, 0));
  await shot(c, '14-customer-paid');

  step('advisor delivers; the work order closes');
  await switchUser(s, 'advisor', woId);
  await s.getByTestId('act-deliver').click();
  await waitAttr(sHead, 'data-status', 'closed');
  await waitText(s.getByTestId('wo-status'), label('closed'));
  await shot(s, '15-advisor-delivered-closed');

  step('customer sees the work order closed, and the history');
  await waitAttr(c.getByTestId('wo-head'), 'data-status', 'closed', 20_000);
  await c.getByTestId('closed-banner').waitFor();
  await c.locator('[data-testid=progress] li[data-state=closed].current').waitFor();
  await c.locator('[data-testid=timeline] li[data-to=closed]').waitFor();
  await shot(c, '16-customer-closed');
  await go(c, '#/c/history');
  await c.locator(`[data-testid=history-orders] [data-testid=wo-row][data-id="${woId}"][data-status=closed]`).waitFor();
  await waitText(c.getByTestId('history-payments'), new RegExp(`${escape(number)}.*${escape(yuan(q1.total.amount))}`, 's'));
  await shot(c, '17-customer-history');

  return { woId, number, total: q1.total.amount, customerPage: c, staffPage: s, errors: [...customer.errors, ...staff.errors] };
}

export async function login(s: Page, who: string): Promise<void> {
  await s.getByTestId(`staff-login-${who}`).click();
  await s.locator(`[data-testid=staff-who][data-roles*="${who}"]`).waitFor();
}

export async function switchUser(s: Page, who: string, woId: number): Promise<void> {
  await s.getByTestId('staff-switch').first().click();
  await ready(s);
  await login(s, who);
  await go(s, `#/s/wo/${woId}`);
}

export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
