import type { LedgerChannel } from '../domain/ledger-hash';
import type { Db } from './db';

/**
 * Refund requests (migration 0007): what a manager asked to pay back. Mutable; the money is the ledger's refund row,
 * written when the provider confirms. `pending` (the provider call is not known to have happened) and `processing`
 * (the provider accepted it; the outcome comes by notification or query) are "in flight": their amounts are no longer
 * refundable.
 */

export type RefundState = 'pending' | 'processing' | 'succeeded' | 'failed';
export type RefundKind = 'work_order' | 'suspense';

export interface RefundRequest {
  id: number;
  outRefundNo: string;
  kind: RefundKind;
  workOrderId: number | null;
  shopId: number;
  warehouseId: number;
  channel: LedgerChannel;
  merchantAccount: string;
  sourceSeq: number;
  providerTxnId: string;
  amount: number;
  creditAmount: number;
  currency: string;
  reason: string;
  state: RefundState;
  providerRefundId: string | null;
  providerStatus: string | null;
  ledgerSeq: number | null;
  requestedBy: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

/** What a manager's request fixes; the rest (state, provider replies, attempts, times) the store keeps. */
export type CreateRefundInput = Pick<
  RefundRequest,
  | 'outRefundNo'
  | 'kind'
  | 'workOrderId'
  | 'shopId'
  | 'warehouseId'
  | 'channel'
  | 'merchantAccount'
  | 'sourceSeq'
  | 'providerTxnId'
  | 'amount'
  | 'creditAmount'
  | 'currency'
  | 'reason'
  | 'requestedBy'
>;

interface Row {
  id: number;
  out_refund_no: string;
  kind: RefundKind;
  work_order_id: number | null;
  shop_id: number;
  warehouse_id: number;
  channel: LedgerChannel;
  merchant_account: string;
  source_seq: number;
  provider_txn_id: string;
  amount: number;
  credit_amount: number;
  currency: string;
  reason: string;
  state: RefundState;
  provider_refund_id: string | null;
  provider_status: string | null;
  ledger_seq: number | null;
  requested_by: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

const toRefund = (r: Row): RefundRequest => ({
  id: r.id,
  outRefundNo: r.out_refund_no,
  kind: r.kind,
  workOrderId: r.work_order_id,
  shopId: r.shop_id,
  warehouseId: r.warehouse_id,
  channel: r.channel,
  merchantAccount: r.merchant_account,
  sourceSeq: r.source_seq,
  providerTxnId: r.provider_txn_id,
  amount: r.amount,
  creditAmount: r.credit_amount,
  currency: r.currency,
  reason: r.reason,
  state: r.state,
  providerRefundId: r.provider_refund_id,
  providerStatus: r.provider_status,
  ledgerSeq: r.ledger_seq,
  requestedBy: r.requested_by,
  attempts: r.attempts,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  completedAt: r.completed_at,
});

const COLUMNS = `id, out_refund_no, kind, work_order_id, shop_id, warehouse_id, channel, merchant_account, source_seq, provider_txn_id,
  amount, credit_amount, currency, reason, state, provider_refund_id, provider_status, ledger_seq, requested_by, attempts, last_error,
  created_at, updated_at, completed_at`;
const IN_FLIGHT = `state IN ('pending', 'processing')`;
const clip = (s: string | null): string | null => (s === null ? null : s.slice(0, 2000));

export class RefundRequestRepository {
  constructor(private readonly db: Db) {}

  /** Creates the request, or returns the one with this out_refund_no (`created: false`). */
  async create(tx: Db, input: CreateRefundInput): Promise<{ refund: RefundRequest; created: boolean }> {
    const { rows } = await tx.query<Row>(
      `INSERT INTO refund_requests (out_refund_no, kind, work_order_id, shop_id, warehouse_id, channel, merchant_account, source_seq,
         provider_txn_id, amount, credit_amount, currency, reason, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (out_refund_no) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        input.outRefundNo,
        input.kind,
        input.workOrderId,
        input.shopId,
        input.warehouseId,
        input.channel,
        input.merchantAccount,
        input.sourceSeq,
        input.providerTxnId,
        input.amount,
        input.creditAmount,
        input.currency,
        input.reason,
        input.requestedBy,
      ],
    );
    if (rows[0]) return { refund: toRefund(rows[0]), created: true };
    const existing = await this.getByOutRefundNo(input.outRefundNo, tx);
    if (!existing) throw new Error(`refund ${input.outRefundNo} neither inserted nor found`);
    return { refund: existing, created: false };
  }

  async get(id: number, q: Db = this.db): Promise<RefundRequest | undefined> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE id = $1`, [id]);
    return rows[0] && toRefund(rows[0]);
  }

  async getByOutRefundNo(outRefundNo: string, q: Db = this.db): Promise<RefundRequest | undefined> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE out_refund_no = $1`, [outRefundNo]);
    return rows[0] && toRefund(rows[0]);
  }

  /** Row-locks the request for the transaction (two notifications of one refund record it once). */
  async lock(tx: Db, outRefundNo: string): Promise<RefundRequest | undefined> {
    const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE out_refund_no = $1 FOR UPDATE`, [outRefundNo]);
    return rows[0] && toRefund(rows[0]);
  }

