import { payloadHash } from '../domain/ledger-hash';
import { principalKey, type Principal } from '../domain/principal';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { AuditRepository } from '../store/audit';
import type { Db } from '../store/db';
import type { LedgerEntry, LedgerRepository } from '../store/ledger';
import type { SettlementOutboxRepository } from '../store/outbox';
import type { RefundRequestRepository } from '../store/refund-requests';
import { lockWorkOrder } from '../store/work-order-lock';
import type { BalanceService } from './balance.service';
import { ledgerView, type LedgerView } from './payment.service';
import { RefundService, refundView, type RefundView } from './refund.service';
import type { SettlementService } from './settlement.service';

// Classid for the per-suspense-row lock (pg_advisory_xact_lock(int, int)).
const SUSPENSE_LOCK_CLASS = 0x73757370; // 'susp'

export interface SuspenseItem {
  seq: number;
  at: string;
  channel: string;
  amount: number;
  currency: string;
  /** What is still held: amount − applied − refunded − refunds in flight. */
  open: number;
  applied: number;
  refunded: number;
  in_flight: number;
  work_order_id: number | null;
  provider_ref: string;
  reason: string | null;
}

/**
 * Money that arrived but could not be a work order's charge (wrong amount, unknown or already paid order, a late
 * payment): it sits in suspense until a manager applies it to a work order (a suspense −x row and a charge +x row, both
 * keyed `apply:<seq>`, with the charge's settlement outbox row) or refunds it on its channel. Each action is
 * ledgered and audited; a suspense row is applied at most once, in full.
 */
