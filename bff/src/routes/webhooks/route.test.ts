import express from 'express';
import request from 'supertest';
import { createLogger } from '../../logger';
import type { NotificationOutcome } from '../../services/notification-outcome';
import type { StripePaymentService } from '../../services/stripe-payment.service';
import type { WechatPayNotificationDispatcher } from '../../services/wechatpay-notifications.service';
import { webhookRoutes } from './route';

const logger = createLogger({ silent: true });

/** The routes over services that answer `out` (or throw it), as the payment services would. */
function appAnswering(out: NotificationOutcome | Error) {
  const answer = async (): Promise<NotificationOutcome> => {
    if (out instanceof Error) throw out;
    return out;
  };
  const wechat = { handle: answer } as unknown as WechatPayNotificationDispatcher;
  const stripe = { handleWebhook: answer } as unknown as StripePaymentService;
  return express().use('/api/v1', webhookRoutes(wechat, logger, { stripe }));
}

const rejected: NotificationOutcome = { outcome: 'rejected', reason: 'unknown_serial', message: 'unknown Wechatpay-Serial' };

describe(webhookRoutes.name, () => {
  describe('WeChat Pay: 204 without a body when received, 4xx/5xx with {code: FAIL, message} otherwise', () => {
    it.each(['recorded', 'duplicate', 'suspense', 'quarantined', 'ignored'] as const)('%s → 204', async (outcome) => {
      const r = await request(appAnswering({ outcome })).post('/api/v1/webhooks/wechatpay').send('{}');
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
    });

    it('rejected → 401 with the public reason', async () => {
      const r = await request(appAnswering(rejected)).post('/api/v1/webhooks/wechatpay').send('{}');
      expect([r.status, r.body]).toEqual([401, { code: 'FAIL', message: 'unknown Wechatpay-Serial' }]);
    });

    it('not configured → 503', async () => {
      const r = await request(appAnswering({ outcome: 'not_configured' })).post('/api/v1/webhooks/wechatpay').send('{}');
      expect([r.status, r.body]).toEqual([503, { code: 'FAIL', message: 'not configured' }]);
    });

    it('a failure to record (the store is down) → 503, Retry-After 5, and nothing internal', async () => {
      const r = await request(appAnswering(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).post('/api/v1/webhooks/wechatpay').send('{}');
      expect([r.status, r.headers['retry-after'], r.body]).toEqual([503, '5', { code: 'FAIL', message: 'temporarily unavailable' }]);
    });
  });

  describe('Stripe: 200 when received, 400 for what does not verify, 503 to be sent again', () => {
    it.each(['recorded', 'suspense', 'quarantined', 'ignored'] as const)('%s → 200 received', async (outcome) => {
      const r = await request(appAnswering({ outcome })).post('/api/v1/webhooks/stripe').send('{}');
      expect([r.status, r.body]).toEqual([200, { received: true }]);
    });

    it('duplicate → 200 received, marked duplicate', async () => {
      const r = await request(appAnswering({ outcome: 'duplicate' })).post('/api/v1/webhooks/stripe').send('{}');
      expect([r.status, r.body]).toEqual([200, { received: true, duplicate: true }]);
    });

    it('rejected → 400 with the public reason', async () => {
      const r = await request(appAnswering({ outcome: 'rejected', reason: 'bad_signature', message: 'signature verification failed' })).post('/api/v1/webhooks/stripe').send('{}');
      expect([r.status, r.body]).toEqual([400, { error: 'signature verification failed' }]);
    });

    it('not configured → 503, Retry-After an hour', async () => {
      const r = await request(appAnswering({ outcome: 'not_configured' })).post('/api/v1/webhooks/stripe').send('{}');
      expect([r.status, r.headers['retry-after'], r.body]).toEqual([503, '3600', { error: 'stripe not configured' }]);
    });

    it('a failure to record → 503, Retry-After 5', async () => {
      const r = await request(appAnswering(new Error('Connection terminated unexpectedly'))).post('/api/v1/webhooks/stripe').send('{}');
      expect([r.status, r.headers['retry-after'], r.body]).toEqual([503, '5', { error: 'temporarily unavailable' }]);
    });
  });
});
