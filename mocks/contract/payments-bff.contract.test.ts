import { randomUUID } from 'node:crypto';
import { OdooClient } from '../../bff/src/integrations/odoo/client';
import { PaymentsGateway } from '../../bff/src/integrations/odoo/payments';
import { createLogger } from '../../bff/src/logger';
import { verifyLedger } from '../../bff/src/store/ledger-verify';
import { payableWorkOrder, startHarness, waitFor, type Harness } from '../../bff/test/harness';
import { unique } from './target';

/**
 * WeChat Pay through the whole stack, against the Odoo mock or a real Odoo (ODOO_URL): work orders opened, quoted and
 * confirmed through the BFF, the customer pays at the WeChat Pay mock, and every notification arrives three times at
 * once — so the BFF records receipts in batches (one `payment_record_receipts` statement for those that arrive while
 * another is running) and hands their settlements to the queue together. Odoo must then hold exactly one registered
 * payment and the invoices of each work order, and delivery closes each once. On PostgreSQL when DATABASE_URL is set.
 */
const WORK_ORDERS = 8;
const COPIES = 3;

jest.setTimeout(240_000);

describe(`WeChat Pay notifications in batches through the BFF (store: ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let h: Harness;
  let pays: PaymentsGateway;
  let staff: { advisor: string; technician: string };

  beforeAll(async () => {
    const real = process.env.ODOO_URL
      ? { url: process.env.ODOO_URL, db: process.env.ODOO_DB ?? 'drmoto', user: process.env.ODOO_USER ?? 'bff', password: process.env.ODOO_PASSWORD ?? 'bff' }
      : undefined;
    h = await startHarness({ wechatPay: true, databaseUrl: process.env.DATABASE_URL, realOdoo: real, env: { LOG_LEVEL: 'info', RATE_LIMIT_AUTH_PER_MIN: '10000' } });
    const conn = real ?? { url: h.odoo.url, db: h.odoo.db, user: 'bff', password: 'bff' };
    pays = new PaymentsGateway(new OdooClient({ ...conn, transport: 'jsonrpc', timeoutMs: 30_000, maxSockets: 4, readRetries: 1 }, createLogger({ silent: true })));
    staff = { advisor: await h.staffToken('advisor'), technician: await h.staffToken('technician') };
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it(`${WORK_ORDERS} payments, each notified ${COPIES}× at once: one ledger charge, one Odoo payment and one close each`, async () => {
    const pay = h.wechatPay!;
    const orders: Array<{ id: number; token: string; outTradeNo: string; amount: number }> = [];
    for (let i = 0; i < WORK_ORDERS; i++) {
      const wo = await payableWorkOrder(h, staff, { login: `batch-${unique.tag()}`, phone: unique.phone(), plate: unique.plate() }, 10_000 + i * 100);
      const r = await h.req('POST', `/api/v1/work-orders/${wo.id}/payments/wechat`, { token: wo.token, headers: { 'idempotency-key': `batch-${randomUUID()}` } });
      expect({ status: r.status, body: r.status === 201 ? 'created' : r.body }).toEqual({ status: 201, body: 'created' });
      orders.push({ ...wo, outTradeNo: r.body.payment_order.out_trade_no, amount: r.body.payment_order.amount });
    }
    // The customers pay; the platform's notifications are held back and sent below, all at once.
    for (const o of orders) expect((await pay.pay(o.outTradeNo, { lose: true })).deliveries).toEqual([]);
    const webhook = `${h.bff.url}/api/v1/webhooks/wechatpay`;
    const sends = orders.flatMap((o) => {
      const id = randomUUID();
      return Array.from({ length: COPIES }, () => pay.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: pay.transactionOf(o.outTradeNo), id, summary: '支付成功' }));
    });
    const answers = await Promise.all(sends.map((n) => fetch(webhook, { method: 'POST', headers: n.headers, body: n.body }).then((r) => r.status)));
    expect(answers.filter((s) => s !== 204)).toEqual([]);

    // Settled in Odoo: paid in full, invoiced once, one payment each.
    const cents = (v: number) => Math.round(v * 100);
    const money = async () => Promise.all(orders.map(async (o) => ({ o, m: (await pays.money(o.id))! })));
    // every payment registered in Odoo
    const settled = await waitFor(async () => {
      const rows = await money();
      return rows.every(({ m }) => m.amount_due === 0 && m.amount_paid > 0) && rows;
    }, 120_000);
    for (const { o, m } of settled) {
      expect({ id: o.id, paid: cents(m.amount_paid), invoiced: cents(m.amount_invoiced), total: cents(m.amount_total) }).toEqual({ id: o.id, paid: o.amount, invoiced: o.amount, total: o.amount });
      const registered = await pays.payments(o.id);
      expect({ id: o.id, payments: registered.map((r) => cents(r.amount)) }).toEqual({ id: o.id, payments: [o.amount] });
    }

    // The ledger: one charge per payment, nothing else for these work orders, the chain intact.
    const ids = orders.map((o) => o.id);
    const db = h.bff.container.db;
    const ledger = (await db.query<{ kind: string; work_order_id: number; amount: number }>('SELECT kind, work_order_id, amount FROM ledger_entries WHERE work_order_id = ANY($1::int[]) ORDER BY seq', [ids])).rows;
    expect(ledger.map((e) => `${e.kind}:${e.work_order_id}:${e.amount}`).sort()).toEqual(orders.map((o) => `charge:${o.id}:${o.amount}`).sort());
    expect((await verifyLedger(db)).ok).toBe(true);

    // Delivered: each closes (paid and delivered); WeChat notifying again afterwards adds nothing.
    for (const o of orders) {
      expect((await h.req('POST', `/api/v1/work-orders/${o.id}/transitions`, { token: staff.technician, body: { action: 'mark_ready' } })).status).toBe(200);
      const d = await h.req('POST', `/api/v1/work-orders/${o.id}/transitions`, { token: staff.advisor, body: { action: 'deliver' } });
      expect({ id: o.id, status: d.body.status }).toEqual({ id: o.id, status: 'closed' });
    }
    const retries = orders.map((o) => pay.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: pay.transactionOf(o.outTradeNo), summary: '支付成功' }));
    const again = await Promise.all(retries.map((n) => fetch(webhook, { method: 'POST', headers: n.headers, body: n.body }).then((r) => r.status)));
    expect(again.filter((s) => s !== 204)).toEqual([]);
    expect((await db.query('SELECT 1 FROM ledger_entries WHERE work_order_id = ANY($1::int[])', [ids])).rowCount).toBe(WORK_ORDERS);
    for (const o of orders) {
      const m = (await pays.money(o.id))!;
      expect({ id: o.id, state: m.state, paid: cents(m.amount_paid), payments: (await pays.payments(o.id)).length }).toEqual({ id: o.id, state: 'closed', paid: o.amount, payments: 1 });
    }
  });
});
