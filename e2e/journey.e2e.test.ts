import type { Browser, Page, Request } from 'playwright-core';
import { startDemo, type DemoStack } from '../scripts/demo-stack';
import { startLocalS3, type LocalS3 } from '../bff/test/s3';
import { Bff, CUSTOMER_SESSION_KEY, STAFF_SESSION_KEY, asSession } from './api';
import { describeBrowser, go, launch, phonePage, waitAttr, waitText } from './browser';
import { runJourney, yuan } from './journey';

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

  it('runs the whole journey by clicking, and leaves one charge in the ledger and a closed, paid work order in Odoo', async () => {
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
      const { woId, customer } = await api.partsRequested(`dbl-pay-${Date.now()}`);
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

  it('shows the problem title and detail when the BFF refuses (start repair without a confirmed quote)', async () => {
    const { woId } = await api.quoted(`refuse-${Date.now()}`);
    const manager = await api.ok('POST', '/auth/staff/login', { body: { login: 'manager', password: 'demo' } });
    const { page, context } = await phonePage(browser, `${stack.demoUrl}?lang=en#/s/wo/${woId}`, { session: { key: STAFF_SESSION_KEY, value: asSession(manager) } });
    // The manager may press "Start repair"; Odoo refuses it without a confirmed quote, and the page says why.
    await page.getByTestId('act-start_repair').click();
    const problem = page.getByTestId('staff-actions').getByTestId('problem');
    await waitText(problem, /\(409\)/);
    const refused = await api.req('POST', `/work-orders/${woId}/transitions`, { token: await api.staff('manager'), body: { action: 'start_repair' } });
    expect(refused.status).toBe(409);
    expect(await problem.innerText()).toContain(refused.body.title);
    expect(await problem.innerText()).toContain(refused.body.detail);
    await go(page, `#/s/wo/${woId}`);
    await waitAttr(page.getByTestId('wo-head'), 'data-status', 'quoted');
    await context.close();
  });
});
