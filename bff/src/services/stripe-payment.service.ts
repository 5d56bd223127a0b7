import { payloadHash } from '../domain/ledger-hash';
import type { Principal } from '../domain/principal';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { ShopGateway } from '../integrations/odoo/shops';
import { fromStripeAmount, StripeAmountError, stripeExponent, toStripeAmount } from '../integrations/stripe/amounts';
import { receiptDefect } from '../domain/receipt';
import type { QuarantineRepository } from '../store/quarantine';
import { StripeSignatureError, toIntent, toRefund, type StripeClient, type StripeEvent, type StripePaymentIntent } from '../integrations/stripe/client';
import type { LedgerRepository } from '../store/ledger';
import type { PaymentOrderRepository } from '../store/payment-orders';
import type { StripeEventRepository } from '../store/stripe-events';
import type { BalanceService } from './balance.service';
import { orderView, type PaymentOrderView, type RecordOutcome } from './payment.service';
import type { NotificationOutcome } from './notification-outcome';
import type { RefundService } from './refund.service';
import type { SettlementService } from './settlement.service';

/** How long a Stripe payment order is reused before a fresh PaymentIntent is made (Stripe intents do not expire). */
const ORDER_TTL_MS = 24 * 3600_000;

/**
 * Stripe for a work order: a PaymentIntent for the amount due (from Odoo less the ledger, never the client), created
 * with an idempotency key; the webhook verifies with constructEvent, dedupes on event.id and records
 * payment_intent.succeeded as a ledger charge + settlement outbox row (suspense for anomalies), payment_failed on the
 * order only, and refunds per refund id.
 */
