import express, { Router, type Response } from 'express';
import type { Logger } from '../../logger';
import type { NotificationOutcome } from '../../services/notification-outcome';
import type { StripePaymentService } from '../../services/stripe-payment.service';
import type { WechatPayNotificationDispatcher } from '../../services/wechatpay-notifications.service';

/**
 * WeChat Pay v3's reply to a notification: 200/204 without a body when received; any 4xx/5xx with
 * `{code: 'FAIL', message}` makes WeChat send it again (for 24 h), which only a forgery or a store outage must get: what
 * WeChat signed but the ledger can't take is quarantined and acknowledged (issue 15).
 */
function replyToWechat(res: Response, out: NotificationOutcome): void {
  switch (out.outcome) {
    case 'recorded':
    case 'duplicate':
    case 'suspense':
    case 'quarantined':
    case 'ignored':
      res.status(204).end();
      return;
    case 'rejected':
      res.status(401).json({ code: 'FAIL', message: out.message });
      return;
    case 'not_configured':
      res.status(503).json({ code: 'FAIL', message: 'not configured' });
      return;
  }
}

/** Stripe's: any 2xx is received; a 400 shows the failure on the dashboard; a 5xx is sent again (for three days). */
function replyToStripe(res: Response, out: NotificationOutcome): void {
  switch (out.outcome) {
    case 'recorded':
    case 'suspense':
    case 'quarantined':
    case 'ignored':
      res.status(200).json({ received: true });
      return;
    case 'duplicate':
      res.status(200).json({ received: true, duplicate: true });
      return;
    case 'rejected':
      res.status(400).json({ error: out.message });
      return;
    case 'not_configured':
      res.setHeader('Retry-After', '3600');
      res.status(503).json({ error: 'stripe not configured' });
      return;
  }
}

/**
 * Provider webhooks take the raw body (signatures are over the exact bytes): verify, record, answer in the provider's
 * words. Mounted before the JSON body parser.
 */
export function webhookRoutes(wechat: WechatPayNotificationDispatcher, logger: Logger, more: { stripe?: StripePaymentService } = {}): Router {
  const r = Router();
  r.post('/webhooks/wechatpay', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      replyToWechat(res, await wechat.handle(req.headers, body));
    } catch (e) {
      // The store is down: WeChat retries for 24 h, so a 503 loses nothing.
      logger.error('wechatpay notification not recorded', { error: e instanceof Error ? e.message : String(e) });
      res.status(503).setHeader('Retry-After', '5').json({ code: 'FAIL', message: 'temporarily unavailable' });
    }
  });
  const stripe = more.stripe;
  if (stripe) {
    r.post('/webhooks/stripe', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        replyToStripe(res, await stripe.handleWebhook(body, req.get('stripe-signature')));
      } catch (e) {
        // The store is down: Stripe retries for three days, so a 503 loses nothing.
        logger.error('stripe event not recorded', { error: e instanceof Error ? e.message : String(e) });
        res.status(503).setHeader('Retry-After', '5').json({ error: 'temporarily unavailable' });
      }
    });
  }
  return r;
}
