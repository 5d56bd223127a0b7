import type { Db } from './db';
import { LedgerRepository } from './ledger';
import { resetLedgerForTests, sampleCharge } from '../../test/support/ledger';
import { migrate } from './migrate';
import {
  newOutTradeNo,
  OUT_TRADE_NO,
  PaymentOrderInputError,
  PaymentOrderRepository,
  type CreatePaymentOrderInput,
} from './payment-orders';
import { createTestDb, warnSkippedOnce, type TestDb } from '../../test/support/test-db';

const databaseUrl = process.env.DATABASE_URL;

const input = (over: Partial<CreatePaymentOrderInput> = {}): CreatePaymentOrderInput => ({
  workOrderId: 42,
  shopId: 1,
  warehouseId: 1,
  merchantAccount: '1900000109',
  channel: 'wechat',
  amount: 10_000,
  currency: 'CNY',
  timeExpire: new Date(Date.now() + 15 * 60_000),
  ...over,
});

describe(newOutTradeNo.name, () => {
  it('fits WeChat’s out_trade_no pattern even for the largest work order id, and does not repeat', () => {
    const n = newOutTradeNo(2_147_483_647, new Date('2100-01-01T00:00:00Z'));
    expect(n).toMatch(OUT_TRADE_NO);
    expect(n.length).toBeLessThanOrEqual(32);
    expect(n.startsWith('WO2147483647-')).toBe(true);
    const many = new Set(Array.from({ length: 1000 }, () => newOutTradeNo(7)));
    expect(many.size).toBe(1000);
  });

  it('refuses a work order id that is not a positive int4', () => {
    expect(() => newOutTradeNo(0)).toThrow(PaymentOrderInputError);
    expect(() => newOutTradeNo(2 ** 31)).toThrow(PaymentOrderInputError);
  });
});

