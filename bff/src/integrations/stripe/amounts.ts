/**
 * Stripe's "smallest currency unit" is not always the currency's minor unit as Odoo has it: zero-decimal currencies
 * (JPY, KRW, …) are whole units at Stripe, three-decimal ones (BHD, KWD, …) have three. Our amounts are integer minor
 * units with the decimals from Odoo; these convert exactly or refuse.
 */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

export function stripeExponent(currency: string): number {
  const c = currency.toUpperCase();
  return ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
}

export class StripeAmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeAmountError';
  }
}

function rescale(amount: number, from: number, to: number): number {
  if (to >= from) return amount * 10 ** (to - from);
  const f = 10 ** (from - to);
  if (amount % f !== 0) throw new StripeAmountError(`${amount} (10^-${from}) has no exact value in 10^-${to} units`);
  return amount / f;
}

/** Our minor units (Odoo's `decimals`) → Stripe's amount. */
export const toStripeAmount = (minor: number, decimals: number, currency: string): number => rescale(minor, decimals, stripeExponent(currency));
/** Stripe's amount → our minor units. */
export const fromStripeAmount = (amount: number, decimals: number, currency: string): number => rescale(amount, stripeExponent(currency), decimals);