export class StripePaymentService {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly orders: PaymentOrderRepository,
    private readonly events: StripeEventRepository,
    private readonly balance: BalanceService,
    private readonly refunds: RefundService,
    private readonly settlement: SettlementService,
    private readonly shops: ShopGateway,
    private readonly quarantine: Pick<QuarantineRepository, 'record'>,
    private readonly logger: Logger,
    private readonly stripe?: StripeClient,
  ) {}

  private get client(): StripeClient {
    if (!this.stripe) throw new AppError('not_configured', 'Stripe is not configured on this server.', { code: 'STRIPE_NOT_CONFIGURED', retryAfterS: 3600 });
    return this.stripe;
  }

  async createPayment(p: Principal, workOrderId: number): Promise<{ payment_order: PaymentOrderView; client_secret: string; stripe_amount: number; currency: string }> {
    if (p.kind === 'customer' && !p.partnerId) throw new AppError('forbidden', 'Bind your phone first.');
    const client = this.client;
    const { due, currency, wo, shop } = await this.balance.amountDue(workOrderId, p);
    const stripeAmount = toStripeAmount(due, shop.currency.decimals, currency);

    const order = await this.orders.openFor(
      { workOrderId, shopId: shop.id, warehouseId: wo.warehouse_id ?? 0, merchantAccount: 'stripe', channel: 'stripe', amount: due, currency, timeExpire: new Date(Date.now() + ORDER_TTL_MS) },
      (open) => open.timeExpire.getTime() >= Date.now(),
      async (open) => {
        // The amount due changed or the intent expired: it must not be paid any more.
        if (open.providerOrderRef) await client.cancelPaymentIntent(open.providerOrderRef, `cancel-${open.outTradeNo}`).catch((e: unknown) => this.logger.warn('stripe intent not cancelled', { out_trade_no: open.outTradeNo, error: e instanceof Error ? e.message : String(e) }));
        return 'expired';
      },
    );
    let secret = typeof order.providerData.client_secret === 'string' ? order.providerData.client_secret : null;
    let intentId = order.providerOrderRef;
    if (!secret || !intentId) {
      // The same key returns the same intent: a crash between Stripe and our UPDATE makes no second one.
      const pi = await client.createPaymentIntent({
        amount: stripeAmount,
        currency,
        idempotencyKey: `pi-${order.outTradeNo}`,
        metadata: { out_trade_no: order.outTradeNo, work_order_id: String(workOrderId), shop_id: String(shop.id) },
        description: `DrMoto ${wo.name}`,
      });
      intentId = pi.id;
      secret = pi.clientSecret ?? '';
      await this.orders.setProviderRef(order.outTradeNo, pi.id, { client_secret: secret, status: pi.status });
    }
    return { payment_order: orderView({ ...order, providerOrderRef: intentId }), client_secret: secret, stripe_amount: stripeAmount, currency };
  }

  /** The webhook: verify, dedupe, record, say what became of it. What does not verify is rejected (Stripe shows it on the dashboard). */
  async handleWebhook(rawBody: Buffer, signature: string | undefined): Promise<NotificationOutcome> {
    if (!this.stripe) return { outcome: 'not_configured' };
    let event: StripeEvent;
    try {
      event = this.stripe.constructEvent(rawBody, signature);
    } catch (e) {
      if (e instanceof StripeSignatureError) {
        this.logger.warn('stripe webhook rejected', { reason: e.message });
        return { outcome: 'rejected', reason: 'bad_signature', message: 'signature verification failed' };
      }
      throw e;
    }
    const hash = payloadHash(rawBody);
    if (await this.events.seen(event.id, event.type, hash)) return { outcome: 'duplicate' };
    const outcome = await this.dispatch(event, hash);
    await this.events.processed(event.id, outcome);
    // `duplicate` stays a redelivered event: a charge another event or the reconciler recorded first needs nothing more.
    if (outcome === 'ignored' || outcome === 'duplicate') return { outcome: 'ignored' };
    return { outcome: outcome === 'suspense' || outcome === 'quarantined' ? outcome : 'recorded' };
  }

  private async dispatch(event: StripeEvent, hash: string): Promise<string> {
    switch (event.type) {
      case 'payment_intent.succeeded':
        return this.recordIntent(toIntent(event.object), `system:stripe-webhook`, hash, event.id);
      case 'payment_intent.payment_failed': {
        const pi = toIntent(event.object);
        const no = pi.metadata.out_trade_no;
        const order = no ? await this.orders.get(no) : undefined;
        if (order?.state === 'open') {
          // The customer may try another card on the same intent: the order stays open and remembers why it failed.
          await this.orders.setProviderRef(order.outTradeNo, pi.id, { ...order.providerData, status: pi.status, last_error: pi.lastError });
        }
        this.logger.info('stripe payment failed', { out_trade_no: no, reason: pi.lastError });
        return 'payment_failed';
      }
      case 'refund.created':
      case 'refund.updated':
      case 'refund.failed':
      case 'charge.refund.updated':
        return this.refunds.handleStripeRefund(toRefund(event.object), hash, event.id);
      case 'charge.refunded': {
        // amount_refunded is cumulative over the charge: each refund in it is handled by its own id.
        const list = (event.object.refunds as { data?: unknown[] } | undefined)?.data ?? [];
        for (const re of list) await this.refunds.handleStripeRefund(toRefund(re as Record<string, unknown>), hash, event.id);
        return `charge_refunded:${list.length}`;
      }
      default:
        return 'ignored';
    }
  }

  /**
   * A succeeded PaymentIntent → one ledger charge (keyed by the intent id) + outbox, or suspense for an anomaly; one
   * the ledger can't take (an amount ≤ 0 or without an exact minor-unit value, an unknown currency) is quarantined.
   */
  async recordIntent(pi: StripePaymentIntent, actor: string, hash: string, eventId?: string): Promise<RecordOutcome> {
    if (pi.status !== 'succeeded') return 'ignored';
    const no = pi.metadata.out_trade_no ?? '';
    const peek = no ? await this.orders.get(no) : undefined;
    const decimals = peek ? (await this.shops.get(peek.shopId)).currency.decimals : stripeExponent(pi.currency);
    let amount: number;
    try {
      amount = fromStripeAmount(pi.amountReceived || pi.amount, decimals, pi.currency);
    } catch (e) {
      if (!(e instanceof StripeAmountError)) throw e;
      return this.keep(pi, hash, `amount ${pi.amountReceived || pi.amount} ${pi.currency}: ${e.message}`, eventId, peek?.providerOrderRef === pi.id ? no : undefined);
    }
    const defect = receiptDefect({ txnId: pi.id, outTradeNo: no, amount, currency: pi.currency });
    if (defect) return this.keep(pi, hash, defect, eventId, peek?.providerOrderRef === pi.id ? no : undefined);
    // One statement (migration 0012): duplicate check, order lock, charge + outbox or suspense.
    const result = await this.ledger.recordReceipt({
      channel: 'stripe',
      outTradeNo: no,
      txnId: pi.id,
      amount,
      currency: pi.currency,
      providerOrderRef: pi.id,
      providerEventId: eventId ?? null,
      actor,
      payloadHash: hash,
    });
    if (result.outcome === 'suspense') this.logger.error('ALERT payment recorded in suspense', { channel: 'stripe', payment_intent: pi.id, reason: result.anomaly, ledger_seq: result.seq });
    if (result.outcome === 'charged') {
      this.logger.info('payment ledgered', { channel: 'stripe', payment_intent: pi.id, ledger_seq: result.seq });
      void this.settlement.relay(result.outboxId!);
    }
    return result.outcome;
  }

  /** A succeeded intent the ledger can't take: quarantined once with an alert; its order (if the intent is its) retired. */
  private async keep(pi: StripePaymentIntent, hash: string, reason: string, eventId: string | undefined, orderNo: string | undefined): Promise<'quarantined'> {
    const { inserted, entry } = await this.quarantine.record({
      channel: 'stripe',
      dedupeKey: pi.id && pi.id !== 'undefined' ? `txn:${pi.id}` : eventId ? `event:${eventId}` : `hash:${hash}`,
      source: eventId ? 'webhook' : 'reconciler',
      reason,
      eventType: eventId ? 'payment_intent.succeeded' : null,
      outTradeNo: pi.metadata.out_trade_no ?? null,
      providerTxnId: pi.id,
      providerEventId: eventId ?? null,
      body: pi,
      payloadHash: hash,
    });
    const retired = orderNo ? await this.orders.close(orderNo, `paid at the provider: quarantined (${entry.id})`) : false;
    if (inserted) this.logger.error('ALERT stripe payment quarantined', { quarantine_id: entry.id, reason, payment_intent: pi.id, order_retired: retired });
    else this.logger.warn('stripe payment quarantined before: redelivery counted', { quarantine_id: entry.id, deliveries: entry.deliveries });
    return 'quarantined';
  }

  /** The reconciler's Stripe half: open orders past a short delay are asked about (a lost webhook). */
  async reconcileOpenOrders(olderThanMs = 60_000): Promise<number> {
    if (!this.stripe) return 0;
    let n = 0;
    for (const o of await this.orders.listOpenOlderThan(olderThanMs, { limit: 200, includeExpired: true })) {
      if (o.channel !== 'stripe' || !o.providerOrderRef) continue;
      try {
        const pi = await this.stripe.retrievePaymentIntent(o.providerOrderRef);
        if (pi.status === 'succeeded') await this.recordIntent(pi, 'system:reconciler', payloadHash(JSON.stringify(pi)));
        n++;
      } catch (e) {
        this.logger.warn('stripe order reconciliation failed', { out_trade_no: o.outTradeNo, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return n;
  }
}
