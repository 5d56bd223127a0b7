import { payloadHash } from '../domain/ledger-hash';
import type { Logger } from '../logger';
import { NotificationRejected, type HeaderBag, type VerifiedNotification, type WechatPayNotificationVerifier } from '../integrations/wechatpay/notification';
import type { QuarantineRepository } from '../store/quarantine';
import type { NotificationOutcome } from './notification-outcome';
import type { PaymentService } from './payment.service';
import type { RefundService } from './refund.service';

export interface WechatPayMerchant {
  mchid: string;
  appId: string;
}

/**
 * The WeChat Pay notify_url: verifies a notification and hands it to the service it is for — a payment notice
 * (TRANSACTION.*) to the payment service, a refund notice (REFUND.*) to the refund service. Answers within
 * milliseconds; no Odoo call inline (the outbox and the queue do that).
 *
 * What it says back (issue 15): a forgery or an unreadable envelope is rejected (WeChat sees a failure); anything
 * WeChat signed and we could decrypt is acknowledged — recorded, suspense, or, when the ledger can't take it (another
 * merchant, a resource of the wrong shape, an amount ≤ 0), quarantined once with an alert — because WeChat would
 * otherwise send the same bytes for a day. Only a failing store (thrown) makes it ask WeChat to come back.
 */
export class WechatPayNotificationDispatcher {
  constructor(
    private readonly payments: Pick<PaymentService, 'recordTransaction'>,
    private readonly refunds: Pick<RefundService, 'handleWechatNotice'>,
    private readonly quarantine: Pick<QuarantineRepository, 'record'>,
    private readonly logger: Logger,
    private readonly wxpay?: { verifier: Pick<WechatPayNotificationVerifier, 'verifyNotification'>; merchant: WechatPayMerchant },
  ) {}

  async handle(headers: HeaderBag, rawBody: Buffer): Promise<NotificationOutcome> {
    if (!this.wxpay) return { outcome: 'not_configured' };
    let n: VerifiedNotification;
    try {
      n = this.wxpay.verifier.verifyNotification({ headers, rawBody });
    } catch (e) {
      if (e instanceof NotificationRejected) {
        this.logger.warn('wechatpay notification rejected', { reason: e.reason, detail: e.detail });
        return { outcome: 'rejected', reason: e.reason, message: e.publicMessage };
      }
      throw e;
    }
    const hash = payloadHash(rawBody);
    const { mchid, appId } = this.wxpay.merchant;
    switch (n.kind) {
      case 'unreadable':
        return this.keep(n, hash, n.problem, {});
      case 'refund': {
        const r = n.resource;
        if (r.mchid !== mchid) return this.keep(n, hash, `refund notice for merchant ${JSON.stringify(r.mchid.slice(0, 32))}, not ours`, { outTradeNo: r.out_trade_no, txnId: r.refund_id });
        await this.refunds.handleWechatNotice(r, hash, n.event.id);
        return { outcome: 'recorded' };
      }
      case 'transaction': {
        const t = n.resource;
        if (t.mchid !== mchid || (t.appid !== undefined && t.appid !== appId)) {
          return this.keep(n, hash, `payment notice for merchant ${JSON.stringify(t.mchid.slice(0, 32))} / app ${JSON.stringify((t.appid ?? '').slice(0, 32))}, not ours`, { outTradeNo: t.out_trade_no, txnId: t.transaction_id });
        }
        const recorded = await this.payments.recordTransaction(t, 'notify', hash, n.event);
        return { outcome: recorded === 'charged' ? 'recorded' : recorded };
      }
      default:
        return { outcome: 'ignored' };
    }
  }

  /** A verified notification the ledger can't take: quarantined once (redeliveries counted), one alert, acknowledged. */
  private async keep(n: VerifiedNotification, hash: string, reason: string, ids: { outTradeNo?: string; txnId?: string }): Promise<NotificationOutcome> {
    const { inserted, entry } = await this.quarantine.record({
      channel: 'wechat',
      // A redelivery carries the same notification id (its ciphertext and nonce may differ).
      dedupeKey: `event:${n.event.id}`,
      source: 'notify',
      reason,
      eventType: n.event.event_type,
      outTradeNo: ids.outTradeNo ?? null,
      providerTxnId: ids.txnId ?? null,
      providerEventId: n.event.id,
      body: n.resource,
      payloadHash: hash,
    });
    if (inserted) this.logger.error('ALERT wechatpay notification quarantined', { quarantine_id: entry.id, reason, event_type: n.event.event_type, notification_id: n.event.id });
    else this.logger.warn('wechatpay notification quarantined before: redelivery counted', { quarantine_id: entry.id, deliveries: entry.deliveries });
    return { outcome: 'quarantined' };
  }
}
