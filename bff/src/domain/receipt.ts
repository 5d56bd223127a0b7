/**
 * Whether a provider's verified "money received" can be a ledger row at all (a charge or suspense): a transaction id,
 * a positive integer amount of minor units, an ISO 4217 currency. Anything else is a permanent oddity — the provider
 * would send the same bytes again — so it is quarantined, not refused (issue 15).
 */

// ISO 4217 codes the runtime knows (Node 20: Intl.supportedValuesOf), plus the few it may leave out that a provider
// could still use; a code outside this set is not a currency the ledger can hold.
const CURRENCIES: ReadonlySet<string> = new Set([...(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('currency') : []), 'CNY', 'USD', 'EUR', 'HKD', 'JPY', 'GBP']);

export function isKnownCurrency(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}

export interface ReceiptFields {
  txnId: unknown;
  outTradeNo: unknown;
  amount: unknown;
  currency: unknown;
}

/** Why the ledger can't take this receipt, or null when it can (it may still be suspense: that is the ledger's call). */
export function receiptDefect(r: ReceiptFields): string | null {
  if (typeof r.txnId !== 'string' || r.txnId.trim() === '' || r.txnId.length > 100) return `transaction id ${describe(r.txnId)} is not usable`;
  if (typeof r.outTradeNo !== 'string' || r.outTradeNo.length > 100) return `out_trade_no ${describe(r.outTradeNo)} is not a string`;
  if (typeof r.amount !== 'number' || !Number.isSafeInteger(r.amount)) return `amount ${describe(r.amount)} is not an integer of minor units`;
  if (r.amount <= 0) return `amount ${r.amount} is not positive`;
  if (!isKnownCurrency(r.currency)) return `currency ${describe(r.currency)} is not an ISO 4217 code`;
  return null;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (typeof v === 'number') return String(v);
  if (v === undefined) return '(missing)';
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 40);
  } catch {
    return typeof v;
  }
}
