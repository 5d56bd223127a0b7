import type { Principal } from '../domain/principal';
import { AppError } from '../errors';
import type { Shop } from '../integrations/odoo/shops';
import type { WoRow } from '../integrations/odoo/work-orders';
import type { Db } from '../store/db';
import type { LedgerTotals } from '../store/ledger';
import { BalanceService } from './balance.service';

const CNY: Shop = { id: 1, name: 'Main', tz: 'Asia/Shanghai', currency: { code: 'CNY', decimals: 2 } };
const JPY: Shop = { id: 2, name: 'Tokyo', tz: 'Asia/Tokyo', currency: { code: 'JPY', decimals: 0 } };

const staff: Principal = { kind: 'staff', uid: 7, roles: ['cashier'] } as Principal;
const customer = (partnerId: number): Principal => ({ kind: 'customer', partnerId, identityId: 1 }) as Principal;

function wo(over: Partial<WoRow> = {}): WoRow {
  return {
    id: 10,
    name: 'WO0010',
    state: 'in_progress',
    revision: 3,
    company_id: 1,
    warehouse_id: 1,
    partner: { id: 5, name: 'Li' },
    amounts: { untaxed: 100, tax: 23.45, total: 123.45, paid: 0, due: 123.45 },
    ...over,
  } as WoRow;
}

const totals = (currency: string, t: Partial<Omit<LedgerTotals, 'netPaid'>>): [string, LedgerTotals] => {
  const full = { charge: 0n, refund: 0n, reversal: 0n, suspense: 0n, ...t };
  return [currency, { ...full, netPaid: full.charge + full.refund + full.reversal }];
};

