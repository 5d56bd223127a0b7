import type { LedgerChannel, LedgerKind } from '../domain/ledger-hash';
import type { Db } from './db';
import { CREATED_AT_TEXT } from './ledger';

/**
 * Read-only queries over the ledger for payment history and the payments report. Writes stay in ledger.ts.
 * Days are the shop's (`AT TIME ZONE`, DESIGN.md §4): Odoo's read_group uses the same zone, so both sides agree on the
 * day of a payment. Migration 0010 indexes (shop_id, seq) for the history and (shop_id, created_at) for the report.
 */

export interface HistoryFilter {
  /** Staff: one shop. Unset for customers (their work orders may be in any shop). */
  shopId?: number;
  /** Customers: their own work orders only (an empty list matches nothing). */
  workOrderIds?: number[];
  workOrderId?: number;
  channels?: LedgerChannel[];
  kinds?: LedgerKind[];
  /** [from, to) in UTC. */
  fromUtc?: Date;
  toUtc?: Date;
  /** Keyset: rows with seq below this (newest first). */
  beforeSeq?: number;
}

export interface HistoryRow {
  seq: number;
  /** UTC, microseconds, as stored. */
  createdAt: string;
  kind: LedgerKind;
  channel: LedgerChannel;
  amount: number;
  currency: string;
  shopId: number;
  workOrderId: number | null;
  ref: string;
  providerTxnId: string | null;
  providerRefundId: string | null;
  outTradeNo: string | null;
  actor: string;
  reason: string | null;
}

export interface DayChannelTotals {
  /** YYYY-MM-DD in the shop's time zone. */
  day: string;
  channel: LedgerChannel;
  currency: string;
  chargesCount: number;
  chargesAmount: number;
  refundsCount: number;
  /** Positive: money paid back. */
  refundsAmount: number;
  /** Positive: charges taken back by a reversal row. */
  reversalsAmount: number;
  /** Net of suspense rows (received − released); not part of `net`. */
  suspenseAmount: number;
}

export const HISTORY_MAX_LIMIT = 100;

const safe = (v: string | number): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`ledger total ${v} is outside the safe integer range`);
  return n;
};

export class PaymentQueries {
  constructor(private readonly db: Db) {}

  /** Newest first; fetches `limit + 1` so the caller knows whether another page follows. */
  async history(f: HistoryFilter, limit: number): Promise<{ rows: HistoryRow[]; more: boolean }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) throw new RangeError(`limit must be 1..${HISTORY_MAX_LIMIT}`);
    if (f.workOrderIds && f.workOrderIds.length === 0) return { rows: [], more: false };
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.shopId !== undefined) where.push(`l.shop_id = ${p(f.shopId)}`);
    if (f.workOrderIds) where.push(`l.work_order_id = ANY(${p(f.workOrderIds)}::int[])`);
    if (f.workOrderId !== undefined) where.push(`l.work_order_id = ${p(f.workOrderId)}`);
    if (f.channels?.length) where.push(`l.channel = ANY(${p(f.channels)}::text[])`);
    if (f.kinds?.length) where.push(`l.kind = ANY(${p(f.kinds)}::text[])`);
    if (f.fromUtc) where.push(`l.created_at >= ${p(f.fromUtc.toISOString())}::timestamptz`);
    if (f.toUtc) where.push(`l.created_at < ${p(f.toUtc.toISOString())}::timestamptz`);
    if (f.beforeSeq !== undefined) where.push(`l.seq < ${p(f.beforeSeq)}`);
    const { rows } = await this.db.query<{
      seq: number;
      created_at: string;
      kind: LedgerKind;
      channel: LedgerChannel;
      amount: number;
      currency: string;
      shop_id: number;
      work_order_id: number | null;
      ref: string;
      provider_txn_id: string | null;
      provider_refund_id: string | null;
      out_trade_no: string | null;
      actor: string;
      reason: string | null;
    }>(
      `SELECT l.seq, ${CREATED_AT_TEXT.replace('created_at', 'l.created_at')} AS created_at, l.kind, l.channel, l.amount, l.currency,
              l.shop_id, l.work_order_id, l.ref, l.provider_txn_id, l.provider_refund_id, o.out_trade_no, l.actor, l.reason
         FROM ledger_entries l
         LEFT JOIN payment_orders o ON o.id = l.payment_order_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY l.seq DESC
        LIMIT ${p(limit + 1)}`,
      params,
    );
    return {
      more: rows.length > limit,
      rows: rows.slice(0, limit).map((r) => ({
        seq: r.seq,
        createdAt: r.created_at,
        kind: r.kind,
        channel: r.channel,
        amount: r.amount,
        currency: r.currency,
        shopId: r.shop_id,
        workOrderId: r.work_order_id,
        ref: r.ref,
        providerTxnId: r.provider_txn_id,
        providerRefundId: r.provider_refund_id,
        outTradeNo: r.out_trade_no,
        actor: r.actor,
        reason: r.reason,
      })),
    };
  }

  /** Totals per shop-local day, channel and currency of the rows in [fromUtc, toUtc). */
  async dailyTotals(shopId: number, fromUtc: Date, toUtc: Date, tz: string): Promise<DayChannelTotals[]> {
    const { rows } = await this.db.query<{
      day: string;
      channel: LedgerChannel;
      currency: string;
      charges_count: number;
      charges_amount: string;
      refunds_count: number;
      refunds_amount: string;
      reversals_amount: string;
      suspense_amount: string;
    }>(
      `SELECT to_char(created_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, channel, currency,
              count(*) FILTER (WHERE kind = 'charge') AS charges_count,
              coalesce(sum(amount) FILTER (WHERE kind = 'charge'), 0)::text AS charges_amount,
              count(*) FILTER (WHERE kind = 'refund') AS refunds_count,
              coalesce(-sum(amount) FILTER (WHERE kind = 'refund'), 0)::text AS refunds_amount,
              coalesce(-sum(amount) FILTER (WHERE kind = 'reversal'), 0)::text AS reversals_amount,
              coalesce(sum(amount) FILTER (WHERE kind = 'suspense'), 0)::text AS suspense_amount
         FROM ledger_entries
        WHERE shop_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3`,
      [shopId, fromUtc.toISOString(), toUtc.toISOString(), tz],
    );
    return rows.map((r) => ({
      day: r.day,
      channel: r.channel,
      currency: r.currency.trim(),
      chargesCount: safe(r.charges_count),
      chargesAmount: safe(r.charges_amount),
      refundsCount: safe(r.refunds_count),
      refundsAmount: safe(r.refunds_amount),
      reversalsAmount: safe(r.reversals_amount),
      suspenseAmount: safe(r.suspense_amount),
    }));
  }
}
