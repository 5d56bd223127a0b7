/**
 * Issue 15.2: a provider's validly signed report the ledger can't take (amount ≤ 0, an unknown currency, a resource of
 * the wrong shape, another merchant) is quarantined once with an ALERT and acknowledged with a 2xx — WeChat Pay would
 * otherwise send it again for a day, Stripe for three. 4xx stays for signature and format failures; 503 for a store
 * outage (robustness.test.ts). Notifications are signed by the WeChat Pay mock's platform key and Stripe events with
 * the SDK's test header, as the other webhook tests do.
 */
import { expectProblem, payableWorkOrders, staffTokens, startHarness, type Harness } from './harness';
import { startStripeStub, type StripeStub } from './stripe-stub';

const WHSEC = 'whsec_quarantine0123456789';

describe('webhooks: verified reports the ledger cannot take are quarantined and acknowledged', () => {
  let h: Harness;
  let stub: StripeStub;
  let workOrder: (unitPrice?: number) => Promise<{ id: number; token: string }>;

  beforeAll(async () => {
    stub = await startStripeStub(WHSEC);
    h = await startHarness({ wechatPay: true, env: { STRIPE_SECRET_KEY: 'sk_test_bff123', STRIPE_WEBHOOK_SECRET: WHSEC, STRIPE_API_BASE: stub.url } });
    const { advisor, technician } = await staffTokens(h, ['advisor', 'technician']);
    workOrder = payableWorkOrders(h, { advisor, technician }, { tag: 'qr', phone: '1370000', plate: '粤R5' });
  });
  afterAll(async () => {
    await h?.close();
    await stub?.close();
  });

  const db = () => h.bff.container.db;
  const quarantined = async (where: string, params: unknown[]) =>
    (await db().query<{ id: number; channel: string; reason: string; deliveries: number; source: string; out_trade_no: string | null; body: string }>(
      `SELECT id, channel, reason, deliveries, source, out_trade_no, body FROM payment_quarantine WHERE ${where} ORDER BY id`,
      params,
    )).rows;
  const ledgerCount = async () => Number((await db().query<{ n: string }>('SELECT count(*)::text AS n FROM ledger_entries')).rows[0]!.n);
  const alerts = (re: RegExp) => h.logs.filter((l) => String(l.message).startsWith('ALERT') && re.test(String(l.message)));
  const payWechat = (id: number, token: string) => h.req('POST', `/api/v1/work-orders/${id}/payments/wechat`, { token, headers: { 'idempotency-key': `qr-${id}-${Math.random()}` } });
  const postWechat = (n: { headers: Record<string, string>; body: string }) => h.req('POST', '/api/v1/webhooks/wechatpay', { raw: n.body, headers: n.headers });

  describe('WeChat Pay', () => {
    it.each([
      ['zero', 0],
      ['negative', -100],
    ])('a %s amount → 204, quarantined once, redelivery deduplicated, one ALERT; no ledger row; the order is retired', async (_label, amount) => {
      const { id, token } = await workOrder();
      const r = await payWechat(id, token);
      const no = r.body.payment_order.out_trade_no as string;
      const before = await ledgerCount();
      const alertsBefore = alerts(/quarantined/).length;
      const out = await h.wechatPay!.pay(no, { amount, duplicate: 2 });
      expect(out.deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
      const rows = await quarantined('out_trade_no = $1', [no]);
      expect(rows).toEqual([expect.objectContaining({ channel: 'wechat', source: 'notify', deliveries: 3, reason: expect.stringMatching(new RegExp(`amount ${amount} is not positive`)) })]);
      expect(JSON.parse(rows[0]!.body)).toEqual(expect.objectContaining({ out_trade_no: no, trade_state: 'SUCCESS', amount: expect.objectContaining({ total: amount }) }));
      expect(await ledgerCount()).toBe(before);
      expect(alerts(/quarantined/)).toHaveLength(alertsBefore + 1);
      // WeChat holds the order as paid: the customer can pay again at once, with a new order for the whole amount.
      const again = await payWechat(id, token);
      expect(again.status).toBe(201);
      expect(again.body.payment_order).toEqual(expect.objectContaining({ amount: 15000 }));
      expect(again.body.payment_order.out_trade_no).not.toBe(no);
    });

    it('the order query (reconciler) reporting the same transaction is the same quarantine entry', async () => {
      const { id, token } = await workOrder();
      const r = await payWechat(id, token);
      const no = r.body.payment_order.out_trade_no as string;
      await h.wechatPay!.pay(no, { amount: 0, lose: true });
      const checked = await h.req('POST', `/api/v1/payments/${r.body.payment_order.id}/check`, { token });
      expect(checked.status).toBe(200);
      expect(checked.body.status).toBe('closed');
      // asked again: the same transaction, the same entry (counted)
      expect((await h.req('POST', `/api/v1/payments/${r.body.payment_order.id}/check`, { token })).body.status).toBe('closed');
      const rows = await quarantined('out_trade_no = $1', [no]);
      expect(rows).toEqual([expect.objectContaining({ source: 'query', deliveries: 2, reason: 'amount 0 is not positive' })]);
    });

    it.each([
      ['an unknown currency', (base: Record<string, unknown>) => ({ ...base, amount: { total: 100, currency: 'XYZ' } }), /currency "XYZ" is not an ISO 4217 code/],
      ['a fractional amount', (base: Record<string, unknown>) => ({ ...base, amount: { total: 100.5, currency: 'CNY' } }), /transaction resource shape: amount\.total/],
      ['an absurd amount', (base: Record<string, unknown>) => ({ ...base, amount: { total: 2 ** 60, currency: 'CNY' } }), /not an integer of minor units|transaction resource shape: amount\.total/],
      ['no transaction id', (base: Record<string, unknown>) => ({ ...base, transaction_id: undefined }), /transaction id \(missing\)/],
      ['a resource of the wrong shape', () => ({ nonsense: true }), /transaction resource shape/],
      ['another merchant', (base: Record<string, unknown>) => ({ ...base, mchid: '1999999999' }), /merchant "1999999999".*not ours/],
    ])('%s → 204, quarantined once (by notification id), ALERT, ledger unchanged', async (_label, make, reason) => {
      const wx = h.config.wechatPay!;
      const base = { appid: wx.appId, mchid: wx.mchid, out_trade_no: `QR${Date.now()}${Math.floor(Math.random() * 1e6)}`, transaction_id: `4200${Date.now()}${Math.floor(Math.random() * 1e6)}`, trade_state: 'SUCCESS', amount: { total: 100, currency: 'CNY' } };
      const id = `EV-${Math.random().toString(36).slice(2)}`;
      const n = h.wechatPay!.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: make(base), id });
      const before = await ledgerCount();
      const first = await postWechat(n);
      expect(first.status).toBe(204);
      // WeChat sends the same notification again (same id; here even the same bytes)
      expect((await postWechat(h.wechatPay!.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: make(base), id }))).status).toBe(204);
      const rows = await quarantined("dedupe_key IN ('event:' || $1, 'txn:' || $2)", [id, base.transaction_id]);
      expect(rows).toEqual([expect.objectContaining({ channel: 'wechat', deliveries: 2, reason: expect.stringMatching(reason) })]);
      expect(await ledgerCount()).toBe(before);
      expect(alerts(/wechatpay notification quarantined|wechatpay payment quarantined/).some((l) => reason.test(String(l.reason)))).toBe(true);
    });

    it('forgeries and unreadable envelopes are still refused (401), and nothing is kept', async () => {
      const count = async () => Number((await db().query<{ n: string }>('SELECT count(*)::text AS n FROM payment_quarantine')).rows[0]!.n);
      const before = await count();
      const forged = h.wechatPay!.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: { amount: { total: 0 } }, forge: 'signature' });
      expect((await postWechat(forged)).status).toBe(401);
      const tampered = h.wechatPay!.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: { amount: { total: 0 } }, forge: 'ciphertext' });
      expect((await postWechat(tampered)).status).toBe(401);
      expect(await count()).toBe(before);
    });
  });

  describe('Stripe', () => {
    const deliver = (body: string) => h.req('POST', '/api/v1/webhooks/stripe', { raw: body, headers: { 'content-type': 'application/json', 'stripe-signature': stub.sign(body) } });

    it.each([
      ['zero', 0],
      ['negative', -100],
    ])('payment_intent.succeeded with a %s amount → 200, quarantined once, redelivery deduplicated, ALERT; the order retired', async (_label, amount) => {
      const { id, token } = await workOrder();
      const r = await h.req('POST', `/api/v1/work-orders/${id}/payments/stripe`, { token, headers: { 'idempotency-key': `qs-${id}-${Math.random()}` } });
      expect(r.status).toBe(201);
      const no = r.body.payment_order.out_trade_no as string;
      const pi = String([...stub.intents.values()].find((x) => (x.metadata as Record<string, string>).out_trade_no === no)!.id);
      const before = await ledgerCount();
      const ev = stub.event('payment_intent.succeeded', { ...stub.succeed(pi), amount, amount_received: amount });
      const first = await deliver(ev.body);
      expect(first.status).toBe(200);
      expect((await deliver(ev.body)).body).toEqual({ received: true, duplicate: true });
      // the same intent in another event (Stripe may send it twice under two ids): the same entry
      const other = stub.event('payment_intent.succeeded', { ...stub.succeed(pi), amount, amount_received: amount });
      expect((await deliver(other.body)).status).toBe(200);
      const rows = await quarantined("channel = 'stripe' AND out_trade_no = $1", [no]);
      expect(rows).toEqual([expect.objectContaining({ source: 'webhook', deliveries: 2, reason: expect.stringMatching(/is not positive/) })]);
      expect(await ledgerCount()).toBe(before);
      expect(alerts(/stripe payment quarantined/).length).toBeGreaterThan(0);
      const orders = await h.req('GET', `/api/v1/work-orders/${id}/payments`, { token });
      expect(orders.body.orders).toEqual([expect.objectContaining({ out_trade_no: no, status: 'closed' })]);
    });

    it('a bad signature is still 400', async () => {
      const ev = stub.event('payment_intent.succeeded', { id: 'pi_x', object: 'payment_intent', status: 'succeeded', amount: 0, currency: 'cny', metadata: {} });
      const r = await h.req('POST', '/api/v1/webhooks/stripe', { raw: ev.body, headers: { 'content-type': 'application/json', 'stripe-signature': stub.sign(ev.body, { secret: 'whsec_wrong' }) } });
      expect(r.status).toBe(400);
    });
  });

  it('the API still refuses nothing it did before (a paid work order → 409 NOTHING_DUE)', async () => {
    const { id, token } = await workOrder();
    const r = await payWechat(id, token);
    await h.wechatPay!.pay(r.body.payment_order.out_trade_no);
    expectProblem(await payWechat(id, token), 409, 'NOTHING_DUE');
  });
});