/** The service with typed fakes; every fake records the store handle it was given. */
function build(opts: { wo?: WoRow | null; ledger?: Array<[string, LedgerTotals]>; credited?: number; shops?: Shop[] } = {}) {
  const db = { name: 'pool' } as unknown as Db;
  const seen: { ledgerQ: unknown[]; creditedQ: unknown[]; shopIds: number[] } = { ledgerQ: [], creditedQ: [], shopIds: [] };
  const shops = opts.shops ?? [CNY, JPY];
  const svc = new BalanceService(
    db,
    {
      workOrderTotals: async (_id: number, q?: Db) => {
        seen.ledgerQ.push(q);
        return new Map(opts.ledger ?? []);
      },
    },
    {
      credited: async (_id: number, _currency: string, q?: Db) => {
        seen.creditedQ.push(q);
        return opts.credited ?? 0;
      },
    },
    { get: async () => (opts.wo === undefined ? wo() : opts.wo) },
    {
      get: async (id: number) => {
        seen.shopIds.push(id);
        const s = shops.find((x) => x.id === id);
        if (!s) throw new Error(`no shop ${id}`);
        return s;
      },
      defaultShop: async () => shops[0]!,
    },
  );
  return { svc, db, seen };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe(BalanceService.name, () => {
  describe('workOrderMoney', () => {
    it('gives the work order, its shop and the latest confirmed total in minor units of the shop currency', async () => {
      const { svc } = build();
      const m = await svc.workOrderMoney(10, staff);
      expect(m.total).toBe(12345);
      expect(m.shop).toBe(CNY);
      expect(m.wo.name).toBe('WO0010');
    });

    it('uses the currency decimals of the shop (a zero-decimal currency)', async () => {
      const { svc } = build({ wo: wo({ company_id: 2, amounts: { untaxed: 5000, tax: 0, total: 5000, paid: 0, due: 5000 } }) });
      expect((await svc.workOrderMoney(10, staff)).total).toBe(5000);
    });

    it('takes the default shop for a work order without a company', async () => {
      const { svc, seen } = build({ wo: wo({ company_id: null }) });
      expect((await svc.workOrderMoney(10, staff)).shop).toBe(CNY);
      expect(seen.shopIds).toEqual([1]);
    });

    it('is not found when missing, or when it is another customer’s; the customer sees their own', async () => {
      expect((await refusal(build({ wo: null }).svc.workOrderMoney(10, staff))).type).toBe('not_found');
      expect((await refusal(build().svc.workOrderMoney(10, customer(6)))).type).toBe('not_found');
      expect((await build().svc.workOrderMoney(10, customer(5))).total).toBe(12345);
    });
  });

  describe('payable', () => {
    it.each(['draft', 'cancelled'] as const)('refuses a %s work order (409 NOT_PAYABLE)', async (state) => {
      const e = await refusal(build({ wo: wo({ state }) }).svc.payable(10, staff));
      expect([e.type, e.code]).toEqual(['conflict', 'NOT_PAYABLE']);
    });

    it('refuses a work order without a confirmed total (409 NOT_PAYABLE)', async () => {
      const e = await refusal(build({ wo: wo({ amounts: { untaxed: 0, tax: 0, total: 0, paid: 0, due: 0 } }) }).svc.payable(10, staff));
      expect(e.code).toBe('NOT_PAYABLE');
    });

    it('accepts any other state, delivered and closed included (money may arrive late)', async () => {
      for (const state of ['checkin', 'diagnosing', 'quoted', 'in_progress', 'ready', 'delivered', 'closed'] as const) {
        expect((await build({ wo: wo({ state }) }).svc.payable(10, staff)).total).toBe(12345);
      }
    });
  });

  describe('balance', () => {
    it('due = total − credited − net paid; refunded is positive; suspense is not paid', async () => {
      const { svc } = build({ ledger: [totals('CNY', { charge: 15000n, refund: -2000n, suspense: 999n })], credited: 1500 });
      expect(await svc.balance(10, 15000, 'CNY')).toEqual({ total: 15000, credited: 1500, netPaid: 13000, refunded: 2000, due: 500, currency: 'CNY' });
    });

    it('is negative when the shop holds more than the net price', async () => {
      const { svc } = build({ ledger: [totals('CNY', { charge: 20000n })] });
      expect((await svc.balance(10, 15000, 'CNY')).due).toBe(-5000);
    });

    it('counts only the asked currency', async () => {
      const { svc } = build({ ledger: [totals('USD', { charge: 700n }), totals('CNY', { charge: 100n, reversal: -100n })] });
      expect(await svc.balance(10, 15000, 'CNY')).toEqual(expect.objectContaining({ netPaid: 0, due: 15000 }));
      expect(await svc.balance(10, 15000, 'EUR')).toEqual(expect.objectContaining({ netPaid: 0, refunded: 0, due: 15000 }));
    });

    it('reads the ledger and the credits through the handle it is given (the caller’s locked transaction), else the pool', async () => {
      const { svc, db, seen } = build();
      const tx = { name: 'tx' } as unknown as Db;
      await svc.balance(10, 1, 'CNY', tx);
      await svc.balance(10, 1, 'CNY');
      expect(seen.ledgerQ).toEqual([tx, db]);
      expect(seen.creditedQ).toEqual([tx, db]);
    });
  });

  describe('amountDue', () => {
    it('is what is still owed, with the currency and shop', async () => {
      const { svc } = build({ ledger: [totals('CNY', { charge: 2345n })] });
      expect(await svc.amountDue(10, customer(5))).toEqual(expect.objectContaining({ due: 10000, currency: 'CNY', shop: CNY }));
    });

    it('refuses a paid work order (409 NOTHING_DUE), also when overpaid', async () => {
      for (const charge of [12345n, 20000n]) {
        const e = await refusal(build({ ledger: [totals('CNY', { charge })] }).svc.amountDue(10, customer(5)));
        expect([e.type, e.code]).toEqual(['conflict', 'NOTHING_DUE']);
      }
    });

    it('a completed refund’s credit part lowers what is due', async () => {
      const { svc } = build({ ledger: [totals('CNY', { charge: 10000n })], credited: 2345 });
      await expect(svc.amountDue(10, staff)).rejects.toMatchObject({ code: 'NOTHING_DUE' });
    });
  });

  describe('assertNoMoneyHeld', () => {
    it('refuses while the ledger holds money (409 DRM_MONEY_HELD)', async () => {
      const e = await refusal(build({ ledger: [totals('CNY', { charge: 100n })] }).svc.assertNoMoneyHeld(10));
      expect([e.type, e.code]).toEqual(['conflict', 'DRM_MONEY_HELD']);
    });

    it('passes with nothing paid, everything refunded, or only suspense money', async () => {
      await expect(build().svc.assertNoMoneyHeld(10)).resolves.toBeUndefined();
      await expect(build({ ledger: [totals('CNY', { charge: 100n, refund: -100n })] }).svc.assertNoMoneyHeld(10)).resolves.toBeUndefined();
      await expect(build({ ledger: [totals('CNY', { suspense: 500n })] }).svc.assertNoMoneyHeld(10)).resolves.toBeUndefined();
    });
  });
});
