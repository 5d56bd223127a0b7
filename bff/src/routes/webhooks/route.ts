import express, { Router, type Request, type Response } from 'express';
import type { FailureLimit } from '../../http/rate-limit';
import type { Logger } from '../../logger';
import type { NotificationOutcome } from '../../services/notification-outcome';
import type { StripePaymentService } from '../../services/stripe-payment.service';
import { noopMetrics, type Metrics, type WebhookOutcome } from '../../metrics/metrics';
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

/** The metric's label for an outcome (a fixed set). */
function webhookLabel(out: NotificationOutcome): WebhookOutcome {
  switch (out.outcome) {
    case 'recorded':
      return 'accepted';
    case 'rejected':
      return 'rejected_signature';
    default:
      return out.outcome;
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
export function webhookRoutes(
  wechat: WechatPayNotificationDispatcher,
  logger: Logger,
  more: { stripe?: StripePaymentService; metrics?: Pick<Metrics, 'webhook'>; failures?: FailureLimit } = {},
): Router {
  const r = Router();
  const metrics = more.metrics ?? noopMetrics;
  /**
   * A request that failed verification counts against its address; past the limit its answer is a 429.
   * Counted after verifying, so a valid notification is processed whatever else came from its address.
   */
  const refused = async (req: Request, res: Response, out: NotificationOutcome): Promise<boolean> => {
    if (!more.failures || out.outcome !== 'rejected') return false;
    const f = await more.failures.failed(req);
    if (!f.limited) return false;
    if (f.first) logger.warn('webhook: too many requests failing verification from one address', { path: req.path, ip: req.ip, retry_after_s: f.retryAfterS });
    res.status(429).setHeader('Retry-After', String(f.retryAfterS)).json({ code: 'FAIL', message: 'too many invalid requests' });
    return true;
  };
  r.post('/webhooks/wechatpay', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const out = await wechat.handle(req.headers, body);
      metrics.webhook('wechatpay', webhookLabel(out));
      if (await refused(req, res, out)) return;
      replyToWechat(res, out);
    } catch (e) {
      // The store is down: WeChat retries for 24 h, so a 503 loses nothing.
      metrics.webhook('wechatpay', 'error');
      logger.error('wechatpay notification not recorded', { error: e instanceof Error ? e.message : String(e) });
      res.status(503).setHeader('Retry-After', '5').json({ code: 'FAIL', message: 'temporarily unavailable' });
    }
  });
  const stripe = more.stripe;
  if (stripe) {
    r.post('/webhooks/stripe', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        const out = await stripe.handleWebhook(body, req.get('stripe-signature'));
        metrics.webhook('stripe', webhookLabel(out));
        if (await refused(req, res, out)) return;
        replyToStripe(res, out);
      } catch (e) {
        // The store is down: Stripe retries for three days, so a 503 loses nothing.
        metrics.webhook('stripe', 'error');
        logger.error('stripe event not recorded', { error: e instanceof Error ? e.message : String(e) });
        res.status(503).setHeader('Retry-After', '5').json({ error: 'temporarily unavailable' });
      }
    });
  }
  return r;
}
