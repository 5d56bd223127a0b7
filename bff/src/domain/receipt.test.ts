import { isKnownCurrency, receiptDefect } from './receipt';

const ok = { txnId: '4200001234', outTradeNo: 'WO7-abc123', amount: 15000, currency: 'CNY' };

describe(receiptDefect.name, () => {
  it('accepts a transaction id, an out_trade_no, a positive integer amount and an ISO 4217 currency', () => {
    expect(receiptDefect(ok)).toBeNull();
    expect(receiptDefect({ ...ok, currency: 'JPY', amount: 1 })).toBeNull();
    // an unknown order is the ledger's business (suspense), not a defect
    expect(receiptDefect({ ...ok, outTradeNo: '' })).toBeNull();
  });

  it.each([
    ['zero amount', { amount: 0 }, /amount 0 is not positive/],
    ['negative amount', { amount: -100 }, /amount -100 is not positive/],
    ['fraction', { amount: 100.5 }, /not an integer/],
    ['beyond 2^53', { amount: 2 ** 53 }, /not an integer/],
    ['infinite', { amount: Infinity }, /not an integer/],
    ['string amount', { amount: '100' }, /not an integer/],
    ['missing amount', { amount: undefined }, /amount \(missing\)/],
    ['lower-case currency', { currency: 'cny' }, /currency "cny"/],
    ['made-up currency', { currency: 'ABC' }, /not an ISO 4217 code/],
    ['missing currency', { currency: undefined }, /currency \(missing\)/],
    ['no transaction id', { txnId: undefined }, /transaction id/],
    ['blank transaction id', { txnId: '  ' }, /transaction id/],
    ['out_trade_no not a string', { outTradeNo: 42 }, /out_trade_no 42/],
  ])('names the defect: %s', (_label, over, message) => {
    expect(receiptDefect({ ...ok, ...over })).toMatch(message);
  });
});

describe(isKnownCurrency.name, () => {
  it('knows ISO 4217 codes and nothing else', () => {
    for (const c of ['CNY', 'USD', 'EUR', 'JPY', 'KWD']) expect(isKnownCurrency(c)).toBe(true);
    for (const c of ['XYZ', 'cny', 'CN', 'CNYY', '', null, 156]) expect(isKnownCurrency(c)).toBe(false);
  });
});
