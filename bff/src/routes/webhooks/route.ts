import express, { Router, type Request, type Response } from 'express';
import type { FailureLimit } from '../../http/rate-limit';
import type { Logger } from '../../logger';
import type { PaymentService } from '../../services/payment.service';
import type { StripePaymentService } from '../../services/stripe-payment.service';

/**
 * Provider webhooks take the raw body (signatures are over the exact bytes): verify, record, answer.
 * Mounted before the JSON body parser.
 */
export function webhookRoutes(svc: PaymentService, logger: Logger, more: { stripe?: StripePaymentService; failures?: FailureLimit } = {}): Router {
  const r = Router();
  /**
   * A request that failed verification (400/401) counts against its address; past the limit its answer is a 429.
   * Counted after verifying, so a valid notification is processed whatever else came from its address.
   */
  const refused = async (req: Request, res: Response, status: number): Promise<boolean> => {
    if (!more.failures || (status !== 400 && status !== 401)) return false;
    const f = await more.failures.failed(req);
    if (!f.limited) return false;
    if (f.first) logger.warn('webhook: too many requests failing verification from one address', { path: req.path, ip: req.ip, retry_after_s: f.retryAfterS });
    res.status(429).setHeader('Retry-After', String(f.retryAfterS)).json({ code: 'FAIL', message: 'too many invalid requests' });
    return true;
  };
  r.post('/webhooks/wechatpay', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const out = await svc.handleWechatNotification(req.headers, body);
      if (await refused(req, res, out.status)) return;
      if (out.body === undefined) res.status(out.status).end();
      else res.status(out.status).json(out.body);
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
        const out = await stripe.handleWebhook(body, req.get('stripe-signature'));
        if (await refused(req, res, out.status)) return;
        if (out.status === 503) res.setHeader('Retry-After', '3600');
        res.status(out.status).json(out.body);
      } catch (e) {
        // The store is down: Stripe retries for three days, so a 503 loses nothing.
        logger.error('stripe event not recorded', { error: e instanceof Error ? e.message : String(e) });
        res.status(503).setHeader('Retry-After', '5').json({ error: 'temporarily unavailable' });
      }
    });
  }
  return r;
}
