/** The stored computes of drmoto.work.order that follow its quotes (confirmed_quote_id, amounts, amount_due). */
import type { Env } from '../orm/orm';
import type { Row } from '../orm/types';
import { monetaryColumn } from './account-tax';
import { QUOTE, WO } from './drmoto-wo-common';

export function quotesOf(env: Env, woId: number): Row[] {
  return env
    .model(QUOTE)
    .sudo()
    .allRows()
    .filter((q) => q.work_order_id === woId)
    .sort((a, b) => Number(a.version) - Number(b.version));
}

/** the highest version (current_quote_id) */
export function latestQuote(env: Env, woId: number): Row | undefined {
  const qs = quotesOf(env, woId);
  return qs[qs.length - 1];
}

/** the highest confirmed version (confirmed_quote_id) */
export function confirmedQuote(env: Env, woId: number): Row | undefined {
  return quotesOf(env, woId)
    .filter((q) => q.state === 'confirmed')
    .pop();
}

export function woRounding(env: Env, wo: Row): number {
  const company = env.model('res.company').sudo().row(wo.company_id as number);
  const cur = company ? env.model('res.currency').sudo().row(company.currency_id as number) : undefined;
  return cur ? Number(cur.rounding) : 0.01;
}

/** amount_due = amount_total − amount_credited − amount_paid (the net price less net paid; < 0: money held) */
export function amountDue(env: Env, wo: Row): number {
  const due = monetaryColumn(Number(wo.amount_total ?? 0) - Number(wo.amount_credited ?? 0) - Number(wo.amount_paid ?? 0), woRounding(env, wo));
  return due === 0 ? 0 : due;
}

/** Recompute the stored fields in place: a recompute is not a write(), so it doesn't bump the revision. */
export function recomputeWorkOrder(env: Env, woId: number): void {
  const wo = env.model(WO).sudo().row(woId);
  if (!wo) return;
  const confirmed = confirmedQuote(env, woId);
  wo.confirmed_quote_id = confirmed ? confirmed.id : null;
  wo.amount_untaxed = confirmed ? Number(confirmed.amount_untaxed ?? 0) : 0;
  wo.amount_tax = confirmed ? Number(confirmed.amount_tax ?? 0) : 0;
  wo.amount_total = confirmed ? Number(confirmed.amount_total ?? 0) : 0;
  wo.amount_due = amountDue(env, wo);
}
