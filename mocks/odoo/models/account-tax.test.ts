import { createOrm, OdooService } from '../server';
import type { Orm } from '../orm/orm';
import { computeAll, floatRound } from './account-tax';

describe('account.tax compute_all (Odoo 17 arithmetic, round per line)', () => {
  let orm: Orm;
  let incl: number;
  let excl: number;
  const cny = 1;
  const all = (taxes: number[], price: number, qty = 1) => computeAll(orm.sudoEnv(), taxes, price, cny, qty);

  beforeEach(() => {
    orm = createOrm();
    incl = orm.ref('drmoto_mock.tax_vat13_incl');
    excl = orm.ref('drmoto_mock.tax_vat13_excl');
  });

  it('float_round is HALF-UP with Odoo epsilon', () => {
    expect(floatRound(0.065, 0.01)).toBe(0.07);
    expect(floatRound(2.675, 0.01)).toBe(2.68);
    expect(floatRound(1.005, 0.01)).toBe(1.01);
    expect(floatRound(-1.005, 0.01)).toBe(-1.01);
    expect(floatRound(2.5, 1)).toBe(3);
    expect(floatRound(0, 0.01)).toBe(0);
  });

  // figures computed by hand (and with odoo/tools/float_utils.py): base = round(price * qty), then
  // included: excluded = round(base / 1.13), tax = base - excluded; excluded: tax = round(base * 0.13)
  it.each([
    // price, qty, total_excluded, tax, total_included
    [100, 1, 88.5, 11.5, 100],
    [150.5 * 0.9, 2, 239.73, 31.17, 270.9],
    [1.13, 1, 1, 0.13, 1.13],
    [120, 1.5, 159.29, 20.71, 180],
    [180 * 0.9, 1, 143.36, 18.64, 162],
    [0.01, 1, 0.01, 0, 0.01],
  ])('price-included 13%%: %p × %p → %p + %p = %p', (price, qty, ex, tax, inc) => {
    const r = all([incl], price, qty);
    expect(r.total_excluded).toBeCloseTo(ex, 10);
    expect(r.total_included).toBeCloseTo(inc, 10);
    expect(r.taxes).toHaveLength(1);
    expect(r.taxes[0]!.amount).toBeCloseTo(tax, 10);
    expect(r.taxes[0]!.price_include).toBe(true);
  });

  it.each([
    [150.5 * 0.9, 2, 270.9, 35.22, 306.12],
    [0.1, 3, 0.3, 0.04, 0.34],
    [0.5, 1, 0.5, 0.07, 0.57],
    [120, 1.5, 180, 23.4, 203.4],
  ])('price-excluded 13%%: %p × %p → %p + %p = %p', (price, qty, ex, tax, inc) => {
    const r = all([excl], price, qty);
    expect(r.total_excluded).toBeCloseTo(ex, 10);
    expect(r.taxes[0]!.amount).toBeCloseTo(tax, 10);
    expect(r.total_included).toBeCloseTo(inc, 10);
  });

  it('without taxes the totals are the rounded base; a negative base keeps its sign', () => {
    expect(all([], 10.005, 1)).toEqual({ taxes: [], total_excluded: 10.01, total_included: 10.01, total_void: 10.01 });
    const r = all([excl], -100, 1);
    expect([r.total_excluded, r.taxes[0]!.amount, r.total_included]).toEqual([-100, -13, -113]);
  });

  it('is callable over RPC on the tax records, with the company currency by default', () => {
    const odoo = new OdooService(orm, 'drmoto');
    const advisor = orm.ref('drmoto_mock.user_advisor');
    const r = odoo.execute(advisor, 'account.tax', 'compute_all', [[incl], 100], { quantity: 2 }) as Record<string, unknown>;
    expect(r).toMatchObject({ total_excluded: 176.99, total_included: 200 });
    expect((r.taxes as Array<{ amount: number }>)[0]!.amount).toBeCloseTo(23.01, 10);
  });

  it('the seed makes VAT 13% (incl.) the shop default and the parts tax', () => {
    const env = orm.sudoEnv();
    expect(env.model('res.company').read([1], ['account_sale_tax_id'])[0]).toEqual({ id: 1, account_sale_tax_id: [incl, 'VAT 13% (incl.)'] });
    const products = env.model('product.product').searchRead([], ['default_code', 'taxes_id', 'detailed_type']);
    expect(products.every((p) => JSON.stringify(p.taxes_id) === JSON.stringify([incl]))).toBe(true);
    expect(products.find((p) => p.default_code === 'LAB-H')).toMatchObject({ detailed_type: 'service' });
  });
});
