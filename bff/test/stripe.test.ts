/**
 * Stripe (issue 7): PaymentIntent for the amount due with an idempotency key; the webhook verifies with constructEvent
 * on the raw body, dedupes on event.id, ledgers payment_intent.succeeded once, leaves payment_failed on the order, and
 * records refunds per refund id (charge.refunded's amount_refunded is cumulative). Outbound calls go to a local stub
 * the real SDK is pointed at; events are signed with the SDK's generateTestHeaderString.
 */
import { expectProblem, payableWorkOrders, staffTokens, startHarness, waitFor, type Harness } from './harness';
import { startStripeStub, type StripeStub } from './stripe-stub';

const WHSEC = 'whsec_testsecret0123456789';

describe('Stripe: PaymentIntent, webhook, refunds per refund id', () => {
  let h: Harness;
  let stub: StripeStub;
  let advisor: string;
  let technician: string;
  let manager: string;
  let workOrder: (unitPrice?: number) => Promise<{ id: number; token: string }>;

  beforeAll(async () => {
    stub = await startStripeStub(WHSEC);
    h = await startHarness({ env: { STRIPE_SECRET_KEY: 'sk_test_bff123', STRIPE_WEBHOOK_SECRET: WHSEC, STRIPE_API_BASE: stub.url } });
    ({ advisor, technician, manager } = await staffTokens(h, ['advisor', 'technician', 'manager']));
    workOrder = payableWorkOrders(h, { advisor, technician }, { tag: 'st', phone: '1380000', plate: '粤T6' });
  });
  afterAll(async () => {
    await h.close();
    await stub.close();
  });

  const createIntent = (id: number, token: string) => h.req('POST', `/api/v1/work-orders/${id}/payments/stripe`, { token, headers: { 'idempotency-key': `st-${id}-${Math.random()}` } });
  const deliver = (body: string, signature = stub.sign(body)) => h.req('POST', '/api/v1/webhooks/stripe', { raw: body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });
  const ledgerRows = async (wo: number) =>
    (await h.bff.container.db.query<{ kind: string; amount: number; channel: string; provider_txn_id: string | null; provider_refund_id: string | null }>(
      'SELECT kind, amount, channel, provider_txn_id, provider_refund_id FROM ledger_entries WHERE work_order_id = $1 ORDER BY seq',
      [wo],
    )).rows;
  const odooWo = (id: number) => h.odoo.orm.sudo().model('drmoto.work.order').read([id], ['amount_paid', 'amount_refunded', 'amount_due'])[0] as Record<string, number>;

  /** a paid work order: intent created, succeeded at Stripe, webhook delivered */
  async function paid(): Promise<{ id: number; pi: string }> {
    const { id, token } = await workOrder();
    const r = await createIntent(id, token);
    const pi = String([...stub.intents.values()].find((x) => (x.metadata as Record<string, string>).out_trade_no === r.body.payment_order.out_trade_no)!.id);
    const ev = stub.event('payment_intent.succeeded', stub.succeed(pi));
    expect((await deliver(ev.body)).status).toBe(200);
    return { id, pi };
  }

  it('creates a PaymentIntent for the amount due with an idempotency key; reuses it while the amount is unchanged', async () => {
    const { id, token } = await workOrder();
    const a = await createIntent(id, token);
    expect(a.status).toBe(201);
    expect(a.body).toEqual(expect.objectContaining({ client_secret: expect.stringMatching(/^pi_stub\d+_secret_/), stripe_amount: 15000, currency: 'CNY' }));
    const create = stub.calls.filter((c) => c.path === '/v1/payment_intents' && c.form['metadata[work_order_id]'] === String(id));
    expect(create).toHaveLength(1);
    expect(create[0]).toEqual(expect.objectContaining({ idempotencyKey: `pi-${a.body.payment_order.out_trade_no}`, form: expect.objectContaining({ amount: '15000', currency: 'cny' }) }));
    const b = await createIntent(id, token);
    expect(b.body.client_secret).toBe(a.body.client_secret);
    expect(stub.calls.filter((c) => c.path === '/v1/payment_intents' && c.form['metadata[work_order_id]'] === String(id))).toHaveLength(1);
  });

  it('payment_intent.succeeded → ONE ledger charge keyed by the intent; the same event again and a second event for it change nothing; Odoo settles', async () => {
    const { id, token } = await workOrder();
    const r = await createIntent(id, token);
    const pi = [...stub.intents.values()].find((x) => (x.metadata as Record<string, string>).out_trade_no === r.body.payment_order.out_trade_no)!;
    const ev = stub.event('payment_intent.succeeded', stub.succeed(String(pi.id)));
    expect((await deliver(ev.body)).body).toEqual({ received: true });
    expect((await deliver(ev.body)).body).toEqual({ received: true, duplicate: true });
    expect((await deliver(stub.event('payment_intent.succeeded', pi).body)).status).toBe(200);
    expect(await ledgerRows(id)).toEqual([expect.objectContaining({ kind: 'charge', amount: 15000, channel: 'stripe', provider_txn_id: pi.id })]);
    await waitFor(() => odooWo(id).amount_paid === 150);
    expect(odooWo(id).amount_due).toBe(0);
    const history = await h.req('GET', `/api/v1/work-orders/${id}/payments`, { token });
    expect(history.body.orders[0].status).toBe('paid');
  });

  it('a bad signature, a wrong secret, an old or future timestamp or no header → 400, nothing recorded', async () => {
    const { id, token } = await workOrder();
    const r = await createIntent(id, token);
    const pi = [...stub.intents.values()].find((x) => (x.metadata as Record<string, string>).out_trade_no === r.body.payment_order.out_trade_no)!;
    const ev = stub.event('payment_intent.succeeded', stub.succeed(String(pi.id)));
    const good = stub.sign(ev.body);
    const tampered = good.replace(/v1=([0-9a-f])/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`);
    for (const sig of [tampered, stub.sign(ev.body, { secret: 'whsec_other' }), stub.sign(ev.body, { timestamp: Math.floor(Date.now() / 1000) - 600 }), stub.sign(ev.body, { timestamp: Math.floor(Date.now() / 1000) + 600 })]) {
      const res = await deliver(ev.body, sig);
      expect(res.status).toBe(400);
    }
    expect((await h.req('POST', '/api/v1/webhooks/stripe', { raw: ev.body, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    // a body changed after signing
    expect((await deliver(ev.body.replace('15000', '15001'), good)).status).toBe(400);
    expect(await ledgerRows(id)).toEqual([]);
    // the genuine one still works afterwards: the rejected attempts did not mark the event as seen
    expect((await deliver(ev.body, good)).body).toEqual({ received: true });
    expect(await ledgerRows(id)).toHaveLength(1);
  });

  it('payment_intent.payment_failed: the order keeps the reason and stays open; no ledger row; other event types → 200', async () => {
    const { id, token } = await workOrder();
    const r = await createIntent(id, token);
    const pi = [...stub.intents.values()].find((x) => (x.metadata as Record<string, string>).out_trade_no === r.body.payment_order.out_trade_no)!;
    const failed = { ...pi, status: 'requires_payment_method', last_payment_error: { code: 'card_declined', message: 'Your card was declined.' } };
    expect((await deliver(stub.event('payment_intent.payment_failed', failed).body)).status).toBe(200);
    expect(await ledgerRows(id)).toEqual([]);
    const order = await h.bff.container.db.query<{ state: string; provider_data: Record<string, unknown> }>('SELECT state, provider_data FROM payment_orders WHERE out_trade_no = $1', [r.body.payment_order.out_trade_no]);
    expect(order.rows[0]).toEqual({ state: 'open', provider_data: expect.objectContaining({ last_error: 'Your card was declined.' }) });
    expect((await deliver(stub.event('customer.created', { id: 'cus_1', object: 'customer' }).body)).body).toEqual({ received: true });
  });

  it('partial refunds are recorded per refund id; charge.refunded (cumulative amount_refunded) adds nothing', async () => {
    const { id, pi } = await paid();
    await waitFor(() => odooWo(id).amount_paid === 150);
    const r1 = await h.req('POST', `/api/v1/work-orders/${id}/refunds`, { token: manager, body: { amount: 3000, reason: 'part not fitted' }, headers: { 'idempotency-key': `re-${id}-1xxxx` } });
    const r2 = await h.req('POST', `/api/v1/work-orders/${id}/refunds`, { token: manager, body: { amount: 2000, reason: 'discount' }, headers: { 'idempotency-key': `re-${id}-2xxxx` } });
    expect([r1.status, r2.status]).toEqual([201, 201]);
    const refundCalls = stub.calls.filter((c) => c.path === '/v1/refunds' && c.form.payment_intent === pi);
    expect(refundCalls.map((c) => [c.idempotencyKey, c.form.amount])).toEqual([
      [r1.body.out_refund_no, '3000'],
      [r2.body.out_refund_no, '2000'],
    ]);
    const rows = () => ledgerRows(id).then((x) => x.filter((e) => e.kind === 'refund'));
    expect((await rows()).map((e) => [e.amount, e.provider_refund_id])).toEqual([
      [-3000, r1.body.provider_refund_id],
      [-2000, r2.body.provider_refund_id],
    ]);
    const reObjs = [stub.refunds.get(r1.body.provider_refund_id)!, stub.refunds.get(r2.body.provider_refund_id)!];
    const charge = { id: `ch_${pi}`, object: 'charge', payment_intent: pi, amount: 15000, amount_refunded: 5000, refunded: false, refunds: { object: 'list', data: reObjs } };
    expect((await deliver(stub.event('charge.refunded', charge).body)).status).toBe(200);
    expect((await deliver(stub.event('refund.updated', reObjs[0]!).body)).status).toBe(200);
    expect(await rows()).toHaveLength(2);
    await waitFor(() => odooWo(id).amount_refunded === 50);
    expect(odooWo(id)).toEqual(expect.objectContaining({ amount_paid: 100, amount_due: 0 }));
    // more than is left at Stripe: the BFF refuses first
    expectProblem(await h.req('POST', `/api/v1/work-orders/${id}/refunds`, { token: manager, body: { amount: 10001, reason: 'x' }, headers: { 'idempotency-key': `re-${id}-3xxxx` } }), 409, 'REFUND_EXCEEDS_PAID');
  });

  it('a pending Stripe refund completes by refund.updated (delivered twice → one row)', async () => {
    const { id } = await paid();
    stub.refundStatus = 'pending';
    try {
      const r = await h.req('POST', `/api/v1/work-orders/${id}/refunds`, { token: manager, body: { amount: 1500, reason: 'goodwill' }, headers: { 'idempotency-key': `re-${id}-pend` } });
      expect(r.status).toBe(202);
      expect(r.body.status).toBe('processing');
      const re = stub.refunds.get(r.body.provider_refund_id)!;
      re.status = 'succeeded';
      const ev = stub.event('refund.updated', re);
      await deliver(ev.body);
      await deliver(stub.event('refund.updated', re).body);
      expect((await ledgerRows(id)).filter((e) => e.kind === 'refund').map((e) => e.amount)).toEqual([-1500]);
    } finally {
      stub.refundStatus = 'succeeded';
    }
  });
});
