import type { Principal } from '../domain/principal';
import { payloadHash } from '../domain/ledger-hash';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { IdentityGateway } from '../integrations/odoo/gateways';
import type { WorkOrderGateway } from '../integrations/odoo/work-orders';
import type { WechatPayClient } from '../integrations/wechatpay/client';
import type { WechatPayConfig } from '../integrations/wechatpay/config';
import type { RequestPaymentParams } from '../integrations/wechatpay/signing';
import type { WechatPayTransaction } from '../integrations/wechatpay/types';
import { receiptDefect } from '../domain/receipt';
import type { QuarantineRepository } from '../store/quarantine';
import type { LedgerEntry, LedgerRepository } from '../store/ledger';
import type { PaymentOrder, PaymentOrderRepository } from '../store/payment-orders';
import type { BalanceService } from './balance.service';
import type { SettlementService } from './settlement.service';

export interface PaymentOrderView {
  id: number;
  out_trade_no: string;
  work_order_id: number;
  channel: string;
  amount: number;
  currency: string;
  status: PaymentOrder['state'];
  expires_at: string;
  paid_at: string | null;
  created_at: string;
}

export interface LedgerView {
  seq: number;
  at: string;
  kind: string;
  channel: string;
  amount: number;
  currency: string;
  work_order_id: number | null;
  provider_ref: string;
  reason: string | null;
}

export function orderView(o: PaymentOrder): PaymentOrderView {
  return {
    id: o.id,
    out_trade_no: o.outTradeNo,
    work_order_id: o.workOrderId,
    channel: o.channel,
    amount: o.amount,
    currency: o.currency,
    status: o.state,
    expires_at: o.timeExpire.toISOString(),
    paid_at: o.paidAt?.toISOString() ?? null,
    created_at: o.createdAt.toISOString(),
  };
}

export function ledgerView(e: LedgerEntry): LedgerView {
  return { seq: e.seq, at: e.createdAt, kind: e.kind, channel: e.channel, amount: e.amount, currency: e.currency, work_order_id: e.workOrderId, provider_ref: e.ref, reason: e.reason };
}

export type RecordOutcome = 'charged' | 'duplicate' | 'suspense' | 'quarantined' | 'ignored';

/**
 * WeChat Pay for a work order: one open payment order per work order and channel, the amount from Odoo
 * (latest confirmed total) less what the LEDGER holds — never from the client — and notifications or
 * order queries recorded into the ledger exactly once.
 */
export class PaymentService {

  constructor(
    private readonly ledger: LedgerRepository,
    private readonly orders: PaymentOrderRepository,
    private readonly balance: BalanceService,
    private readonly settlement: SettlementService,
    private readonly wos: WorkOrderGateway,
    private readonly identities: IdentityGateway,
    private readonly quarantine: Pick<QuarantineRepository, 'record'>,
    private readonly logger: Logger,
    private readonly wxpay?: { client: WechatPayClient; cfg: WechatPayConfig },
  ) {}

  private get pay(): { client: WechatPayClient; cfg: WechatPayConfig } {
    if (!this.wxpay) throw new AppError('not_configured', 'WeChat Pay is not configured on this server.', { code: 'WECHATPAY_NOT_CONFIGURED', retryAfterS: 3600 });
    return this.wxpay;
  }

  async createWechatPayment(p: Principal, workOrderId: number): Promise<{ payment_order: PaymentOrderView; request_payment: RequestPaymentParams }> {
    if (p.kind !== 'customer' || !p.partnerId) throw new AppError('forbidden', 'Only the customer pays with WeChat.');
    const { client, cfg } = this.pay;
    const { due, currency, wo } = await this.balance.amountDue(workOrderId, p);
    const ident = await this.identities.openidOf(p.identityId);
    if (!ident) throw new AppError('unauthenticated', 'This login no longer exists.');

    const order = await this.orders.openFor(
      { workOrderId, shopId: wo.company_id ?? 0, warehouseId: wo.warehouse_id ?? 0, merchantAccount: cfg.mchid, channel: 'wechat', amount: due, currency, timeExpire: new Date(Date.now() + cfg.orderTtlS * 1000) },
      (open) => open.timeExpire.getTime() >= Date.now() + 60_000,
      async (open) => {
        // The amount due changed (a new confirmed version) or the order is about to expire: close it at WeChat first.
        const r = await client.close(open.outTradeNo);
        this.logger.info('payment order replaced', { out_trade_no: open.outTradeNo, old_amount: open.amount, new_amount: due, wechat: r });
        return 'expiring';
      },
    );
    let prepayId = order.providerOrderRef;
    if (!prepayId) {
      // Repeating a prepay with the same out_trade_no and parameters is idempotent at WeChat.
      const r = await client.prepayJsapi({
        outTradeNo: order.outTradeNo,
        description: `DrMoto ${wo.name}`.slice(0, 127),
        amount: { total: order.amount, currency: order.currency },
        payerOpenid: ident.openid,
        timeExpire: order.timeExpire,
        attach: String(workOrderId),
      });
      prepayId = r.prepayId;
      await this.orders.setProviderRef(order.outTradeNo, prepayId);
    }
    return { payment_order: orderView({ ...order, providerOrderRef: prepayId }), request_payment: client.requestPayment(prepayId) };
  }

