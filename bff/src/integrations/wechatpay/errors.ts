import { AppError, type ErrorKind } from '../../errors';

export type WechatPayErrorKind =
  /** WeChat refused the request for a business reason (verified 4xx with a `code`). */
  | 'business'
  /** WeChat refused our credentials or merchant setup (SIGN_ERROR, NO_AUTH, MCH_NOT_EXISTS…): an operator must act. */
  | 'config'
  /** WeChat answered 5xx or rate-limited us; retry later with the same parameters. */
  | 'unavailable'
  /** No answer in time; the request may or may not have been applied. */
  | 'timeout'
  /** No connection could be made (DNS, refused, reset before an answer). */
  | 'network'
  /** The answer was unsigned, forged, stale or a SIGNTEST probe: nothing in it can be trusted. */
  | 'unverified'
  /** A verified answer that is not what the API documents (bad JSON, missing fields). */
  | 'bad_response';

/**
 * The one error the WeChat Pay client throws. It is an AppError (so routes map it to a problem body)
 * with the provider's details for services and logs.
 */
export class WechatPayError extends AppError {
  constructor(
    type: ErrorKind,
    message: string,
    readonly kind: WechatPayErrorKind,
    readonly info: {
      code: string;
      /** WeChat's own `code` (e.g. ORDERPAID), when it sent one. */
      providerCode?: string;
      /** WeChat's `message`: for logs only, it is not meant for end users. */
      providerMessage?: string;
      httpStatus?: number;
      /** The `Request-ID` response header, to quote to WeChat support. */
      requestId?: string;
      /** True when the call may have been applied at WeChat although it failed here (timeouts, unverified answers). */
      mayHaveTakenEffect: boolean;
      retryAfterS?: number;
      cause?: unknown;
    },
  ) {
    super(type, message, { code: info.code, retryAfterS: info.retryAfterS, cause: info.cause });
    this.name = 'WechatPayError';
  }
}

/** Codes that mean "our setup is wrong", not "this order is in a state that forbids it". */
const CONFIG_CODES = new Set(['SIGN_ERROR', 'NO_AUTH', 'MCH_NOT_EXISTS', 'APPID_MCHID_NOT_MATCH', 'ACCOUNT_ERROR', 'INVALID_REQUEST_SIGNATURE']);
/** The order/refund is in a state that conflicts with the request. INVALID_REQUEST on a repeated
 *  out_trade_no means "different parameters than the first request" (e.g. another amount). */
const CONFLICT_CODES = new Set(['ORDERPAID', 'ORDER_CLOSED', 'OUT_TRADE_NO_USED', 'INVALID_REQUEST', 'USER_PAYING', 'TRADE_STATE_ERROR']);

/** Maps a verified WeChat error answer to a WechatPayError. */
export function providerError(httpStatus: number, providerCode: string | undefined, providerMessage: string | undefined, requestId: string | undefined, api: string): WechatPayError {
  const code = `WXPAY_${(providerCode ?? `HTTP_${httpStatus}`).replace(/[^A-Z0-9_]/gi, '_').toUpperCase()}`;
  const base = { code, providerCode, providerMessage, httpStatus, requestId };
  if (httpStatus >= 500) {
    return new WechatPayError('dependency_unavailable', `WeChat Pay ${api} is temporarily unavailable.`, 'unavailable', { ...base, mayHaveTakenEffect: true, retryAfterS: 5 });
  }
  if (httpStatus === 429 || providerCode === 'FREQUENCY_LIMITED') {
    return new WechatPayError('dependency_unavailable', `WeChat Pay ${api} is rate limited; try again shortly.`, 'unavailable', { ...base, mayHaveTakenEffect: false, retryAfterS: 10 });
  }
  if (httpStatus === 401 || (providerCode && CONFIG_CODES.has(providerCode))) {
    return new WechatPayError('dependency_unavailable', 'WeChat Pay rejected the merchant credentials.', 'config', { ...base, mayHaveTakenEffect: false, retryAfterS: 60 });
  }
  if (providerCode && CONFLICT_CODES.has(providerCode)) {
    return new WechatPayError('conflict', `WeChat Pay ${api} conflicts with the order's state (${providerCode}).`, 'business', { ...base, mayHaveTakenEffect: false });
  }
  return new WechatPayError('unprocessable', `WeChat Pay refused ${api} (${providerCode ?? httpStatus}).`, 'business', { ...base, mayHaveTakenEffect: false });
}

/** What the pay endpoints answer while WECHATPAY_* is unset. */
export function wechatPayNotConfigured(): AppError {
  return new AppError('not_configured', 'WeChat Pay is not configured on this server.', { code: 'WECHATPAY_NOT_CONFIGURED' });
}
