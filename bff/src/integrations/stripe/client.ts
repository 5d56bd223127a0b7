import Stripe from 'stripe';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import type { StripeConfig } from './config';

/**
 * The one place the Stripe SDK is imported. Every call that changes state carries an idempotency key (Stripe replays
 * the first answer for 24 h); the SDK retries only connection errors and 409/429/5xx with that same key. Webhook
 * payloads are verified with `constructEvent` on the exact raw bytes.
 */

export interface StripePaymentIntent {
  id: string;
  status: string;
  /** Stripe units (see amounts.ts). */
  amount: number;
  amountReceived: number;
  /** Upper case. */
  currency: string;
  clientSecret: string | null;
  metadata: Record<string, string>;
  lastError: string | null;
}

export interface StripeRefund {
  id: string;
  /** pending | requires_action | succeeded | failed | canceled */
  status: string;
  amount: number;
  currency: string;
  paymentIntent: string | null;
  metadata: Record<string, string>;
  failureReason: string | null;
}

/** A verified event, reduced to what the BFF reads. */
export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  object: Record<string, unknown>;
}

/** Raised by constructEvent: bad or missing signature, stale timestamp, unparsable body. */
export class StripeSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripeSignatureError';
  }
}

/** Thrown for a Stripe API failure: `definitive` when Stripe refused it (a 4xx that a retry with the same key repeats). */
export class StripeCallError extends AppError {
  constructor(
    message: string,
    readonly definitive: boolean,
    readonly stripeCode?: string,
    cause?: unknown,
  ) {
    super(definitive ? 'unprocessable' : 'dependency_unavailable', message, { code: definitive ? `STRIPE_${(stripeCode ?? 'REFUSED').toUpperCase()}` : 'STRIPE_UNAVAILABLE', retryAfterS: definitive ? undefined : 5, cause });
    this.name = 'StripeCallError';
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const meta = (v: unknown): Record<string, string> => (v && typeof v === 'object' ? (v as Record<string, string>) : {});

export const toIntent = (o: Record<string, unknown>): StripePaymentIntent => ({
  id: String(o.id),
  status: String(o.status ?? ''),
  amount: Number(o.amount ?? 0),
  amountReceived: Number(o.amount_received ?? 0),
  currency: String(o.currency ?? '').toUpperCase(),
  clientSecret: str(o.client_secret),
  metadata: meta(o.metadata),
  lastError: str((o.last_payment_error as Record<string, unknown> | null | undefined)?.message) ?? str((o.last_payment_error as Record<string, unknown> | null | undefined)?.code),
});

export const toRefund = (o: Record<string, unknown>): StripeRefund => ({
  id: String(o.id),
  status: String(o.status ?? ''),
  amount: Number(o.amount ?? 0),
  currency: String(o.currency ?? '').toUpperCase(),
  paymentIntent: typeof o.payment_intent === 'string' ? o.payment_intent : str((o.payment_intent as Record<string, unknown> | null | undefined)?.id),
  metadata: meta(o.metadata),
  failureReason: str(o.failure_reason),
});

export class StripeClient {
  private readonly stripe: Stripe;

  constructor(
    private readonly cfg: StripeConfig,
    private readonly logger: Logger,
  ) {
    const base = new URL(cfg.apiBase);
    this.stripe = new Stripe(cfg.secretKey, {
      host: base.hostname,
      port: base.port ? Number(base.port) : base.protocol === 'https:' ? 443 : 80,
      protocol: base.protocol === 'http:' ? 'http' : 'https',
      timeout: cfg.timeoutMs,
      maxNetworkRetries: 2,
      telemetry: false,
    });
  }

  async createPaymentIntent(input: { amount: number; currency: string; idempotencyKey: string; metadata: Record<string, string>; description?: string }): Promise<StripePaymentIntent> {
    return this.call('payment intent create', async () =>
      toIntent(
        (await this.stripe.paymentIntents.create(
          { amount: input.amount, currency: input.currency.toLowerCase(), metadata: input.metadata, description: input.description, automatic_payment_methods: { enabled: true } },
          { idempotencyKey: input.idempotencyKey },
        )) as unknown as Record<string, unknown>,
      ),
    );
  }

  async retrievePaymentIntent(id: string): Promise<StripePaymentIntent> {
    return this.call('payment intent retrieve', async () => toIntent((await this.stripe.paymentIntents.retrieve(id)) as unknown as Record<string, unknown>));
  }

  /** Cancels an intent that can no longer be paid as is (the amount due changed). An already final one is fine. */
  async cancelPaymentIntent(id: string, idempotencyKey: string): Promise<StripePaymentIntent> {
    return this.call('payment intent cancel', async () => toIntent((await this.stripe.paymentIntents.cancel(id, {}, { idempotencyKey })) as unknown as Record<string, unknown>));
  }

  async createRefund(input: { paymentIntent: string; amount: number; idempotencyKey: string; metadata: Record<string, string> }): Promise<StripeRefund> {
    return this.call('refund create', async () =>
      toRefund((await this.stripe.refunds.create({ payment_intent: input.paymentIntent, amount: input.amount, metadata: input.metadata }, { idempotencyKey: input.idempotencyKey })) as unknown as Record<string, unknown>),
    );
  }

  async retrieveRefund(id: string): Promise<StripeRefund> {
    return this.call('refund retrieve', async () => toRefund((await this.stripe.refunds.retrieve(id)) as unknown as Record<string, unknown>));
  }

  async listRefunds(paymentIntent: string): Promise<StripeRefund[]> {
    return this.call('refund list', async () => (await this.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })).data.map((r) => toRefund(r as unknown as Record<string, unknown>)));
  }

  /** Verifies `Stripe-Signature` over the raw body (HMAC-SHA256, timestamp within the tolerance) and parses it. */
  constructEvent(rawBody: Buffer, signature: string | undefined): StripeEvent {
    if (!signature) throw new StripeSignatureError('missing Stripe-Signature header');
    let e: Stripe.Event;
    try {
      e = this.stripe.webhooks.constructEvent(rawBody, signature, this.cfg.webhookSecret, this.cfg.toleranceS);
    } catch (err) {
      throw new StripeSignatureError(err instanceof Error ? err.message : String(err));
    }
    return { id: e.id, type: e.type, created: e.created, object: e.data.object as unknown as Record<string, unknown> };
  }

  private async call<T>(api: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = e as { type?: string; statusCode?: number; code?: string; message?: string };
      // A 4xx other than 409/429 is Stripe's answer: repeating the same idempotent request gets the same one.
      const definitive = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 && ![409, 429].includes(err.statusCode);
      this.logger.warn('stripe call failed', { api, status: err.statusCode, code: err.code, type: err.type });
      throw new StripeCallError(`Stripe ${api} failed${err.code ? ` (${err.code})` : ''}.`, definitive, err.code, e);
    }
  }
}
