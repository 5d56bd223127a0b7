import { readFileSync } from 'node:fs';
import type { Browser, Page, Request } from 'playwright-core';
import { startDemo, type DemoStack } from '../scripts/demo-stack';
import { startLocalS3, type LocalS3 } from '../bff/test/s3';
import { Bff, CUSTOMER_SESSION_KEY, STAFF_SESSION_KEY, asSession } from './api';
import { COUNTER, PHONE, describeBrowser, go, launch, phonePage, ready, waitAttr, waitText } from './browser';
import { runJourney, yuan } from './journey';
import { runManager } from './manager';

jest.setTimeout(240_000);

/** The demo in Debian's chromium: the H5 customer journey and the staff console over the real BFF on the Odoo mock. */
describeBrowser('demo H5 and staff console (chromium)', () => {
  let stack: DemoStack;
  let s3: LocalS3;
  let browser: Browser;
  let api: Bff;

  beforeAll(async () => {
    // As `npm run demo`: a local S3 for the media panels. Every test logs several people in from 127.0.0.1: lift
    // the per-address login limit (30/min) for the run.
    s3 = await startLocalS3();
    stack = await startDemo({ port: 0, odooPort: 0, pgliteDir: 'memory://', logLevel: 'error', env: { ...s3.env(), RATE_LIMIT_AUTH_PER_MIN: '1000' } });
    api = new Bff(stack.url);
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close('test');
    await s3?.close();
  });

  /** Requests to `path` and their Idempotency-Keys. */
  const watch = (page: Page, path: RegExp) => {
    const seen: { key: string | null }[] = [];
    page.on('request', (req: Request) => {
      if (req.method() === 'POST' && path.test(new URL(req.url()).pathname)) seen.push({ key: req.headers()['idempotency-key'] ?? null });
    });
    return seen;
  };

  /** Odoo-mock rows, read as the superuser (what a real Odoo would hold). */
  const odoo = (model: string, domain: unknown[], fields: string[]) => stack.odoo.orm.sudo().model(model).searchRead(domain, fields);

  it('serves the page on the BFF origin under a CSP without inline code', async () => {
    const res = await fetch(stack.demoUrl);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
  });

  it('runs the whole journey by clicking, and leaves one charge in the ledger and a closed, paid work order in Odoo; the manager refunds part of it and reads the report', async () => {
    const padsBefore = (await api.catalog()).pads.free_qty!;
    const r = await runJourney({ stack, browser, lang: 'en' });
    expect(r.errors).toEqual([]);

    // The ledger: exactly one charge of the quote total; the payment order paid.
    const manager = await api.staff('manager');
    const pay = await api.ok('GET', `/work-orders/${r.woId}/payments`, { token: manager });
    expect(pay.ledger).toEqual([expect.objectContaining({ kind: 'charge', channel: 'wechat', amount: r.total, currency: 'CNY', work_order_id: r.woId })]);
    expect(pay.orders).toEqual([expect.objectContaining({ status: 'paid', amount: r.total })]);
    expect(pay.paid).toBe(r.total);

    // Odoo: closed; one done issue picking; invoiced and paid for the total; the pads left stock.
    const [wo] = odoo('drmoto.work.order', [['id', '=', r.woId]], ['state', 'name']);
    expect(wo).toMatchObject({ state: 'closed', name: r.number });
    const pickings = odoo('stock.picking', [['drmoto_work_order_id', '=', r.woId]], ['state', 'drmoto_kind']);
    expect(pickings).toEqual([expect.objectContaining({ state: 'done', drmoto_kind: 'issue' })]);
    const invoices = odoo('account.move', [['drmoto_work_order_id', '=', r.woId]], ['move_type', 'state', 'amount_total']);
    expect(invoices.reduce((s, m) => s + Math.round(Number(m.amount_total) * 100) * (m.move_type === 'out_refund' ? -1 : 1), 0)).toBe(r.total);
    const payments = odoo('account.payment', [['drmoto_work_order_id', '=', r.woId]], ['amount', 'state']);
    expect(payments).toHaveLength(1);
    expect(Math.round(Number(payments[0]!.amount) * 100)).toBe(r.total);
    expect((await api.catalog()).pads.free_qty).toBe(padsBefore - 1);

    // The manager refunds a third of it (double click): one refund request, sent to WeChat (202), settled by WeChat
    // Pay's notification; the ledger gains one refund row of that amount and the work order stays closed.
    const m = await runManager({ stack, browser, lang: 'en' }, r);
    expect(m.keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(m.keys).size).toBe(1);
    expect(m.keys[0]).toMatch(/^refund-[0-9a-f]{32}$/);
    expect(m.answer.status).toBe(202);
    expect(m.answer.body).toMatchObject({ status: 'processing', amount: m.amount, currency: 'CNY' });
    // Nothing was overpaid: all of it lowers the price (a credit note), none is "returned overpayment".
    expect(m.answer.body.credit_amount).toBe(m.amount);
    const refunds = await api.ok('GET', `/work-orders/${r.woId}/refunds`, { token: manager });
    expect(refunds.items).toEqual([expect.objectContaining({ id: m.answer.body.id, status: 'succeeded', amount: m.amount, channel: 'wechat' })]);
    const after = await api.ok('GET', `/work-orders/${r.woId}/payments`, { token: manager });
    expect(after.ledger.filter((e: { kind: string }) => e.kind === 'refund')).toEqual([expect.objectContaining({ kind: 'refund', channel: 'wechat', amount: -m.amount, work_order_id: r.woId })]);
    expect(after.paid).toBe(r.total - m.amount);
    expect((await api.ok('GET', `/work-orders/${r.woId}`, { token: manager })).status).toBe('closed');

    // The report on the page is the BFF's, and its CSV download is the BFF's CSV, saved through a blob: URL.
    const range = new URLSearchParams({ from: m.report.from, to: m.report.to });
    const rep = await api.ok('GET', `/reports/payments?${range}`, { token: manager });
    expect(m.report.totalNet).toBe(yuan(rep.totals[0].net_amount));
    expect(rep.by_channel).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'wechat', refunds_count: expect.any(Number) })]));
    const s = r.staffPage;
    const [download] = await Promise.all([s.waitForEvent('download'), s.getByTestId('report-csv').click()]);
    expect(download.url()).toMatch(/^blob:/);
    const csv = readFileSync((await download.path())!, 'utf8');
    const direct = await fetch(`${stack.url}/api/v1/reports/payments?${range}`, { headers: { accept: 'text/csv', authorization: `Bearer ${manager}` } });
    expect(download.suggestedFilename()).toBe(/filename="([^"]+)"/.exec(direct.headers.get('content-disposition') ?? '')?.[1]);
    expect(csv).toBe(Buffer.from(await direct.arrayBuffer()).toString('utf8')); // (Response.text() would drop the BOM)
    expect(csv).toMatch(/^\uFEFFday,channel,currency,/);
    await r.customerPage.context().close();
    await r.staffPage.context().close();
  });

  describe('a double click, or a click again after a lost answer, acts once', () => {
    /** The first matching request reaches the BFF, but its answer never reaches the page (a dropped connection). */
    const loseFirstAnswer = async (page: Page, path: RegExp) => {
      let lost = 0;
      await page.route(
        (u) => path.test(u.pathname),
        async (route) => {
          if (route.request().method() !== 'POST' || lost > 0) return route.continue();
          lost += 1;
          await route.fetch();
          await route.abort('connectionreset');
        },
      );
    };

    it('confirm quote', async () => {
      const { woId, customer } = await api.quoted(`dbl-confirm-${Date.now()}`);
      const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/c/wo/${woId}`, { session: { key: CUSTOMER_SESSION_KEY, value: asSession(customer) } });
      const path = new RegExp(`^/api/v1/work-orders/${woId}/quotes/1/confirm$`);
      const seen = watch(page, path);
      await loseFirstAnswer(page, path);
      await page.getByTestId('quote-confirm').dblclick();
      await waitText(page.getByTestId('quote-v1').getByTestId('problem'), /Network error/);
      await page.getByTestId('quote-confirm').click(); // the same intent again: the same key
      await waitAttr(page.getByTestId('quote-v1'), 'data-status', 'confirmed');
      await waitText(page.locator('#toast'), /confirmed .*repeated request/);

      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seen.map((x) => x.key)).size).toBe(1);
      expect(seen[0]!.key).toMatch(/^confirm-[0-9a-f]{32}$/);
      const logs = odoo('drmoto.wo.status.log', [['work_order_id', '=', woId], ['event', '=', 'quote_confirmed']], ['id']);
      expect(logs).toHaveLength(1);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('issue parts', async () => {
      const { woId } = await api.partsRequested(`dbl-issue-${Date.now()}`);
      const keeper = await api.ok('POST', '/auth/staff/login', { body: { login: 'keeper', password: 'demo' } });
      const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(keeper) } });
      const path = new RegExp(`^/api/v1/work-orders/${woId}/parts/issue$`);
      const seen = watch(page, path);
      await loseFirstAnswer(page, path);
      await page.getByTestId('parts-issue').dblclick();
      await waitText(page.getByTestId('parts').getByTestId('problem'), /Network error/);
      await page.getByTestId('parts-issue').click();
      await waitText(page.getByTestId('part-issued'), /^1$/);
      await waitText(page.locator('#toast'), /Issued: .*repeated request/);

      expect(new Set(seen.map((x) => x.key)).size).toBe(1);
      const pickings = odoo('stock.picking', [['drmoto_work_order_id', '=', woId]], ['state', 'drmoto_kind']);
      expect(pickings).toEqual([expect.objectContaining({ state: 'done', drmoto_kind: 'issue' })]);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('pay', async () => {
      const { woId, customer } = await api.readyForPickup(`dbl-pay-${Date.now()}`);
      const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/c/wo/${woId}`, { session: { key: CUSTOMER_SESSION_KEY, value: asSession(customer) } });
      const path = new RegExp(`^/api/v1/work-orders/${woId}/payments/wechat$`);
      const seen = watch(page, path);
      await loseFirstAnswer(page, path);
      await page.getByTestId('pay-button').dblclick();
      await waitText(page.getByTestId('pay-card').getByTestId('problem'), /Network error/);
      await page.getByTestId('pay-button').dblclick();
      await page.getByTestId('pay-confirm').dblclick();
      await page.getByTestId('sheet').waitFor({ state: 'detached' });
      await waitText(page.getByTestId('amount-due'), /^¥0\.00$/);

      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seen.map((x) => x.key)).size).toBe(1);
      const manager = await api.staff('manager');
      const pay = await api.ok('GET', `/work-orders/${woId}/payments`, { token: manager });
      expect(pay.orders).toHaveLength(1);
      expect(pay.ledger).toEqual([expect.objectContaining({ kind: 'charge', amount: pay.orders[0].amount })]);
      expect([...stack.wechatPay.orders.values()].filter((o) => o.out_trade_no === pay.orders[0].out_trade_no)).toHaveLength(1);
      expect(yuan(pay.paid)).toBe(yuan(pay.orders[0].amount));
      expect(errors).toEqual([]);
      await context.close();
    });
  });

  it('cashier records a counter payment once (double click), when the offline-payment endpoint exists', async () => {
    const doc = (await (await fetch(`${stack.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    if (!doc.paths['/api/v1/work-orders/{id}/payments/offline']) throw new Error('POST /work-orders/:id/payments/offline is not in the API: remove this test or the panel');
    const { woId } = await api.partsRequested(`offline-${Date.now()}`);
    const cashier = await api.ok('POST', '/auth/staff/login', { body: { login: 'cashier', password: 'demo' } });
    const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(cashier) } });
    const due = (await api.ok('GET', `/work-orders/${woId}`, { token: cashier.access_token })).amounts.due as number;
    expect(await page.getByTestId('offline-amount').inputValue()).toBe(yuan(due).slice(1).replace(/,/g, ''));
    const seen = watch(page, new RegExp(`^/api/v1/work-orders/${woId}/payments/offline$`));
    await page.getByTestId('offline-record').dblclick();
    await waitText(page.getByTestId('amount-due'), /^¥0\.00$/);
    expect(new Set(seen.map((x) => x.key)).size).toBe(1);
    const pay = await api.ok('GET', `/work-orders/${woId}/payments`, { token: cashier.access_token });
    expect(pay.ledger).toEqual([expect.objectContaining({ kind: 'charge', channel: 'offline', amount: due })]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('technician uploads a real JPEG check-in photo from the page; the customer sees it load beside the quote', async () => {
    const { woId, customer } = await api.quoted(`photo-${Date.now()}`);
    const technician = await api.ok('POST', '/auth/staff/login', { body: { login: 'technician', password: 'demo' } });
    const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(technician) } });
    // A real JPEG, encoded by chromium: a corner of this page.
    const jpeg = await page.screenshot({ type: 'jpeg', quality: 70, clip: { x: 0, y: 0, width: 48, height: 40 } });
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const media = page.getByTestId('media');
    await media.getByTestId('media-kind').selectOption('checkin_photo');
    await media.getByTestId('media-file').setInputFiles({ name: 'front-left.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await media.getByTestId('media-upload').click();
    await page.locator('[data-testid=media] [data-testid=media-list] a[data-kind=checkin_photo] img').waitFor();
    const listed = await api.ok('GET', `/work-orders/${woId}/media`, { token: customer.access_token });
    expect(listed.items).toEqual([expect.objectContaining({ kind: 'checkin_photo', filename: 'front-left.jpg', content_type: 'image/jpeg', size: jpeg.length, uploaded_by: expect.objectContaining({ kind: 'staff' }) })]);
    expect(errors).toEqual([]);
    await context.close();

    // The customer's work order: the quote and, beside it, the photo — fetched from storage and decoded.
    const c = await phonePage(browser, `${stack.demoUrl}?lang=en#/c/wo/${woId}`, { session: { key: CUSTOMER_SESSION_KEY, value: asSession(customer) } });
    await c.page.getByTestId('quote-v1').waitFor();
    const img = c.page.locator('[data-testid=media] img[data-testid=media-img]');
    expect(await img.count()).toBe(1);
    await img.scrollIntoViewIfNeeded();
    await c.page.waitForFunction(() => {
      const i = document.querySelector<HTMLImageElement>('[data-testid=media] img[data-testid=media-img]');
      return Boolean(i?.complete);
    });
    const shown = await img.evaluate((i: HTMLImageElement) => ({ w: i.naturalWidth, h: i.naturalHeight, src: i.currentSrc }));
    expect(shown.w).toBeGreaterThan(0);
    expect(shown.h).toBeGreaterThan(0);
    expect(new URL(shown.src).origin).toBe(new URL(s3.url).origin);
    expect(c.errors).toEqual([]);
    await c.context.close();
  });

  it('cashier pages through the payment history ("more" by cursor), filtered to one work order', async () => {
    const { woId } = await api.partsRequested(`history-${Date.now()}`);
    const cashier = await api.ok('POST', '/auth/staff/login', { body: { login: 'cashier', password: 'demo' } });
    // Six counter payments of ¥1.00 … ¥1.05: one page of five and one more row.
    for (let i = 0; i < 6; i += 1) {
      await api.ok('POST', `/work-orders/${woId}/payments/offline`, { token: cashier.access_token, body: { method: 'cash', amount: 100 + i }, headers: { 'Idempotency-Key': `e2e-history-${woId}-${i}` } });
    }
    const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s`, { session: { key: STAFF_SESSION_KEY, value: asSession(cashier) } });
    await page.getByTestId('go-office').click();
    await ready(page);
    // The cashier's reports are what the index allows them: payments only.
    expect(await page.getByTestId('report-pick').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['payments']);
    const panel = page.getByTestId('payment-history');
    await panel.getByTestId('history-wo').fill(String(woId));
    await panel.getByTestId('history-channel').selectOption('offline');
    await panel.getByTestId('history-kind').selectOption('charge');
    await panel.getByTestId('history-search').click();
    const seqs = () => panel.getByTestId('history-row').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.seq)));
    const all = await api.ok('GET', `/payments?work_order_id=${woId}&channel=offline&kind=charge&limit=100`, { token: cashier.access_token });
    expect(all.items.map((e: { amount: number }) => e.amount)).toEqual([105, 104, 103, 102, 101, 100]);
    const firstPage = JSON.stringify(all.items.slice(0, 5).map((e: { id: number }) => e.id));
    // The panel showed the shop's latest payments before the search; wait for the filtered page.
    await page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll<HTMLElement>('[data-testid=payment-history] [data-testid=history-row]')].map((e) => Number(e.dataset.seq))) === want, firstPage);
    await waitText(panel.getByTestId('history-row').first(), /¥1\.05/);
    await panel.getByTestId('history-more').click();
    await panel.getByTestId('history-end').waitFor();
    expect(await seqs()).toEqual(all.items.map((e: { id: number }) => e.id));
    expect(await panel.getByTestId('history-more').count()).toBe(0);
    // Suspense is listed for the cashier, but applying or refunding it is the manager's.
    await page.getByTestId('suspense').waitFor();
    expect(await page.getByTestId('suspense-apply').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('manager applies a suspense entry (a WeChat payment of the wrong amount) to its work order once (double click)', async () => {
    const { woId, customer } = await api.partsRequested(`suspense-${Date.now()}`);
    const created = await api.ok('POST', `/work-orders/${woId}/payments/wechat`, { token: customer.access_token, headers: { 'Idempotency-Key': `e2e-suspense-${woId}` } });
    const due = created.payment_order.amount as number;
    // The payer's WeChat reports ¥1.00 for this order: the BFF ledgers it as suspense, not as the charge.
    await stack.wechatPay.pay(created.payment_order.out_trade_no, { amount: 100 });
    const manager = await api.ok('POST', '/auth/staff/login', { body: { login: 'manager', password: 'demo' } });
    const held = (await api.ok('GET', '/suspense', { token: manager.access_token })).items.find((x: { open: number; work_order_id: number | null }) => x.open === 100 && x.work_order_id === woId);
    expect(held).toBeDefined();
    const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s/office`, { session: { key: STAFF_SESSION_KEY, value: asSession(manager) } });
    const row = page.locator(`[data-testid=suspense-row][data-seq="${held.seq}"]`);
    await waitAttr(row, 'data-open', '100');
    expect(await row.getByTestId('suspense-wo').inputValue()).toBe(String(woId));
    const seen = watch(page, new RegExp(`^/api/v1/suspense/${held.seq}/apply$`));
    await row.getByTestId('suspense-apply').dblclick();
    await waitText(page.locator('#toast'), new RegExp(`¥1\\.00 applied to work order ${woId}`));
    await page.locator(`[data-testid=suspense-row][data-seq="${held.seq}"]`).waitFor({ state: 'detached' });
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(new Set(seen.map((x) => x.key)).size).toBe(1);
    expect(seen[0]!.key).toMatch(/^apply-[0-9a-f]{32}$/);
    const pay = await api.ok('GET', `/work-orders/${woId}/payments`, { token: manager.access_token });
    expect(pay.ledger.filter((e: { kind: string }) => e.kind === 'charge')).toEqual([expect.objectContaining({ amount: 100 })]);
    expect(pay.paid).toBe(100);
    expect(due).toBeGreaterThan(100);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a refusal as a sentence in the page language, with the BFF\'s title and detail small under it', async () => {
    const { woId } = await api.quoted(`refuse-${Date.now()}`);
    const manager = await api.ok('POST', '/auth/staff/login', { body: { login: 'manager', password: 'demo' } });
    const refused = await api.req('POST', `/work-orders/${woId}/transitions`, { token: await api.staff('manager'), body: { action: 'start_repair' } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('DRM_QUOTE_STATE');
    for (const [lang, sentence] of [
      ['en', /^The customer has not confirmed the quote/],
      ['zh', /^报价还没有被顾客确认/],
    ] as const) {
      const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=${lang}#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(manager) } });
      // The manager may press "Start repair"; Odoo refuses it without a confirmed quote, and the page says why.
      await page.getByTestId('act-start_repair').click();
      const problem = page.getByTestId('staff-actions').getByTestId('problem');
      await waitText(problem.getByTestId('problem-text'), sentence);
      expect(await problem.getAttribute('data-code')).toBe('DRM_QUOTE_STATE');
      // Not the raw English title as the headline; the BFF's words and the trace id are still there, small.
      expect(await problem.getByTestId('problem-text').innerText()).not.toContain(refused.body.title);
      const said = await problem.getByTestId('problem-said').innerText();
      expect(said).toContain(refused.body.title);
      expect(said).toContain(refused.body.detail);
      expect(said).toContain('(409)');
      expect(await problem.getByTestId('problem-meta').innerText()).toMatch(/^DRM_QUOTE_STATE · (trace|追踪号) \S+$/);
      await go(page, `#/s/wo/${woId}`);
      await waitAttr(page.getByTestId('wo-head'), 'data-status', 'quoted');
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it('at 1280 px the staff console shows the list beside the work order; quoted rows show their quote total', async () => {
    const { woId } = await api.quoted(`wide-${Date.now()}`);
    const q = await api.ok('GET', `/work-orders/${woId}/quotes/1`, { token: await api.staff('advisor') });
    const manager = await api.ok('POST', '/auth/staff/login', { body: { login: 'manager', password: 'demo' } });
    const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(manager) } });
    await page.setViewportSize(COUNTER);
    await go(page, `#/s`);
    await go(page, `#/s/wo/${woId}`);
    const side = await page.getByTestId('split-side').boundingBox();
    const main = await page.getByTestId('split-main').boundingBox();
    expect(side && main).toBeTruthy();
    // Side by side: the list on the left, the work order to its right, both starting at the top.
    expect(side!.x + side!.width).toBeLessThanOrEqual(main!.x);
    expect(Math.abs(side!.y - main!.y)).toBeLessThan(20);
    expect(main!.width).toBeGreaterThan(600);
    const row = page.locator(`[data-testid=split-side] [data-testid=wo-row][data-id="${woId}"]`);
    expect(await row.getAttribute('class')).toContain('current');
    // Odoo's total is 0 until the customer confirms: the row shows the sent quote's total, not ¥0.00.
    expect((await row.getByTestId('wo-row-amount').innerText()).trim()).toBe(`quote ${yuan(q.total.amount)}`);
    // A phone: one column, no list beside the work order.
    await page.setViewportSize(PHONE);
    expect(await page.getByTestId('split-side').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the chip "quote confirmed" after the customer confirmed, and the toast clear of the bottom of the page', async () => {
    const { woId, customer } = await api.quoted(`chip-${Date.now()}`);
    const { page, context, errors } = await phonePage(browser, `${stack.demoUrl}?lang=zh#/c/wo/${woId}`, { session: { key: CUSTOMER_SESSION_KEY, value: asSession(customer) } });
    await waitText(page.getByTestId('wo-status'), /^待确认报价$/);
    await page.getByTestId('quote-confirm').click();
    await page.locator('#toast').waitFor({ state: 'visible' });
    const toast = await page.locator('#toast').boundingBox();
    expect(toast).toBeTruthy();
    // At the top, under the bar: never over a main button at the bottom of the screen.
    expect(toast!.y + toast!.height).toBeLessThan(PHONE.height / 3);
    await waitText(page.getByTestId('wo-status'), /^报价已确认，待开工$/);
    // Walk-in shop (the default PAYMENT_TIMING=pickup): no pay button before the repair is done.
    await page.getByTestId('pay-later').waitFor();
    expect(await page.getByTestId('pay-button').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });
});
