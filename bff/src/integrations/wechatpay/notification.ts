/**
 * Verification of WeChat Pay v3 notifications (the notify_url webhook). Only authenticity and
 * decryption live here; whether the mchid/appid/amount make sense for an order is the service's call.
 */
import type { KeyObject } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_S,
  DecryptError,
  apiV3KeyObject,
  decryptResource,
  timestampFresh,
  verifyPlatformSignature,
  type PlatformKeyring,
} from './signing';
import {
  notificationEnvelopeSchema,
  refundNoticeSchema,
  transactionSchema,
  type NotificationEnvelope,
  type WechatPayRefundNotice,
  type WechatPayTransaction,
} from './types';

export const NOTIFICATION_REJECT_REASONS = ['missing_headers', 'signtest', 'stale_timestamp', 'unknown_serial', 'bad_signature', 'malformed', 'decrypt_failed'] as const;
export type NotificationRejectReason = (typeof NOTIFICATION_REJECT_REASONS)[number];

const MESSAGES: Record<NotificationRejectReason, string> = {
  missing_headers: 'missing Wechatpay-* signature headers',
  signtest: 'signature probe rejected',
  stale_timestamp: 'timestamp outside the allowed window',
  unknown_serial: 'unknown Wechatpay-Serial',
  bad_signature: 'signature verification failed',
  malformed: 'malformed notification body',
  decrypt_failed: 'resource decryption failed',
};

/**
 * Raised for every notification that must not be processed. The webhook answers it with a failure: WeChat retries on
 * any non-2xx, and its SIGNTEST probes expect exactly a failure.
 */
export class NotificationRejected extends Error {
  constructor(
    readonly reason: NotificationRejectReason,
    /** Internal detail for logs; never sent back. */
    readonly detail?: string,
  ) {
    super(`WeChat Pay notification rejected: ${MESSAGES[reason]}${detail ? ` (${detail})` : ''}`);
    this.name = 'NotificationRejected';
  }

  /** The reason in a few words, safe to send back to WeChat. */
  get publicMessage(): string {
    return MESSAGES[this.reason];
  }
}

export type VerifiedNotification =
  | { kind: 'transaction'; event: NotificationEnvelope; resource: WechatPayTransaction }
  | { kind: 'refund'; event: NotificationEnvelope; resource: WechatPayRefundNotice }
  /** A verified event of a type this adapter does not model; acknowledge it and move on. */
  | { kind: 'other'; event: NotificationEnvelope; resource: Record<string, unknown> }
  /**
   * Signed and decrypted (the GCM tag proves it is WeChat's), but the resource is not what its type promises: a
   * permanent oddity to keep and look at, not a forgery — WeChat would only send the same bytes again.
   */
  | { kind: 'unreadable'; event: NotificationEnvelope; resource: unknown; problem: string };

export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

export interface NotificationInput {
  headers: HeaderBag;
  /** The exact request bytes (express.raw). A re-serialized JSON object will not verify. */
  rawBody: Buffer | string;
  /** Defaults to the current time. */
  now?: Date | number;
}

export interface NotificationVerifierConfig {
  platformKeys: PlatformKeyring;
  apiV3Key: string | KeyObject;
  /** Allowed clock difference in seconds (default 300). */
  toleranceS?: number;
}

function header(headers: HeaderBag, name: string): string | undefined {
  // Duck-typed: a fetch Headers from another realm (jest, undici) fails instanceof.
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) || undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(bag)) {
    if (k.toLowerCase() !== wanted) continue;
    const value = Array.isArray(v) ? v[0] : v;
    return value === undefined || value === '' ? undefined : value;
  }
  return undefined;
}

/**
 * Checks, in this order: the four Wechatpay-* headers are there; the signature is not a
 * `WECHATPAY/SIGNTEST/` probe; the timestamp is within ±5 minutes; the serial names a configured
 * platform key; RSA-SHA256 over `timestamp\nnonce\nbody\n` verifies; the body is a notification
 * envelope; the AES-256-GCM resource decrypts (the tag doubles as tamper detection) and parses.
 */
