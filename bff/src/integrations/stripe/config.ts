import { z } from 'zod';

/** Stripe's environment variables (spread into config.ts's envSchema; the README table is generated from them). */
export const stripeEnvShape = {
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[0-9A-Za-z]+$/, 'must be a Stripe secret or restricted key (sk_… / rk_…)').optional().describe('Stripe secret key. Unset → the Stripe endpoints answer 503.'),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[0-9A-Za-z]+$/, 'must be a webhook signing secret (whsec_…)').optional().describe('Signing secret of the Stripe webhook endpoint `/api/v1/webhooks/stripe` (required with STRIPE_SECRET_KEY).'),
  STRIPE_API_BASE: z
    .string()
    .refine((v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL')
    .default('https://api.stripe.com')
    .describe('Stripe API base (tests point it at a local stub).'),
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000).describe('Per-request timeout of Stripe API calls.'),
  STRIPE_WEBHOOK_TOLERANCE_S: z.coerce.number().int().min(1).max(3600).default(300).describe('Largest accepted age of a Stripe-Signature timestamp, in seconds, into the past or the future.'),
};

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  apiBase: string;
  timeoutMs: number;
  toleranceS: number;
}

type StripeEnv = z.infer<z.ZodObject<typeof stripeEnvShape>>;

export function stripeConfigFromEnv(e: StripeEnv): { config?: StripeConfig; problems: string[] } {
  if (!e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET) return { problems: [] };
  const problems: string[] = [];
  if (!e.STRIPE_SECRET_KEY) problems.push('STRIPE_SECRET_KEY: is required with STRIPE_WEBHOOK_SECRET');
  if (!e.STRIPE_WEBHOOK_SECRET) problems.push('STRIPE_WEBHOOK_SECRET: is required with STRIPE_SECRET_KEY');
  if (problems.length) return { problems };
  return {
    problems,
    config: { secretKey: e.STRIPE_SECRET_KEY!, webhookSecret: e.STRIPE_WEBHOOK_SECRET!, apiBase: e.STRIPE_API_BASE.replace(/\/+$/, ''), timeoutMs: e.STRIPE_TIMEOUT_MS, toleranceS: e.STRIPE_WEBHOOK_TOLERANCE_S },
  };
}
