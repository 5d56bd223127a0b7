import { payloadHash } from '../domain/ledger-hash';
import { LedgerRepository } from './ledger';
import { randomTxnId, resetLedgerForTests } from '../../test/support/ledger';
import { migrate } from './migrate';
import { PaymentOrderRepository } from './payment-orders';
import { QuarantineRepository } from './quarantine';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `payment quarantine and order retirement (pg) — skipped: DATABASE_URL not set` : `payment quarantine and order retirement (${backend.kind})`, () => {
    let t: TestDb;
    let quarantine: QuarantineRepository;
    let ledger: LedgerRepository;
    let orders: PaymentOrderRepository;

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      quarantine = new QuarantineRepository(t.db);
      ledger = new LedgerRepository(t.db);
      orders = new PaymentOrderRepository(t.db);
    });
    afterAll(async () => {
      await t?.cleanup();
    });
    beforeEach(async () => {
      await resetLedgerForTests(t.db);
      await t.db.query('TRUNCATE payment_quarantine RESTART IDENTITY');
    });

    describe(QuarantineRepository.name, () => {
      const report = (over: Partial<Parameters<QuarantineRepository['record']>[0]> = {}) => ({
        channel: 'wechat' as const,
        dedupeKey: 'txn:4200000001',
        source: 'notify',
        reason: 'amount 0 is not positive',
        eventType: 'TRANSACTION.SUCCESS',
        outTradeNo: 'WO1-abc',
        providerTxnId: '4200000001',
        providerEventId: 'evt-1',
        body: { amount: { total: 0 } },
        payloadHash: payloadHash('x'),
        ...over,
      });

      it('keeps a report once and counts its redeliveries', async () => {
        const first = await quarantine.record(report());
        expect(first.inserted).toBe(true);
        expect(first.entry).toMatchObject({ channel: 'wechat', dedupeKey: 'txn:4200000001', reason: 'amount 0 is not positive', deliveries: 1, body: '{"amount":{"total":0}}' });
        const again = await quarantine.record(report({ providerEventId: 'evt-2', payloadHash: payloadHash('y') }));
        expect(again.inserted).toBe(false);
        expect(again.entry).toMatchObject({ id: first.entry.id, deliveries: 2, providerEventId: 'evt-1' });
        expect(await quarantine.list()).toHaveLength(1);
        // the same key on the other channel is another report
        expect((await quarantine.record(report({ channel: 'stripe' }))).inserted).toBe(true);
      });

      it('keeps what PostgreSQL text can’t hold as is (NUL) and bounds the sender’s strings', async () => {
        const r = await quarantine.record(report({ dedupeKey: 'event:\u0000x', reason: 'r'.repeat(2000), body: { odd: 'a\u0000b' } }));
        expect(r.entry.dedupeKey).toBe('event:\uFFFDx');
        expect(r.entry.reason).toHaveLength(500);
        expect(JSON.parse(r.entry.body)).toEqual({ odd: 'a\u0000b' });
      });
    });

    describe('payment_record_receipt (migration 0014)', () => {
      const open = (amount = 10_000) =>
        t.db.transaction((tx) => orders.createOpen(tx, { workOrderId: 42, shopId: 1, warehouseId: 1, merchantAccount: '1900000109', channel: 'wechat', amount, currency: 'CNY', timeExpire: new Date(Date.now() + 600_000) }));
      const receipt = (outTradeNo: string, amount: number, txnId = randomTxnId()) =>
        ledger.recordReceipt({ channel: 'wechat', outTradeNo, txnId, amount, currency: 'CNY', actor: 'system:wechatpay-notify', payloadHash: payloadHash(txnId) });

      it('retires the open order that the provider was paid for with another amount; the next order is new', async () => {
        const { order } = await open();
        const r = await receipt(order.outTradeNo, 100);
        expect(r).toMatchObject({ outcome: 'suspense', anomaly: expect.stringMatching(/amount 100 CNY differs/) });
        const after = await orders.get(order.outTradeNo);
        expect(after).toMatchObject({ state: 'closed', closeReason: expect.stringMatching(/^paid 100 CNY at the provider: suspense \(ledger seq \d+\)$/) });
        expect(await orders.findOpen(42, 'wechat')).toBeUndefined();
        const next = await open();
        expect(next.created).toBe(true);
        expect(next.order.outTradeNo).not.toBe(order.outTradeNo);
        expect((await receipt(next.order.outTradeNo, 10_000)).outcome).toBe('charged');
      });

      it('leaves a paid order alone (a second payment of it is suspense) and charges the right amount as before', async () => {
        const { order } = await open();
        expect((await receipt(order.outTradeNo, 10_000)).outcome).toBe('charged');
        expect((await receipt(order.outTradeNo, 500)).outcome).toBe('suspense');
        expect(await orders.get(order.outTradeNo)).toMatchObject({ state: 'paid', closeReason: null });
      });
    });
  });
}
