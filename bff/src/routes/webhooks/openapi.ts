import { headerRef, type ExtraPaths } from '../../http/openapi';

const wechatPayAnswer = {
  type: 'object',
  description: 'The answer WeChat Pay v3 expects on failure',
  properties: { code: { type: 'string', example: 'FAIL' }, message: { type: 'string' } },
  required: ['code', 'message'],
};

/**
 * The provider webhooks take raw bytes and answer in each provider's format (not problem+json): the provider, not a
 * client of this API, is the caller. Described here for the document; `stripe` only when Stripe is configured.
 */
export function webhookOpenapi(basePath: string, opts: { stripe: boolean }): ExtraPaths {
  const rid = { 'X-Request-Id': headerRef('X-Request-Id') };
  const retry = { ...rid, 'Retry-After': headerRef('Retry-After') };
  const paths: ExtraPaths = {
    [`${basePath}/webhooks/wechatpay`]: {
      post: {
        operationId: 'postWebhooksWechatpay',
        summary:
          'WeChat Pay v3 notification (payment or refund): signature verified over the raw body, resource decrypted, recorded once',
        tags: ['webhooks'],
        security: [],
        parameters: ['Wechatpay-Signature', 'Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Serial'].map(
          (name) => ({ name, in: 'header', required: true, schema: { type: 'string' } }),
        ),
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                description: 'WeChat Pay v3 notification envelope (resource encrypted with AEAD_AES_256_GCM)',
              },
            },
          },
        },
        responses: {
          204: { description: 'Recorded, a duplicate of a recorded one, or a kind that is ignored', headers: rid },
          401: {
            description: 'Signature verification failed',
            headers: rid,
            content: { 'application/json': { schema: wechatPayAnswer } },
          },
          503: {
            description: 'Not recorded now (store down); WeChat Pay retries',
            headers: retry,
            content: { 'application/json': { schema: wechatPayAnswer } },
          },
        },
      },
    },
  };
  if (opts.stripe) {
    paths[`${basePath}/webhooks/stripe`] = {
      post: {
        operationId: 'postWebhooksStripe',
        summary:
          'Stripe event (payment_intent.*, charge.refund.*): Stripe-Signature verified over the raw body, recorded once',
        tags: ['webhooks'],
        security: [],
        parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', description: 'Stripe Event object' } } },
        },
        responses: {
          200: {
            description: 'Recorded, a duplicate, or an event type that is ignored',
            headers: rid,
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          400: {
            description: 'Signature verification failed or malformed event',
            headers: rid,
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          503: {
            description: 'Not recorded now; Stripe retries',
            headers: retry,
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    };
  }
  return paths;
}
