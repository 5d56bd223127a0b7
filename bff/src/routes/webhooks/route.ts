import express, { Router } from 'express';
import type { Logger } from '../../logger';
import type { PaymentService } from '../../services/payment.service';
import type { StripePaymentService } from '../../services/stripe-payment.service';
import { noopMetrics, type Metrics } from '../../metrics/metrics';

/**
 * Provider webhooks take the raw body (signatures are over the exact bytes): verify, record, answer.
 * Mounted before the JSON body parser.
 */
export function webhookRoutes(svc: PaymentService, logger: Logger, more: { stripe?: StripePaymentService; metrics?: Pick<Metrics, 'webhook'> } = {}): Router {
  const r = Router();
  const metrics = more.metrics ?? noopMetrics;
  r.post('/webhooks/wechatpay', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const out = await svc.handleWechatNotification(req.headers, body);
      metrics.webhook('wechatpay', out.outcome);
      if (out.body === undefined) res.status(out.status).end();
      else res.status(out.status).json(out.body);
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
        metrics.webhook('stripe', out.outcome);
        if (out.status === 503) res.setHeader('Retry-After', '3600');
        res.status(out.status).json(out.body);
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
