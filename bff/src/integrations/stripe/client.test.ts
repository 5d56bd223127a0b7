import Stripe from 'stripe';
import { createLogger } from '../../logger';
import { StripeClient, StripeSignatureError } from './client';

const WHSEC = 'whsec_unit0123456789';
const sdk = new Stripe('sk_test_unit');
const body = JSON.stringify({ id: 'evt_unit_1', object: 'event', type: 'payment_intent.succeeded', created: 1, data: { object: { id: 'pi_1', object: 'payment_intent' } } });
const sign = (timestamp: number) => sdk.webhooks.generateTestHeaderString({ payload: body, secret: WHSEC, timestamp });

describe(StripeClient.name, () => {
  const client = new StripeClient({ secretKey: 'sk_test_unit', webhookSecret: WHSEC, apiBase: 'http://127.0.0.1:9', timeoutMs: 1000, toleranceS: 300 }, createLogger({ silent: true }));
  const now = () => Math.floor(Date.now() / 1000);

  describe('constructEvent', () => {
    it('accepts a timestamp within the tolerance on either side of now', () => {
      for (const t of [now(), now() - 240, now() + 240]) expect(client.constructEvent(Buffer.from(body), sign(t)).id).toBe('evt_unit_1');
    });

    it('refuses a correctly signed timestamp 10 minutes in the future (the SDK only checks the past)', () => {
      expect(() => client.constructEvent(Buffer.from(body), sign(now() + 600))).toThrow(StripeSignatureError);
      expect(() => client.constructEvent(Buffer.from(body), sign(now() + 600))).toThrow(/future/);
    });

    it('refuses a timestamp 10 minutes in the past, and a missing header', () => {
      expect(() => client.constructEvent(Buffer.from(body), sign(now() - 600))).toThrow(StripeSignatureError);
      expect(() => client.constructEvent(Buffer.from(body), undefined)).toThrow(StripeSignatureError);
    });
  });
});
