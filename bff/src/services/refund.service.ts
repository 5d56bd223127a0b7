import { createHash } from 'node:crypto';
import { payloadHash } from '../domain/ledger-hash';
import { principalKey, type Principal } from '../domain/principal';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { fromStripeAmount, toStripeAmount } from '../integrations/stripe/amounts';
import { StripeCallError, type StripeClient, type StripeRefund } from '../integrations/stripe/client';
import type { WechatPayClient } from '../integrations/wechatpay/client';
import { WechatPayError } from '../integrations/wechatpay/errors';
import type { WechatPayRefundNotice } from '../integrations/wechatpay/types';
import type { AuditRepository } from '../store/audit';
import type { Db } from '../store/db';
import type { LedgerEntry, LedgerRepository } from '../store/ledger';
import type { SettlementOutboxRepository } from '../store/outbox';
import type { RefundRequest, RefundRequestRepository } from '../store/refund-requests';
import { lockWorkOrder } from '../store/work-order-lock';
import type { BalanceService } from './balance.service';
import type { SettlementService } from './settlement.service';

export interface RefundView {
  id: number;
  out_refund_no: string;
  work_order_id: number | null;
  channel: string;
  payment_seq: number;
  amount: number;
  credit_amount: number;
  currency: string;
  reason: string;
  status: RefundRequest['state'];
  provider_refund_id: string | null;
  ledger_seq: number | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
}

export const refundView = (r: RefundRequest): RefundView => ({
  id: r.id,
  out_refund_no: r.outRefundNo,
  work_order_id: r.workOrderId,
  channel: r.channel,
  payment_seq: r.sourceSeq,
  amount: r.amount,
  credit_amount: r.creditAmount,
  currency: r.currency,
  reason: r.reason,
  status: r.state,
  provider_refund_id: r.providerRefundId,
  ledger_seq: r.ledgerSeq,
  error: r.state === 'failed' ? r.lastError : null,
  created_at: r.createdAt.toISOString(),
  completed_at: r.completedAt?.toISOString() ?? null,
});

export interface RefundInput {
  /** Minor units. */
  amount: number;
  reason: string;
  /** The ledger seq of the charge to refund; default the latest charge that covers the amount. */
  payment_seq?: number;
}

/** A provider's confirmation of a refund, from a notification, a query or the refund call's own answer. */
interface Confirmation {
  providerRefundId: string;
  /** Minor units actually refunded (the provider's figure is the truth). */
  amount: number;
  status: string;
  actor: string;
  hash: string;
  eventId?: string;
}

/**
 * Refunds on every channel (DESIGN.md §9; docs/odoo-contract.md "What a refund means"): a manager's request is checked
 * under the work order's lock against what was paid less what is refunded or in flight, split into returned
 * overpayment and price reduction, stored with a deterministic out_refund_no and sent on the channel of the payment it
 * returns. The ledger row is written when the provider confirms (offline: at once), keyed by the refund id, with its
 * settlement outbox row; Odoo then registers it (credit note + outbound payment).
 */
