/**
 * The one error type of the BFF: a closed list of kinds saying what went wrong, in the words of the use case, and no
 * HTTP status. `http/problem.ts` alone turns a kind into an RFC 9457 problem (status, type, title, headers), so
 * gateways and services say what happened and never how a transport answers it. Anything else that escapes is a bug.
 */
export const ERROR_KINDS = [
  /** The request can't be read at all (not JSON, a malformed header, a missing Idempotency-Key). */
  'invalid_input',
  /** Some fields break their rules; `errors[]` names each. */
  'validation',
  /** No principal, or a token that is expired, forged or already used. */
  'unauthenticated',
  /** A known principal that may not do this. */
  'forbidden',
  'not_found',
  /** The record's state forbids it, or a unique value is taken. */
  'conflict',
  /** The change was based on a revision that has moved on (the addon's DRM_STALE). */
  'stale',
  'payload_too_large',
  'unsupported_media_type',
  /** Well-formed and allowed, but the business rules refuse it (Odoo's validation, a provider's refusal). */
  'unprocessable',
  /** Too many attempts; `retryAfterS` says when to try again. */
  'rate_limited',
  /** A dependency answered something we can't use (an Odoo traceback, an unverifiable or unreadable answer). */
  'upstream_error',
  /** A dependency is down, busy or refusing our credentials; `retryAfterS` says when to try again. */
  'dependency_unavailable',
  /** A capability whose settings are not on this server (WeChat Pay, Stripe, media storage). */
  'not_configured',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface FieldError {
  /** JSON pointer-ish path, e.g. `body.phone` or `query.limit`. */
  path: string;
  message: string;
  code?: string;
}

export class AppError extends Error {
  constructor(
    readonly type: ErrorKind,
    message: string,
    readonly extra: {
      /** A stable machine code, e.g. DRM_DUP_PLATE (from Odoo) or our own. */
      code?: string;
      errors?: FieldError[];
      /** Extra public members of the answer (must contain nothing internal). */
      details?: Record<string, unknown>;
      /** When trying again makes sense, in seconds. */
      retryAfterS?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: extra.cause });
    this.name = 'AppError';
  }

  get code(): string | undefined {
    return this.extra.code;
  }
}

/**
 * Kinds that say "this request, as made, will not succeed": repeating it unchanged is pointless (a job gives up, an
 * upload is rejected). The others are the dependency's or the moment's fault and may pass later.
 */
const REFUSALS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'invalid_input',
  'validation',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'stale',
  'payload_too_large',
  'unsupported_media_type',
  'unprocessable',
]);

export function isRefusal(e: unknown): e is AppError {
  return e instanceof AppError && REFUSALS.has(e.type);
}