  /**
   * Records a verified transaction (from a notification or an order query) exactly once: a charge for
   * a known open order with the right amount; suspense (money moved, to be applied or refunded by a
   * manager) for anything else; nothing for a duplicate. A success the ledger can't take (no transaction id, an amount
   * ≤ 0, an unknown currency) is quarantined once, and the order it names is retired: WeChat was paid for it.
   */
  async recordTransaction(t: WechatPayTransaction, source: 'notify' | 'query', hash: string, event?: { id: string; event_type: string }): Promise<RecordOutcome> {
    if (t.trade_state !== 'SUCCESS') return 'ignored';
    // WeChat leaves the currency out for CNY.
    const currency = t.amount?.currency ?? 'CNY';
    const defect = receiptDefect({ txnId: t.transaction_id, outTradeNo: t.out_trade_no, amount: t.amount?.total, currency });
    if (defect) return this.keep(t, source, hash, defect, event);
    const txnId = t.transaction_id!;
    const amount = t.amount!.total!;
    const paidAt = t.success_time ? new Date(t.success_time) : null;
    // One statement (migration 0012): no client round trip while the ledger's chain lock is held.
    const result = await this.ledger.recordReceipt({
      channel: 'wechat',
      outTradeNo: t.out_trade_no,
      txnId,
      amount,
      currency,
      merchantAccount: t.mchid,
      actor: `system:wechatpay-${source}`,
      payloadHash: hash,
      paidAt: paidAt && !Number.isNaN(paidAt.getTime()) ? paidAt : null,
    });
    if (result.outcome === 'suspense') {
      this.logger.error('ALERT payment recorded in suspense', { channel: 'wechat', transaction_id: txnId, out_trade_no: t.out_trade_no, reason: result.anomaly, ledger_seq: result.seq });
    }
    if (result.outcome === 'charged') {
      this.logger.info('payment ledgered', { channel: 'wechat', out_trade_no: t.out_trade_no, ledger_seq: result.seq, source });
      // Relay after commit, not awaited: the acknowledgement doesn't wait for Redis (relay() never rejects; a row it
      // couldn't hand over stays pending for the reconciler).
      void this.settlement.relay(result.outboxId!);
    }
    return result.outcome;
  }

  private async keep(t: WechatPayTransaction, source: 'notify' | 'query', hash: string, reason: string, event?: { id: string; event_type: string }): Promise<'quarantined'> {
    const txnId = typeof t.transaction_id === 'string' && t.transaction_id.trim() !== '' ? t.transaction_id : undefined;
    const { inserted, entry } = await this.quarantine.record({
      channel: 'wechat',
      // The query and the notification of one transaction are one report.
      dedupeKey: txnId ? `txn:${txnId}` : event ? `event:${event.id}` : `hash:${hash}`,
      source,
      reason,
      eventType: event?.event_type ?? null,
      outTradeNo: t.out_trade_no,
      providerTxnId: txnId ?? null,
      providerEventId: event?.id ?? null,
      body: t,
      payloadHash: hash,
    });
    const retired = await this.orders.close(t.out_trade_no, `paid at the provider: quarantined (${entry.id})`);
    if (inserted) this.logger.error('ALERT wechatpay payment quarantined', { quarantine_id: entry.id, reason, out_trade_no: t.out_trade_no, transaction_id: txnId, source, order_retired: retired });
    else this.logger.warn('wechatpay payment quarantined before: redelivery counted', { quarantine_id: entry.id, deliveries: entry.deliveries });
    return 'quarantined';
  }

  /** Asks WeChat about one order and records what it finds, as a notification would. */
  async checkOrder(p: Principal, paymentOrderId: number): Promise<PaymentOrderView> {
    const order = await this.orders.getById(paymentOrderId);
    if (!order) throw new AppError('not_found', `Payment ${paymentOrderId} not found.`);
    if (p.kind === 'customer') {
      const wo = await this.wos.get(order.workOrderId);
      if (!wo || wo.partner?.id !== p.partnerId) throw new AppError('not_found', `Payment ${paymentOrderId} not found.`);
    }
    await this.reconcileOrder(order);
    return orderView((await this.orders.getById(paymentOrderId))!);
  }

  async reconcileOrder(order: PaymentOrder): Promise<RecordOutcome | 'closed' | 'open'> {
    if (order.channel !== 'wechat' || !this.wxpay) return 'open';
    const t = await this.wxpay.client.queryByOutTradeNo(order.outTradeNo);
    if (t && t.trade_state === 'SUCCESS') return this.recordTransaction(t, 'query', payloadHash(JSON.stringify(t)));
    if (order.state === 'open' && order.timeExpire.getTime() < Date.now()) {
      await this.wxpay.client.close(order.outTradeNo);
      await this.orders.close(order.outTradeNo, 'expired');
      return 'closed';
    }
    return 'open';
  }

  /** The reconciler's provider half: open orders past a short delay are asked about (lost notifications). */
  async reconcileOpenOrders(olderThanMs = 60_000): Promise<number> {
    const open = await this.orders.listOpenOlderThan(olderThanMs, { limit: 200, includeExpired: true });
    let n = 0;
    for (const o of open) {
      try {
        await this.reconcileOrder(o);
        n++;
      } catch (e) {
        this.logger.warn('order reconciliation failed', { out_trade_no: o.outTradeNo, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return n;
  }

  async forWorkOrder(p: Principal, workOrderId: number): Promise<{ orders: PaymentOrderView[]; ledger: LedgerView[]; paid: number; currency: string | null }> {
    const wo = await this.wos.get(workOrderId);
    if (!wo || (p.kind === 'customer' && wo.partner?.id !== p.partnerId)) throw new AppError('not_found', `Work order ${workOrderId} not found.`);
    const [orders, entries, totals] = await Promise.all([this.orders.listByWorkOrder(workOrderId), this.ledger.listByWorkOrder(workOrderId), this.ledger.workOrderTotals(workOrderId)]);
    const [currency, t] = [...totals.entries()][0] ?? [null, undefined];
    return { orders: orders.map(orderView), ledger: entries.map(ledgerView), paid: Number(t?.netPaid ?? 0n), currency };
  }
}
