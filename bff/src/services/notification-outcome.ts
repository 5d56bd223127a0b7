import type { NotificationRejectReason } from '../integrations/wechatpay/notification';

/**
 * What became of a provider's notification (a WeChat Pay notify, a Stripe event). The services say it in these words;
 * `routes/webhooks` alone turns it into each provider's reply, so no service knows a status code.
 */
export type NotificationOutcome =
  /** Verified and acted on: a ledger row, a refund's progress, a payment order's state. */
  | { outcome: 'recorded' }
  /** Verified, and handled before: the notification came again (WeChat: its transaction is in the ledger already). */
  | { outcome: 'duplicate' }
  /** Verified money that matches no open order (wrong amount, paid or closed order): held for a manager. */
  | { outcome: 'suspense' }
  /**
   * Verified, but nothing the ledger can take (an amount ≤ 0, an unknown currency, another merchant, a resource of the
   * wrong shape): kept once in the quarantine with an alert. Acknowledged: the provider would only send it again.
   */
  | { outcome: 'quarantined' }
  /** Verified, with nothing (more) to do: an event we don't act on, a state that is not final, a charge already recorded. */
  | { outcome: 'ignored' }
  /**
   * Not to be trusted (bad signature, stale, a probe, an envelope that can't be read): the provider must see a failure.
   * A verified notification for another merchant is not this: it is quarantined (WeChat signed it; refusing it only
   * makes it come again).
   * `message` is a short text safe to send back; the details stay in the logs.
   */
  | { outcome: 'rejected'; reason: NotificationRejection; message: string }
  /** This server has no settings for the provider. */
  | { outcome: 'not_configured' };

/** The verifier's reasons (Stripe's failures are all `bad_signature`). */
export type NotificationRejection = NotificationRejectReason;