export function verifyNotification(input: NotificationInput, cfg: NotificationVerifierConfig): VerifiedNotification {
  const timestamp = header(input.headers, 'wechatpay-timestamp');
  const nonce = header(input.headers, 'wechatpay-nonce');
  const signature = header(input.headers, 'wechatpay-signature');
  const serial = header(input.headers, 'wechatpay-serial');
  if (!timestamp || !nonce || !signature || !serial) {
    const missing = Object.entries({ timestamp, nonce, signature, serial })
      .filter(([, v]) => !v)
      .map(([k]) => `Wechatpay-${k[0]!.toUpperCase()}${k.slice(1)}`);
    throw new NotificationRejected('missing_headers', missing.join(', '));
  }
  // A probe is rejected before anything else is judged, so it never counts as an attack signal.
  if (signature.startsWith('WECHATPAY/SIGNTEST/')) throw new NotificationRejected('signtest');
  const nowMs = input.now === undefined ? Date.now() : typeof input.now === 'number' ? input.now : input.now.getTime();
  if (!timestampFresh(timestamp, nowMs, cfg.toleranceS ?? DEFAULT_TOLERANCE_S)) throw new NotificationRejected('stale_timestamp', `timestamp ${timestamp.slice(0, 16)}`);

  const body = typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody;
  const check = verifyPlatformSignature({ keyring: cfg.platformKeys, serial, signature, timestamp, nonce, body });
  if (check === 'unknown_serial') throw new NotificationRejected('unknown_serial', `serial ${serial.slice(0, 64)}`);
  if (check !== 'ok') throw new NotificationRejected('bad_signature', `serial ${serial.slice(0, 64)}`);

  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new NotificationRejected('malformed', 'body is not JSON');
  }
  const envelope = notificationEnvelopeSchema.safeParse(json);
  if (!envelope.success) throw new NotificationRejected('malformed', 'not a notification envelope');
  const event = envelope.data;
  if (event.resource.algorithm !== 'AEAD_AES_256_GCM') throw new NotificationRejected('malformed', `algorithm ${event.resource.algorithm.slice(0, 32)}`);

  let plaintext: string;
  try {
    plaintext = decryptResource(event.resource, apiV3KeyObject(cfg.apiV3Key));
  } catch (e) {
    if (e instanceof DecryptError) throw new NotificationRejected('decrypt_failed', e.message);
    throw e;
  }
  let resource: unknown;
  try {
    resource = JSON.parse(plaintext);
  } catch {
    return { kind: 'unreadable', event, resource: plaintext.slice(0, 4096), problem: 'decrypted resource is not JSON' };
  }

  const type = event.resource.original_type ?? '';
  if (event.event_type.startsWith('TRANSACTION.') || type === 'transaction') {
    const parsed = transactionSchema.safeParse(resource);
    if (!parsed.success) return { kind: 'unreadable', event, resource, problem: `transaction resource shape: ${issues(parsed.error)}` };
    return { kind: 'transaction', event, resource: parsed.data };
  }
  if (event.event_type.startsWith('REFUND.') || type === 'refund') {
    const parsed = refundNoticeSchema.safeParse(resource);
    if (!parsed.success) return { kind: 'unreadable', event, resource, problem: `refund resource shape: ${issues(parsed.error)}` };
    return { kind: 'refund', event, resource: parsed.data };
  }
  if (!resource || typeof resource !== 'object' || Array.isArray(resource)) return { kind: 'unreadable', event, resource, problem: 'resource is not an object' };
  return { kind: 'other', event, resource: resource as Record<string, unknown> };
}

/** The schema's complaints in a line (paths only: values are the sender's). */
function issues(e: { issues: Array<{ path: PropertyKey[]; code: string }> }): string {
  return e.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'} ${i.code}`)
    .join('; ');
}

/** The same check bound to one merchant's keys (what the container builds once). */
export class WechatPayNotificationVerifier {
  constructor(private readonly cfg: NotificationVerifierConfig) {}

  verifyNotification(input: NotificationInput): VerifiedNotification {
    return verifyNotification(input, this.cfg);
  }
}