export class RefundService {
  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerRepository,
    private readonly outbox: SettlementOutboxRepository,
    private readonly refunds: RefundRequestRepository,
    private readonly audit: AuditRepository,
    private readonly balance: BalanceService,
    private readonly settlement: SettlementService,
    private readonly logger: Logger,
    private readonly wxpay?: { client: WechatPayClient },
    private readonly stripe?: { client: StripeClient; decimalsOf: (shopId: number) => Promise<number> },
  ) {}

  /** `RF<work order>-<24 hex>`: the same principal, work order and Idempotency-Key always give the same number. */
  static outRefundNo(p: Principal, target: string, key: string): string {
    return `RF${target}-${createHash('sha256').update(`${principalKey(p)}|${target}|${key}`).digest('hex').slice(0, 24)}`;
  }

  async request(p: Principal, workOrderId: number, input: RefundInput, key: string, traceId?: string): Promise<{ refund: RefundView; created: boolean }> {
    if (p.kind !== 'staff' || !p.roles.includes('manager')) throw new AppError('forbidden', 'Only a manager refunds.');
    const { wo, shop, total } = await this.balance.workOrderMoney(workOrderId, p);
    const currency = shop.currency.code;
    const outRefundNo = RefundService.outRefundNo(p, String(workOrderId), key);

    const { refund, created } = await this.db.transaction(async (tx) => {
      await lockWorkOrder(tx, workOrderId);
      const existing = await this.refunds.getByOutRefundNo(outRefundNo, tx);
      if (existing) return { refund: existing, created: false };
      const bal = await this.balance.balance(workOrderId, total, currency, tx);
      const flight = await this.refunds.inFlight(workOrderId, currency, tx);
      const refundable = bal.netPaid - flight.amount;
      if (input.amount > refundable) {
        throw new AppError('conflict', `${input.amount} is more than the ${Math.max(refundable, 0)} that can be refunded (paid less refunded and in flight, minor units ${currency}).`, {
          code: 'REFUND_EXCEEDS_PAID',
          details: { refundable: Math.max(refundable, 0), currency },
        });
      }
      const source = await this.pickSource(tx, workOrderId, currency, input);
      // Returned overpayment first (what the shop holds beyond the price), the rest lowers the price (a credit note).
      const held = bal.netPaid - flight.amount - (total - bal.credited - flight.credit);
      const returned = Math.min(input.amount, Math.max(0, held));
      const r = await this.refunds.create(tx, {
        outRefundNo,
        kind: 'work_order',
        workOrderId,
        shopId: source.charge.shopId,
        warehouseId: source.charge.warehouseId || (wo.warehouse_id ?? 0),
        channel: source.charge.channel,
        merchantAccount: source.charge.merchantAccount,
        sourceSeq: source.charge.seq,
        providerTxnId: source.txnId,
        amount: input.amount,
        creditAmount: input.amount - returned,
        currency,
        reason: input.reason,
        requestedBy: principalKey(p),
      });
      await this.audit.record(
        {
          action: 'refund.requested',
          traceId,
          actorKind: 'staff',
          actorId: String(p.uid),
          target: `work_order:${workOrderId}`,
          detail: { out_refund_no: outRefundNo, amount: input.amount, credit_amount: input.amount - returned, currency, channel: source.charge.channel, payment_seq: source.charge.seq, reason: input.reason },
        },
        tx,
      );
      return r;
    });
    const done = refund.state === 'pending' ? await this.execute(refund) : refund;
    if (done.state === 'failed' && created) {
      throw new AppError('conflict', `The provider refused the refund: ${done.lastError ?? 'refused'}.`, { code: 'REFUND_REFUSED', details: { refund: refundView(done) } });
    }
    return { refund: refundView(done), created };
  }

  /** The charge the refund goes back through, and its provider transaction. */
  private async pickSource(tx: Db, workOrderId: number, currency: string, input: RefundInput): Promise<{ charge: LedgerEntry; txnId: string }> {
    const charges = (await this.ledger.listByWorkOrder(workOrderId, tx)).filter((e) => e.kind === 'charge' && e.currency === currency);
    const remaining = async (c: LedgerEntry): Promise<number> => {
      const used = (await this.refunds.listBySource(c.seq, tx)).filter((r) => r.state !== 'failed').reduce((a, r) => a + r.amount, 0);
      return c.amount - used;
    };
    let charge: LedgerEntry | undefined;
    if (input.payment_seq !== undefined) {
      charge = charges.find((c) => c.seq === input.payment_seq);
      if (!charge) throw new AppError('unprocessable', `Ledger entry ${input.payment_seq} is not a payment of this work order.`, { code: 'NOT_A_PAYMENT' });
      const left = await remaining(charge);
      if (input.amount > left) throw new AppError('conflict', `Payment ${charge.seq} has ${left} left to refund.`, { code: 'REFUND_EXCEEDS_PAYMENT', details: { refundable: left, currency } });
    } else {
      const options: Array<{ seq: number; channel: string; refundable: number }> = [];
      for (const c of [...charges].reverse()) {
        const left = await remaining(c);
        options.push({ seq: c.seq, channel: c.channel, refundable: left });
        if (!charge && left >= input.amount) charge = c;
      }
      if (!charge) {
        throw new AppError('conflict', 'No single payment covers this amount: refund it in parts, one per payment (payment_seq).', { code: 'REFUND_SPLIT_NEEDED', details: { payments: options } });
      }
    }
    // A charge that applied a suspense row carries no transaction of its own: the money came with the suspense row.
    let txnId = charge.providerTxnId;
    if (!txnId && charge.sourceSeq !== null) txnId = (await this.ledger.get(charge.sourceSeq, tx))?.providerTxnId ?? null;
    if (!txnId) throw new AppError('unprocessable', `Payment ${charge.seq} has no provider transaction to refund.`, { code: 'NOT_REFUNDABLE' });
    return { charge, txnId };
  }

  /** Sends a pending request to its channel; returns it as it is afterwards. Safe to repeat (out_refund_no). */
  async execute(r: RefundRequest): Promise<RefundRequest> {
    if (r.state !== 'pending') return r;
    if (r.channel === 'offline') {
      // Counter money goes back over the counter: done when the manager says so.
      await this.confirm(r, { providerRefundId: r.outRefundNo, amount: r.amount, status: 'SUCCESS', actor: r.requestedBy, hash: payloadHash(JSON.stringify({ out_refund_no: r.outRefundNo, amount: r.amount })) });
    } else if (r.channel === 'wechat') {
      await this.executeWechat(r);
    } else if (r.channel === 'stripe' && this.stripe) {
      await this.executeStripe(r);
    } else {
      await this.refunds.recordAttempt(r.outRefundNo, `channel ${r.channel} refunds are not available on this server`);
    }
    return (await this.refunds.getByOutRefundNo(r.outRefundNo))!;
  }

  private async executeWechat(r: RefundRequest): Promise<void> {
    if (!this.wxpay) {
      await this.refunds.recordAttempt(r.outRefundNo, 'WeChat Pay is not configured');
      return;
    }
    const source = await this.ledger.get(r.sourceSeq);
    try {
      const res = await this.wxpay.client.refund({
        outRefundNo: r.outRefundNo,
        transactionId: r.providerTxnId,
        amount: { refund: r.amount, total: source?.amount ?? r.amount, currency: r.currency },
        reason: r.reason.slice(0, 80),
      });
      await this.applyStatus(r, { refundId: res.refund_id, status: String(res.status), amount: res.amount.refund, hash: payloadHash(JSON.stringify(res)), actor: 'system:wechatpay-refund' });
    } catch (e) {
      if (e instanceof WechatPayError && e.kind === 'business') {
        await this.refunds.markFailed(r.outRefundNo, `${e.info.providerCode ?? e.code}: ${e.info.providerMessage ?? e.message}`, null);
        this.logger.warn('wechatpay refused a refund', { out_refund_no: r.outRefundNo, code: e.info.providerCode });
        return;
      }
      // Unknown outcome (timeout, 5xx, network): stays pending; repeating the same out_refund_no is safe.
      await this.refunds.recordAttempt(r.outRefundNo, e instanceof Error ? e.message : String(e));
      this.logger.warn('wechatpay refund outcome unknown; the reconciler retries', { out_refund_no: r.outRefundNo, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private async executeStripe(r: RefundRequest): Promise<void> {
    const { client, decimalsOf } = this.stripe!;
    try {
      const decimals = await decimalsOf(r.shopId);
      const re = await client.createRefund({
        paymentIntent: r.providerTxnId,
        amount: toStripeAmount(r.amount, decimals, r.currency),
        // Stripe replays the first answer for this key: a retry never refunds twice.
        idempotencyKey: r.outRefundNo,
        metadata: { out_refund_no: r.outRefundNo, ...(r.workOrderId ? { work_order_id: String(r.workOrderId) } : {}) },
      });
      await this.applyStripeRefund(r, re, 'system:stripe-refund', payloadHash(JSON.stringify(re)));
    } catch (e) {
      if (e instanceof StripeCallError && e.definitive) {
        await this.refunds.markFailed(r.outRefundNo, `${e.stripeCode ?? e.code}: ${e.message}`, null);
        return;
      }
      await this.refunds.recordAttempt(r.outRefundNo, e instanceof Error ? e.message : String(e));
      this.logger.warn('stripe refund outcome unknown; the reconciler retries', { out_refund_no: r.outRefundNo, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** A Stripe Refund object (the create call's answer, a refund event or a retrieve) applied to its request. */
  private async applyStripeRefund(r: RefundRequest, re: StripeRefund, actor: string, hash: string, eventId?: string): Promise<void> {
    const decimals = this.stripe ? await this.stripe.decimalsOf(r.shopId) : 2;
    const status = re.status === 'succeeded' ? 'SUCCESS' : re.status === 'failed' || re.status === 'canceled' ? 'CLOSED' : 'PROCESSING';
    await this.applyStatus(r, { refundId: re.id, status, amount: fromStripeAmount(re.amount, decimals, re.currency || r.currency), hash, actor, eventId });
  }

  /**
   * A verified Stripe refund (from refund.* / charge.refund.updated, or each refund of charge.refunded): found by its
   * out_refund_no metadata or its id — never by the charge, whose amount_refunded is cumulative.
   */
  async handleStripeRefund(re: StripeRefund, hash: string, eventId: string): Promise<'applied' | 'unknown'> {
    const no = re.metadata.out_refund_no;
    const r = (no ? await this.refunds.getByOutRefundNo(no) : undefined) ?? (await this.refunds.getByProviderRefundId('stripe', re.id));
    if (!r || r.channel !== 'stripe') {
      this.logger.error('ALERT stripe refund not requested through the BFF', { refund_id: re.id, payment_intent: re.paymentIntent, amount: re.amount, status: re.status });
      return 'unknown';
    }
    await this.applyStripeRefund(r, re, 'system:stripe-webhook', hash, eventId);
    return 'applied';
  }

  /** A status WeChat reported for a refund (call answer, query or notification). */
  private async applyStatus(r: RefundRequest, s: { refundId: string; status: string; amount: number; hash: string; actor: string; eventId?: string }): Promise<void> {
    if (s.status === 'SUCCESS') {
      await this.confirm(r, { providerRefundId: s.refundId, amount: s.amount, status: s.status, actor: s.actor, hash: s.hash, eventId: s.eventId });
    } else if (s.status === 'CLOSED' || s.status === 'ABNORMAL') {
      if (await this.refunds.markFailed(r.outRefundNo, `refund ${s.status}`, s.status)) {
        this.logger.error('ALERT refund did not complete', { out_refund_no: r.outRefundNo, status: s.status, work_order_id: r.workOrderId });
      }
    } else {
      await this.refunds.markProcessing(r.outRefundNo, s.refundId, s.status);
    }
  }

  /**
   * Records a confirmed refund exactly once: the ledger row keyed by the provider's refund id (negative amount), its
   * settlement outbox row, the request marked succeeded and a BFF audit entry, in one transaction. A second
   * confirmation (duplicate notification, query racing a notification) finds the request succeeded and does nothing.
   */
  private async confirm(r: RefundRequest, c: Confirmation): Promise<'recorded' | 'duplicate'> {
    const out = await this.db.transaction(async (tx) => {
      // The work order's money lock first (as a refund request takes it): a request checking "paid less refunded and in
      // flight" must not read the balance before this commit and the in-flight list after it.
      if (r.workOrderId != null) await lockWorkOrder(tx, r.workOrderId);
      const locked = await this.refunds.lock(tx, r.outRefundNo);
      if (!locked || locked.state === 'succeeded') return { outcome: 'duplicate' as const };
      if (c.amount !== locked.amount) {
        this.logger.error('ALERT refund amount differs from the request', { out_refund_no: r.outRefundNo, requested: locked.amount, refunded: c.amount });
      }
      const amount = c.amount > 0 ? c.amount : locked.amount;
      const isWo = locked.kind === 'work_order';
      const entry = await this.ledger.append(tx, {
        kind: isWo ? 'refund' : 'suspense',
        amount: -amount,
        currency: locked.currency,
        channel: locked.channel,
        providerRefundId: c.providerRefundId,
        providerEventId: c.eventId ?? null,
        sourceSeq: locked.sourceSeq,
        workOrderId: locked.workOrderId,
        shopId: locked.shopId,
        warehouseId: locked.warehouseId,
        merchantAccount: locked.merchantAccount,
        actor: c.actor,
        reason: locked.reason,
        payloadHash: c.hash,
      });
      await this.refunds.markSucceeded(tx, locked.outRefundNo, { ledgerSeq: entry.seq, providerRefundId: c.providerRefundId, status: c.status });
      const ob = isWo && entry.inserted ? await this.outbox.enqueue(tx, entry.seq, locked.workOrderId!, 'refund') : undefined;
      await this.audit.record(
        {
          action: 'refund.completed',
          actorKind: c.actor.startsWith('staff:') ? 'staff' : 'provider',
          actorId: c.actor,
          target: isWo ? `work_order:${locked.workOrderId}` : `suspense:${locked.sourceSeq}`,
          detail: { out_refund_no: locked.outRefundNo, ledger_seq: entry.seq, amount, credit_amount: locked.creditAmount, channel: locked.channel, provider_refund_id: c.providerRefundId },
        },
        tx,
      );
      return { outcome: 'recorded' as const, seq: entry.seq, outboxId: ob?.entry.id };
    });
    if (out.outcome === 'recorded') {
      this.logger.info('refund ledgered', { out_refund_no: r.outRefundNo, ledger_seq: out.seq, channel: r.channel });
      if (out.outboxId !== undefined) {
        await this.settlement.relay(out.outboxId);
      }
    }
    return out.outcome;
  }

  /** A verified REFUND.* notification. An unknown out_refund_no is money we did not ask to move: an alert, no row. */
  async handleWechatNotice(n: WechatPayRefundNotice, hash: string, eventId: string): Promise<void> {
    const r = await this.refunds.getByOutRefundNo(n.out_refund_no);
    if (!r || r.channel !== 'wechat') {
      this.logger.error('ALERT wechatpay refund notification for an unknown refund', { out_refund_no: n.out_refund_no, refund_id: n.refund_id, status: n.refund_status });
      return;
    }
    await this.applyStatus(r, { refundId: n.refund_id, status: String(n.refund_status), amount: n.amount.refund, hash, actor: 'system:wechatpay-notify', eventId });
  }

  /** The reconciler's refund half: pending requests are sent again, processing ones are asked about. */
  async reconcileInFlight(olderThanMs = 60_000): Promise<number> {
    let n = 0;
    for (const r of await this.refunds.listInFlight(olderThanMs)) {
      try {
        if (r.state === 'pending') await this.execute(r);
        else if (r.channel === 'stripe' && this.stripe && r.providerRefundId) {
          const re = await this.stripe.client.retrieveRefund(r.providerRefundId);
          await this.applyStripeRefund(r, re, 'system:reconciler', payloadHash(JSON.stringify(re)));
        } else if (r.channel === 'wechat' && this.wxpay) {
          const q = await this.wxpay.client.queryRefund(r.outRefundNo);
          if (q) await this.applyStatus(r, { refundId: q.refund_id, status: String(q.status), amount: q.amount.refund, hash: payloadHash(JSON.stringify(q)), actor: 'system:reconciler' });
        }
        n++;
      } catch (e) {
        this.logger.warn('refund reconciliation failed', { out_refund_no: r.outRefundNo, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return n;
  }

  async forWorkOrder(p: Principal, workOrderId: number): Promise<RefundView[]> {
    await this.balance.workOrderMoney(workOrderId, p);
    return (await this.refunds.listByWorkOrder(workOrderId)).map(refundView);
  }
}