export class SuspenseService {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerRepository,
    private readonly outbox: SettlementOutboxRepository,
    private readonly refundRequests: RefundRequestRepository,
    private readonly audit: AuditRepository,
    private readonly balance: BalanceService,
    private readonly refunds: RefundService,
    private readonly settlement: SettlementService,
    private readonly logger: Logger,
  ) {}

  private async lock(tx: Db, seq: number): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || $2::text)) AS locked`, [SUSPENSE_LOCK_CLASS, seq]);
  }

  /** Suspense receipts with what is still open; `all` includes settled ones. */
  async list(opts: { all?: boolean } = {}, q: Db = this.db): Promise<SuspenseItem[]> {
    const { rows } = await q.query<{ seq: number }>(`SELECT seq FROM ledger_entries WHERE kind = 'suspense' AND amount > 0 ORDER BY seq DESC LIMIT 500`);
    const items: SuspenseItem[] = [];
    for (const { seq } of rows) {
      const item = await this.item(seq, q);
      if (item && (opts.all || item.open > 0)) items.push(item);
    }
    return items;
  }

  private async item(seq: number, q: Db = this.db): Promise<SuspenseItem | undefined> {
    const e = await this.ledger.get(seq, q);
    if (!e || e.kind !== 'suspense' || e.amount <= 0) return undefined;
    const { rows } = await q.query<{ applied: string | null; refunded: string | null }>(
      `SELECT sum(-amount) FILTER (WHERE ref = $2)::text AS applied,
              sum(-amount) FILTER (WHERE provider_refund_id IS NOT NULL)::text AS refunded
         FROM ledger_entries WHERE kind = 'suspense' AND amount < 0 AND source_seq = $1`,
      [seq, `apply:${seq}`],
    );
    const inFlight = (await this.refundRequests.listBySource(seq, q)).filter((r) => r.state === 'pending' || r.state === 'processing').reduce((a, r) => a + r.amount, 0);
    const applied = Number(rows[0]?.applied ?? 0);
    const refunded = Number(rows[0]?.refunded ?? 0);
    return {
      seq: e.seq,
      at: e.createdAt,
      channel: e.channel,
      amount: e.amount,
      currency: e.currency,
      open: e.amount - applied - refunded - inFlight,
      applied,
      refunded,
      in_flight: inFlight,
      work_order_id: e.workOrderId,
      provider_ref: e.ref,
      reason: e.reason,
    };
  }

  /** Applies the whole open amount of a suspense row to a work order as its charge. */
  async apply(p: Principal, seq: number, workOrderId: number, opts: { allowOverpayment?: boolean; traceId?: string } = {}): Promise<{ suspense: SuspenseItem; charge: LedgerView; replayed: boolean }> {
    if (p.kind !== 'staff' || !p.roles.includes('manager')) throw new AppError('forbidden', 'Only a manager applies suspense money.');
    const { wo, shop, total } = await this.balance.payable(workOrderId, p);
    const out = await this.db.transaction(async (tx) => {
      await lockWorkOrder(tx, workOrderId);
      await this.lock(tx, seq);
      const item = await this.item(seq, tx);
      if (!item) throw new AppError('not_found', `Suspense entry ${seq} not found.`);
      const existing = await this.ledger.findByRef(item.channel as LedgerEntry['channel'], `apply:${seq}`, true, tx);
      if (existing) {
        if (existing.workOrderId !== workOrderId) throw new AppError('conflict', `Suspense entry ${seq} was applied to work order ${existing.workOrderId}.`, { code: 'SUSPENSE_APPLIED' });
        return { item, charge: existing, inserted: false, outboxId: undefined };
      }
      if (item.currency !== shop.currency.code) throw new AppError('unprocessable', `Suspense entry ${seq} is in ${item.currency}, the work order in ${shop.currency.code}.`, { code: 'CURRENCY_MISMATCH' });
      if (item.applied > 0 || item.refunded > 0 || item.in_flight > 0 || item.open <= 0) {
        throw new AppError('conflict', `Suspense entry ${seq} is partly or wholly released (open ${item.open}); only a whole entry can be applied.`, { code: 'SUSPENSE_NOT_OPEN', details: { open: Math.max(item.open, 0) } });
      }
      const bal = await this.balance.balance(workOrderId, total, shop.currency.code, tx);
      if (!opts.allowOverpayment && item.open > bal.due) {
        throw new AppError('conflict', `${item.open} is more than the ${Math.max(bal.due, 0)} due; allow an overpayment to apply it anyway.`, { code: 'AMOUNT_EXCEEDS_DUE', details: { due: Math.max(bal.due, 0), currency: shop.currency.code } });
      }
      const source = (await this.ledger.get(seq, tx))!;
      const base = {
        currency: source.currency,
        channel: source.channel,
        sourceSeq: seq,
        merchantAccount: source.merchantAccount,
        shopId: shop.id,
        warehouseId: wo.warehouse_id ?? 0,
        actor: principalKey(p),
        payloadHash: payloadHash(JSON.stringify({ apply: seq, work_order_id: workOrderId })),
        reason: `suspense ${seq} applied to ${wo.name}`,
      };
      await this.ledger.append(tx, { ...base, kind: 'suspense', amount: -item.open, workOrderId: source.workOrderId });
      const charge = await this.ledger.append(tx, { ...base, kind: 'charge', amount: item.open, workOrderId });
      const ob = await this.outbox.enqueue(tx, charge.seq, workOrderId, 'charge');
      await this.audit.record(
        { action: 'suspense.applied', traceId: opts.traceId, actorKind: 'staff', actorId: String(p.uid), target: `work_order:${workOrderId}`, detail: { suspense_seq: seq, charge_seq: charge.seq, amount: item.open, currency: item.currency } },
        tx,
      );
      return { item, charge: charge.entry, inserted: true, outboxId: ob.entry.id };
    });
    if (out.outboxId !== undefined) {
      this.logger.info('suspense applied', { suspense_seq: seq, work_order_id: workOrderId, ledger_seq: out.charge.seq });
      await this.settlement.relay(out.outboxId, opts.traceId);
    }
    return { suspense: (await this.item(seq))!, charge: ledgerView(out.charge), replayed: !out.inserted };
  }

  /** Pays suspense money back on its channel (default: everything still open). */
  async refund(p: Principal, seq: number, input: { amount?: number; reason: string }, key: string, traceId?: string): Promise<RefundView> {
    if (p.kind !== 'staff' || !p.roles.includes('manager')) throw new AppError('forbidden', 'Only a manager refunds suspense money.');
    const outRefundNo = RefundService.outRefundNo(p, `S${seq}`, key);
    const refund = await this.db.transaction(async (tx) => {
      await this.lock(tx, seq);
      const known = await this.refundRequests.getByOutRefundNo(outRefundNo, tx);
      if (known) return known;
      const item = await this.item(seq, tx);
      if (!item) throw new AppError('not_found', `Suspense entry ${seq} not found.`);
      const amount = input.amount ?? item.open;
      if (amount <= 0 || amount > item.open) {
        throw new AppError('conflict', `${amount} is more than the ${Math.max(item.open, 0)} still held in suspense entry ${seq}.`, { code: 'REFUND_EXCEEDS_SUSPENSE', details: { open: Math.max(item.open, 0) } });
      }
      const source = (await this.ledger.get(seq, tx))!;
      if (!source.providerTxnId) throw new AppError('unprocessable', `Suspense entry ${seq} has no provider transaction to refund.`, { code: 'NOT_REFUNDABLE' });
      const r = await this.refundRequests.create(tx, {
        outRefundNo,
        kind: 'suspense',
        workOrderId: null,
        shopId: source.shopId,
        warehouseId: source.warehouseId,
        channel: source.channel,
        merchantAccount: source.merchantAccount,
        sourceSeq: seq,
        providerTxnId: source.providerTxnId,
        amount,
        creditAmount: 0,
        currency: source.currency,
        reason: input.reason,
        requestedBy: principalKey(p),
      });
      await this.audit.record(
        { action: 'suspense.refund_requested', traceId, actorKind: 'staff', actorId: String(p.uid), target: `suspense:${seq}`, detail: { out_refund_no: outRefundNo, amount, currency: source.currency, channel: source.channel, reason: input.reason } },
        tx,
      );
      return r.refund;
    });
    const done = await this.refunds.execute(refund);
    if (done.state === 'failed') throw new AppError('conflict', `The provider refused the refund: ${done.lastError ?? 'refused'}.`, { code: 'REFUND_REFUSED', details: { refund: refundView(done) } });
    return refundView(done);
  }
}