for (const backend of [{ kind: 'pglite' as const }, { kind: 'pg' as const, databaseUrl }]) {
  const skip = backend.kind === 'pg' && !backend.databaseUrl;
  if (skip) {
    warnSkippedOnce('PostgreSQL store tests: DATABASE_URL not set');
  }
  const describeBackend = skip ? describe.skip : describe;

  describeBackend(skip ? `${PaymentOrderRepository.name} (pg) — skipped: DATABASE_URL not set` : `${PaymentOrderRepository.name} (${backend.kind})`, () => {
    let t: TestDb;
    let sut: PaymentOrderRepository;
    const create = (over: Partial<CreatePaymentOrderInput> = {}) => t.db.transaction((tx) => sut.createOpen(tx, input(over)));

    beforeAll(async () => {
      t = await createTestDb({ databaseUrl: 'databaseUrl' in backend ? backend.databaseUrl : undefined });
      await migrate(t.db);
      sut = new PaymentOrderRepository(t.db);
    });

    afterAll(async () => {
      await t?.cleanup();
    });

    beforeEach(async () => {
      await resetLedgerForTests(t.db);
    });

    describe('createOpen', () => {
      it('creates an open order with a generated out_trade_no', async () => {
        const { order, created } = await create({ providerData: { note: 'x' } });
        expect(created).toBe(true);
        expect(order).toMatchObject({ workOrderId: 42, channel: 'wechat', amount: 10_000, currency: 'CNY', state: 'open', providerData: { note: 'x' } });
        expect(order.outTradeNo).toMatch(/^WO42-/);
        expect(await sut.findOpen(42, 'wechat')).toEqual(order);
        expect(await sut.get(order.outTradeNo)).toEqual(order);
      });

      it('returns the open order of the same work order and channel instead of a second one', async () => {
        const first = await create();
        const second = await create({ amount: 12_000 });
        expect(second).toEqual({ order: first.order, created: false });
        expect((await create({ channel: 'stripe' })).created).toBe(true);
      });

      it('allows a new open order once the previous one is closed', async () => {
        const first = await create();
        expect(await sut.close(first.order.outTradeNo, 'amount changed')).toBe(true);
        const next = await create({ amount: 12_000 });
        expect(next.created).toBe(true);
        expect((await sut.listByWorkOrder(42)).map((o) => [o.state, o.amount])).toEqual([
          ['closed', 10_000],
          ['open', 12_000],
        ]);
      });

      it('refuses a malformed out_trade_no, amount or currency', async () => {
        await expect(create({ outTradeNo: 'bad no!' })).rejects.toThrow(PaymentOrderInputError);
        await expect(create({ outTradeNo: 'short' })).rejects.toThrow(PaymentOrderInputError);
        await expect(create({ amount: 0 })).rejects.toThrow(/amount/);
        await expect(create({ currency: 'yuan' })).rejects.toThrow(/currency/);
      });

      it('reports an out_trade_no already used by another work order', async () => {
        await create({ outTradeNo: 'WO42-fixed-0001' });
        await expect(create({ workOrderId: 43, outTradeNo: 'WO42-fixed-0001' })).rejects.toThrow(/already used/);
      });
    });

    describe('markPaid', () => {
      it('moves an open order to paid once, linking the ledger row', async () => {
        const { order } = await create();
        const charge = await new LedgerRepository(t.db).appendOne(sampleCharge({ paymentOrderId: order.id }));
        const first = await t.db.transaction((tx) => sut.markPaid(tx, order.outTradeNo, { ledgerSeq: charge.seq }));
        expect(first).toMatchObject({ changed: true, order: { state: 'paid', paidLedgerSeq: charge.seq, paidAt: expect.any(Date) } });
        const again = await t.db.transaction((tx) => sut.markPaid(tx, order.outTradeNo));
        expect(again).toEqual({ changed: false, order: first.order });
      });

      it('accepts a payment for an expired order but not for a closed one', async () => {
        const expired = await create({ workOrderId: 50, timeExpire: new Date(Date.now() - 1_000) });
        const closed = await create({ workOrderId: 51 });
        expect((await sut.expireDue()).map((o) => o.outTradeNo)).toEqual([expired.order.outTradeNo]);
        await sut.close(closed.order.outTradeNo, 'replaced');
        expect((await t.db.transaction((tx) => sut.markPaid(tx, expired.order.outTradeNo))).changed).toBe(true);
        const r = await t.db.transaction((tx) => sut.markPaid(tx, closed.order.outTradeNo));
        expect(r).toMatchObject({ changed: false, order: { state: 'closed', closeReason: 'replaced' } });
        expect(await t.db.transaction((tx) => sut.markPaid(tx, 'WO0-unknown'))).toEqual({ changed: false, order: undefined });
      });
    });

    describe('close, markFailed, setProviderRef', () => {
      it('closes only an open or expired order', async () => {
        const { order } = await create();
        expect(await sut.close(order.outTradeNo, 'customer cancelled')).toBe(true);
        expect(await sut.close(order.outTradeNo, 'again')).toBe(false);
        expect(await sut.get(order.outTradeNo)).toMatchObject({ state: 'closed', closeReason: 'customer cancelled', closedAt: expect.any(Date) });
      });

      it('records the provider reference and finds the order by it; a failed order is no longer open', async () => {
        const { order } = await create({ channel: 'stripe' });
        expect(await sut.setProviderRef(order.outTradeNo, 'pi_123', { clientSecret: 'pi_123_secret_x' })).toBe(true);
        expect(await sut.findByProviderRef('stripe', 'pi_123')).toMatchObject({ id: order.id, providerData: { clientSecret: 'pi_123_secret_x' } });
        expect(await sut.markFailed(order.outTradeNo, 'prepay refused')).toBe(true);
        expect(await sut.findOpen(42, 'stripe')).toBeUndefined();
      });
    });

    describe('listOpenOlderThan, expireDue', () => {
      it('lists open orders older than the age, oldest first', async () => {
        const a = await create({ workOrderId: 60 });
        const b = await create({ workOrderId: 61 });
        await t.db.query(`UPDATE payment_orders SET created_at = now() - interval '10 minutes' WHERE id = $1`, [a.order.id]);
        await t.db.query(`UPDATE payment_orders SET created_at = now() - interval '5 minutes' WHERE id = $1`, [b.order.id]);
        await create({ workOrderId: 62 });
        expect((await sut.listOpenOlderThan(60_000)).map((o) => o.workOrderId)).toEqual([60, 61]);
        expect((await sut.listOpenOlderThan(7 * 60_000)).map((o) => o.workOrderId)).toEqual([60]);
        await sut.close(a.order.outTradeNo, 'x');
        expect((await sut.listOpenOlderThan(60_000)).map((o) => o.workOrderId)).toEqual([61]);
      });

      it('expires due open orders once, at the given time', async () => {
        const soon = await create({ workOrderId: 70, timeExpire: new Date(Date.now() + 60_000) });
        await create({ workOrderId: 71, timeExpire: new Date(Date.now() + 3_600_000) });
        expect(await sut.expireDue()).toEqual([]);
        const later = new Date(Date.now() + 120_000);
        expect((await sut.expireDue(later)).map((o) => [o.outTradeNo, o.state])).toEqual([[soon.order.outTradeNo, 'expired']]);
        expect(await sut.expireDue(later)).toEqual([]);
        expect((await sut.listOpenOlderThan(0, { includeExpired: true })).map((o) => o.workOrderId).sort()).toEqual([70, 71]);
      });
    });

    describe('lock', () => {
      it('reads the order inside a transaction', async () => {
        const { order } = await create();
        expect(await t.db.transaction((tx) => sut.lock(tx, order.outTradeNo))).toEqual(order);
      });
    });

    if (backend.kind === 'pg') {
      describe('concurrency', () => {
        it('lets one of 10 concurrent creates win; the others get the winner back', async () => {
          const pools: Db[] = await Promise.all(Array.from({ length: 5 }, () => t.openAnother()));
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) => {
              const pool = pools[i % pools.length]!;
              return pool.transaction((tx) => new PaymentOrderRepository(pool).createOpen(tx, input({ workOrderId: 99 })));
            }),
          );
          expect(results.filter((r) => r.created)).toHaveLength(1);
          expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
        });
      });
    }
  });
}