  async getByProviderRefundId(channel: LedgerChannel, providerRefundId: string, q: Db = this.db): Promise<RefundRequest | undefined> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE channel = $1 AND provider_refund_id = $2`, [channel, providerRefundId]);
    return rows[0] && toRefund(rows[0]);
  }

  async getByLedgerSeq(seq: number, q: Db = this.db): Promise<RefundRequest | undefined> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE ledger_seq = $1`, [seq]);
    return rows[0] && toRefund(rows[0]);
  }

  async listByWorkOrder(workOrderId: number, q: Db = this.db): Promise<RefundRequest[]> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE work_order_id = $1 ORDER BY id`, [workOrderId]);
    return rows.map(toRefund);
  }

  async listBySource(sourceSeq: number, q: Db = this.db): Promise<RefundRequest[]> {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM refund_requests WHERE source_seq = $1 ORDER BY id`, [sourceSeq]);
    return rows.map(toRefund);
  }

  /** In-flight amount and credit of a work order (minor units), per currency. Read under the work order's lock. */
  async inFlight(workOrderId: number, currency: string, q: Db = this.db): Promise<{ amount: number; credit: number }> {
    const { rows } = await q.query<{ amount: string | null; credit: string | null }>(
      `SELECT sum(amount)::text AS amount, sum(credit_amount)::text AS credit FROM refund_requests
        WHERE work_order_id = $1 AND currency = $2 AND ${IN_FLIGHT}`,
      [workOrderId, currency],
    );
    return { amount: Number(rows[0]?.amount ?? 0), credit: Number(rows[0]?.credit ?? 0) };
  }

  /** The credit parts of a work order's completed refunds (what lowered its price). */
  async credited(workOrderId: number, currency: string, q: Db = this.db): Promise<number> {
    const { rows } = await q.query<{ credit: string | null }>(
      `SELECT sum(credit_amount)::text AS credit FROM refund_requests WHERE work_order_id = $1 AND currency = $2 AND state = 'succeeded'`,
      [workOrderId, currency],
    );
    return Number(rows[0]?.credit ?? 0);
  }

  /** The provider accepted it; the outcome comes later. */
  async markProcessing(outRefundNo: string, providerRefundId: string | null, status: string, q: Db = this.db): Promise<boolean> {
    const r = await q.query(
      `UPDATE refund_requests SET state = 'processing', provider_refund_id = coalesce($2, provider_refund_id), provider_status = $3,
              attempts = attempts + 1, last_error = NULL, updated_at = now()
        WHERE out_refund_no = $1 AND state IN ('pending', 'processing')`,
      [outRefundNo, providerRefundId, status],
    );
    return r.rowCount === 1;
  }

  /** Confirmed: linked to its ledger row, in the ledger append's transaction. */
  async markSucceeded(tx: Db, outRefundNo: string, opts: { ledgerSeq: number; providerRefundId: string; status: string }): Promise<boolean> {
    const r = await tx.query(
      `UPDATE refund_requests SET state = 'succeeded', ledger_seq = $2, provider_refund_id = $3, provider_status = $4,
              completed_at = now(), updated_at = now(), last_error = NULL
        WHERE out_refund_no = $1 AND state <> 'succeeded'`,
      [outRefundNo, opts.ledgerSeq, opts.providerRefundId, opts.status],
    );
    return r.rowCount === 1;
  }

  /** The provider refused or closed it: no money moved, the amount is refundable again. */
  async markFailed(outRefundNo: string, error: string, status: string | null, q: Db = this.db): Promise<boolean> {
    const r = await q.query(
      `UPDATE refund_requests SET state = 'failed', last_error = $2, provider_status = coalesce($3, provider_status), completed_at = now(), updated_at = now()
        WHERE out_refund_no = $1 AND state IN ('pending', 'processing')`,
      [outRefundNo, clip(error), status],
    );
    return r.rowCount === 1;
  }

  /** A provider call whose outcome is unknown (timeout, 5xx): stays pending for the reconciler. */
  async recordAttempt(outRefundNo: string, error: string, q: Db = this.db): Promise<void> {
    await q.query(`UPDATE refund_requests SET attempts = attempts + 1, last_error = $2, updated_at = now() WHERE out_refund_no = $1 AND state = 'pending'`, [
      outRefundNo,
      clip(error),
    ]);
  }

  /** In flight for longer than `ageMs` (database clock), oldest first: the reconciler asks the provider. */
  async listInFlight(ageMs: number, limit = 200): Promise<RefundRequest[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM refund_requests WHERE ${IN_FLIGHT} AND created_at <= now() - $1::double precision * interval '1 millisecond'
        ORDER BY created_at, id LIMIT $2`,
      [ageMs, Math.min(limit, 1000)],
    );
    return rows.map(toRefund);
  }
}
