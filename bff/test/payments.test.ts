import { startHarness, expectProblem, payableWorkOrder as newPayableWorkOrder, waitFor, type Harness } from './harness';

describe('WeChat Pay: payment, notification, ledger, settlement', () => {
  let h: Harness;
  let advisor: string;
  let technician: string;
  let n = 0;

  beforeAll(async () => {
    h = await startHarness({ wechatPay: true });
    [advisor, technician] = (await Promise.all(['advisor', 'technician'].map((l) => h.staffToken(l)))) as [string, string];
  });
  afterAll(async () => {
    await h.close();
  });

  const ledgerRows = async (wo?: number) =>
    (await h.bff.container.db.query<{ seq: number; kind: string; amount: number; work_order_id: number | null }>(
      `SELECT seq, kind, amount, work_order_id FROM ledger_entries ${wo ? 'WHERE work_order_id = $1' : ''} ORDER BY seq`,
      wo ? [wo] : [],
    )).rows;

  /** A customer's work order with a confirmed 150.00 labor quote, in progress. */
  function payableWorkOrder(unitPrice = 15000): Promise<{ id: number; token: string }> {
    n++;
    return newPayableWorkOrder(h, { advisor, technician }, { login: `pay-${n}`, phone: `1350000${String(1000 + n)}`, plate: `粤Q${String(30000 + n)}` }, unitPrice);
  }

  const pay = (id: number, token: string, key = `pay-${id}-${Math.random()}`) => h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token, headers: { 'idempotency-key': key } });
  const odooWo = (id: number) => h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['state', 'amount_paid', 'amount_due', 'amount_invoiced'])[0] as { state: string; amount_paid: number; amount_due: number; amount_invoiced: number };

  it('pays: prepay → signed wx.requestPayment → notification → one ledger charge → Odoo invoiced, paid; delivery closes it', async () => {
    const { id, token } = await payableWorkOrder();
    const r = await pay(id, token);
    expect(r.status).toBe(201);
    expect(r.body.payment_order).toEqual(expect.objectContaining({ work_order_id: id, amount: 15000, currency: 'CNY', status: 'open', out_trade_no: expect.stringMatching(/^[0-9A-Za-z_*-]{6,32}$/) }));
    expect(r.body.request_payment).toEqual(expect.objectContaining({ package: expect.stringMatching(/^prepay_id=/), signType: 'RSA', paySign: expect.any(String) }));
    const no = r.body.payment_order.out_trade_no;
    const paid = await h.wechatPay!.pay(no, { duplicate: 2 });
    expect(paid.deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
    expect((await ledgerRows(id)).map((e) => `${e.kind}:${e.amount}`)).toEqual(['charge:15000']);
    await waitFor(async () => odooWo(id).amount_paid === 150);
    expect(odooWo(id)).toEqual(expect.objectContaining({ amount_due: 0, amount_invoiced: 150, state: 'in_progress' }));
    const history = await h.req('GET', `/api/v1/work-orders/${id}/payments`, { token });
    expect(history.body).toEqual(expect.objectContaining({ paid: 15000, currency: 'CNY' }));
    expect(history.body.orders[0].status).toBe('paid');
    await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: technician, body: { action: 'mark_ready' } });
    const delivered = await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: advisor, body: { action: 'deliver' } });
    expect(delivered.body).toEqual(expect.objectContaining({ status: 'closed', closed: true }));
    // paying again: nothing due
    expectProblem(await pay(id, token), 409, 'NOTHING_DUE');
  });

  it('reuses the open order while the amount is unchanged; a new confirmed total closes it at WeChat first', async () => {
    const { id, token } = await payableWorkOrder();
    const a = await pay(id, token);
    const b = await pay(id, token);
    expect(b.body.payment_order.out_trade_no).toBe(a.body.payment_order.out_trade_no);
    // extra work: version 2 with a higher total, confirmed while in progress
    await h.req('POST', `/api/v1/work-orders/${id}/quotes`, { token: advisor, body: { lines: [{ kind: 'labor', description: 'Service', qty: 1, unit_price: 15000 }, { kind: 'labor', description: 'Extra', qty: 1, unit_price: 5000 }] } });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/2/send`, { token: advisor });
    await h.req('POST', `/api/v1/work-orders/${id}/quotes/2/confirm`, { token });
    const c = await pay(id, token);
    expect(c.body.payment_order.amount).toBe(20000);
    expect(c.body.payment_order.out_trade_no).not.toBe(a.body.payment_order.out_trade_no);
    const closes = h.wechatPay!.calls.filter((x) => x.path.includes(`${a.body.payment_order.out_trade_no}/close`));
    expect(closes).toHaveLength(1);
    expect(h.wechatPay!.orders.get(a.body.payment_order.out_trade_no)?.trade_state).toBe('CLOSED');
  });

  it('not payable: draft, or someone else → 409/404; staff cannot pay with WeChat → 403; missing key → 400', async () => {
    const { id, token } = await payableWorkOrder();
    const other = await h.customerLogin('pay-other', 'phone-13500009999');
    expectProblem(await pay(id, other.access_token), 404);
    expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token }), 400, 'IDEMPOTENCY_KEY_REQUIRED');
    expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token: advisor, headers: { 'idempotency-key': 'staff-pay-0001' } }), 403);
    const me = await h.customerLogin('pay-draft', 'phone-13500008888');
    const v = await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: '粤Q99999' } });
    const wo = await h.req('POST', '/api/v1/work-orders', { token: me.access_token, body: { vehicle_id: v.body.id } });
    expectProblem(await pay(wo.body.id, me.access_token), 409, 'NOT_PAYABLE');
  });

  it.each(['signature', 'serial', 'timestamp', 'ciphertext', 'signtest'] as const)('a forged notification (%s) → 401 FAIL, ledger unchanged', async (forge) => {
    const { id, token } = await payableWorkOrder();
    const r = await pay(id, token);
    const out = await h.wechatPay!.pay(r.body.payment_order.out_trade_no, { forge });
    expect(out.deliveries[0]!.status).toBe(401);
    expect(JSON.parse(out.deliveries[0]!.body)).toEqual({ code: 'FAIL', message: expect.any(String) });
    expect(await ledgerRows(id)).toEqual([]);
  });

  it('malformed bodies are rejected without touching the ledger', async () => {
    const before = (await ledgerRows()).length;
    const r = await h.req('POST', '/api/v1/webhooks/wechatpay', { raw: '{not json', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('FAIL');
    expect((await ledgerRows()).length).toBe(before);
  });

  it('a wrong amount goes to suspense (200 to WeChat, alert logged) and retires the order: the customer pays again at once, once (issue 15.3)', async () => {
    const { id, token } = await payableWorkOrder();
    const r = await pay(id, token);
    const first = r.body.payment_order.out_trade_no;
    const out = await h.wechatPay!.pay(first, { amount: 100 });
    expect(out.deliveries[0]!.status).toBe(204);
    expect((await ledgerRows(id)).map((e) => `${e.kind}:${e.amount}`)).toEqual(['suspense:100']);
    expect(h.logs.some((l) => String(l.message).startsWith('ALERT payment recorded in suspense'))).toBe(true);
    const order = await h.req('GET', `/api/v1/work-orders/${id}/payments`, { token });
    expect(order.body.orders).toEqual([expect.objectContaining({ out_trade_no: first, status: 'closed' })]);
    // WeChat holds the first order as paid: a new payment is a new order for the whole amount due (the suspense money
    // is a manager's to apply or refund), and WeChat takes it.
    const again = await pay(id, token);
    expect(again.status).toBe(201);
    expect(again.body.payment_order).toEqual(expect.objectContaining({ amount: 15000, status: 'open' }));
    const second = again.body.payment_order.out_trade_no;
    expect(second).not.toBe(first);
    expect(h.wechatPay!.orders.get(second)?.amount.total).toBe(15000);
    const paid = await h.wechatPay!.pay(second, { duplicate: 1 });
    expect(paid.deliveries.map((d) => d.status)).toEqual([204, 204]);
    expect((await ledgerRows(id)).map((e) => `${e.kind}:${e.amount}`)).toEqual(['suspense:100', 'charge:15000']);
    await waitFor(async () => odooWo(id).amount_paid === 150);
    expectProblem(await pay(id, token), 409, 'NOTHING_DUE');
  });

  it('a notification that never arrives: the order query finds the payment and settles it', async () => {
    const { id, token } = await payableWorkOrder();
    const r = await pay(id, token);
    await h.wechatPay!.pay(r.body.payment_order.out_trade_no, { lose: true });
    expect(await ledgerRows(id)).toEqual([]);
    const checked = await h.req('POST', `/api/v1/payments/${r.body.payment_order.id}/check`, { token });
    expect(checked.body.status).toBe('paid');
    expect((await ledgerRows(id)).map((e) => e.kind)).toEqual(['charge']);
    await waitFor(async () => odooWo(id).amount_paid === 150);
  });

  it('Odoo down: the notification is still acknowledged and ledgered; settlement completes when Odoo is back, once', async () => {
    const { id, token } = await payableWorkOrder();
    const r = await pay(id, token);
    h.odoo.pause();
    try {
      const out = await h.wechatPay!.pay(r.body.payment_order.out_trade_no, { duplicate: 1 });
      expect(out.deliveries.map((d) => d.status)).toEqual([204, 204]);
      expect((await ledgerRows(id)).map((e) => e.kind)).toEqual(['charge']);
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      h.odoo.resume();
    }
    const outbox = await h.bff.container.db.query<{ id: number }>('SELECT id FROM settlement_outbox WHERE work_order_id = $1', [id]);
    // the queue's retry (or the reconciler) settles it; drive it now instead of waiting for the backoff
    await h.bff.container.settlement.settleWorkOrderNow(id);
    await waitFor(async () => odooWo(id).amount_paid === 150);
    const payments = h.odoo.orm.sudo().model('account.payment').search([['drmoto_work_order_id', '=', id]]);
    expect(payments).toHaveLength(1);
    expect(outbox.rows).toHaveLength(1);
  });

  it('cancel is refused while money is held', async () => {
    const { id, token } = await payableWorkOrder();
    const r = await pay(id, token);
    await h.wechatPay!.pay(r.body.payment_order.out_trade_no);
    expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/transitions`, { token: advisor, body: { action: 'cancel', reason: 'x' } }), 409, 'DRM_MONEY_HELD');
  });
});
