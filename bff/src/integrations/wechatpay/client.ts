/**
 * WeChat Pay API v3 (direct merchant, JSAPI/mini-program): the only file that speaks to
 * api.mch.weixin.qq.com. Every request is signed with the merchant key; every answer except a 5xx
 * must carry a valid platform signature, or it is refused as `unverified`.
 *
 * Retries: only calls that are safe to repeat (order query, refund query, close) are retried, and only
 * on connection errors, timeouts and 5xx. Prepay and refund are never retried here; both ARE
 * idempotent at WeChat (same out_trade_no + same parameters → the same order and a usable prepay_id;
 * same out_refund_no → one refund), so the caller may repeat them with the SAME parameters after a
 * timeout — never with a new number, or the customer could pay or be refunded twice.
 */
import type { Logger } from '../../logger';
import type { WechatPayConfig } from './config';
import { WechatPayError, providerError } from './errors';
import {
  buildAuthorization,
  rfc3339,
  signRequestPayment,
  timestampFresh,
  unixSeconds,
  verifyPlatformSignature,
  type RequestPaymentParams,
} from './signing';
import {
  OUT_REFUND_NO_RE,
  OUT_TRADE_NO_RE,
  errorBodySchema,
  refundSchema,
  transactionSchema,
  type WechatPayRefund,
  type WechatPayTransaction,
} from './types';

export interface WechatPayClientOptions {
  fetch?: typeof fetch;
  /** Clock (ms), for time_expire, request timestamps and response freshness. */
  now?: () => number;
  /** Waits between attempts of retry-safe calls; its length is the number of retries (default 200 ms, 800 ms). */
  retryDelaysMs?: number[];
  userAgent?: string;
}

export interface PrepayJsapiInput {
  outTradeNo: string;
  /** Shown to the payer in their WeChat bill; ≤ 127 characters. */
  description: string;
  /** Integer minor units (fen). */
  amount: { total: number; currency?: string };
  payerOpenid: string;
  /**
   * When re-requesting a prepay for an existing order, pass the expiry stored with it: WeChat refuses
   * a changed time_expire for the same out_trade_no. Default: now + WECHATPAY_ORDER_TTL_S.
   */
  timeExpire?: Date;
  attach?: string;
  notifyUrl?: string;
}

export interface PrepayResult {
  prepayId: string;
  /** RFC 3339 as sent; store it with the payment order. */
  timeExpire: string;
  /** Ready for `wx.requestPayment` (the prepay_id is valid for 2 hours; re-sign with requestPayment()). */
  requestPayment: RequestPaymentParams;
}

export interface RefundInput {
  /** Deterministic per refund request: repeating it never refunds twice. */
  outRefundNo: string;
  /** One of the two: the merchant order number or WeChat's transaction id. */
  outTradeNo?: string;
  transactionId?: string;
  /** `refund` ≤ what is left of `total`, which must be the original order total. */
  amount: { refund: number; total: number; currency?: string };
  /** Shown to the payer (≤ 80 bytes); omitted by WeChat for partial refunds ≤ 1 yuan. */
  reason?: string;
  notifyUrl?: string;
  /** Where the money comes from; default WeChat's (unsettled funds first). */
  fundsAccount?: 'AVAILABLE' | 'UNSETTLED';
}

export type CloseResult = 'closed' | 'already_closed' | 'not_found';

interface CallSpec {
  api: string;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  retrySafe: boolean;
}

interface Answer {
  status: number;
  body: Buffer;
  requestId?: string;
}

/** Connection failures where the request certainly never reached WeChat. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export class WechatPayClient {
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly retryDelaysMs: number[];
  private readonly userAgent: string;

  constructor(
    private readonly cfg: WechatPayConfig,
    private readonly logger: Logger,
    opts: WechatPayClientOptions = {},
  ) {
    this.fetchFn = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
    this.retryDelaysMs = opts.retryDelaysMs ?? [200, 800];
    this.userAgent = opts.userAgent ?? 'drmoto-bff (WeChat Pay APIv3; node)';
  }

  get mchid(): string {
    return this.cfg.mchid;
  }

  get appId(): string {
    return this.cfg.appId;
  }

  /** `POST /v3/pay/transactions/jsapi` → prepay_id, plus signed `wx.requestPayment` parameters. Never retried. */
  async prepayJsapi(input: PrepayJsapiInput): Promise<PrepayResult> {
    assertInput(OUT_TRADE_NO_RE.test(input.outTradeNo), 'out_trade_no must match ^[0-9A-Za-z_*-]{6,32}$');
    assertInput(Number.isSafeInteger(input.amount.total) && input.amount.total > 0, 'amount.total must be a positive integer (fen)');
    assertInput(input.description.length > 0 && [...input.description].length <= 127, 'description must be 1–127 characters');
    assertInput(input.payerOpenid.length > 0, 'payer openid is required');
    const timeExpire = rfc3339(input.timeExpire ?? new Date(this.now() + this.cfg.orderTtlS * 1000));
    const body = {
      appid: this.cfg.appId,
      mchid: this.cfg.mchid,
      description: input.description,
      out_trade_no: input.outTradeNo,
      time_expire: timeExpire,
      ...(input.attach ? { attach: input.attach } : {}),
      notify_url: input.notifyUrl ?? this.cfg.notifyUrl,
      amount: { total: input.amount.total, currency: input.amount.currency ?? 'CNY' },
      payer: { openid: input.payerOpenid },
    };
    const answer = await this.call({ api: 'prepay', method: 'POST', path: '/v3/pay/transactions/jsapi', body, retrySafe: false });
    if (answer.status !== 200) throw this.failed('prepay', answer);
    const json = parseJson(answer, 'prepay') as { prepay_id?: unknown };
    if (typeof json.prepay_id !== 'string' || !json.prepay_id) throw badResponse('prepay', answer, 'no prepay_id');
    return { prepayId: json.prepay_id, timeExpire, requestPayment: this.requestPayment(json.prepay_id) };
  }

  /** Signs `wx.requestPayment` parameters for a prepay_id (pure; no call to WeChat). */
  requestPayment(prepayId: string): RequestPaymentParams {
    return signRequestPayment({ appId: this.cfg.appId, prepayId, privateKey: this.cfg.privateKey, timeStamp: unixSeconds(this.now()) });
  }

  /** `GET /v3/pay/transactions/out-trade-no/{no}?mchid=…`; undefined when WeChat has no such order (ORDER_NOT_EXIST). */
  async queryByOutTradeNo(outTradeNo: string): Promise<WechatPayTransaction | undefined> {
    assertInput(OUT_TRADE_NO_RE.test(outTradeNo), 'out_trade_no must match ^[0-9A-Za-z_*-]{6,32}$');
    const answer = await this.call({
      api: 'order query',
      method: 'GET',
      path: `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}`,
      query: { mchid: this.cfg.mchid },
      retrySafe: true,
    });
    if (answer.status === 404 && providerCodeOf(answer) === 'ORDER_NOT_EXIST') return undefined;
    if (answer.status !== 200) throw this.failed('order query', answer);
    const parsed = transactionSchema.safeParse(parseJson(answer, 'order query'));
    if (!parsed.success) throw badResponse('order query', answer, 'unexpected transaction shape');
    return parsed.data;
  }

  /**
   * `POST /v3/pay/transactions/out-trade-no/{no}/close` (204). A paid order raises WXPAY_ORDERPAID
   * (409): query it and record the payment instead. Retry-safe: closing twice changes nothing.
   */
  async close(outTradeNo: string): Promise<CloseResult> {
    assertInput(OUT_TRADE_NO_RE.test(outTradeNo), 'out_trade_no must match ^[0-9A-Za-z_*-]{6,32}$');
    const answer = await this.call({
      api: 'close',
      method: 'POST',
      path: `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`,
      body: { mchid: this.cfg.mchid },
      retrySafe: true,
    });
    if (answer.status === 204 || answer.status === 200) return 'closed';
    const code = providerCodeOf(answer);
    if (answer.status < 500 && code === 'ORDER_CLOSED') return 'already_closed';
    if (answer.status === 404 && code === 'ORDER_NOT_EXIST') return 'not_found';
    throw this.failed('close', answer);
  }

  /** `POST /v3/refund/domestic/refunds`. Usually answers PROCESSING; the outcome comes by REFUND.* notification or queryRefund. Never retried here. */
  async refund(input: RefundInput): Promise<WechatPayRefund> {
    assertInput(OUT_REFUND_NO_RE.test(input.outRefundNo), 'out_refund_no must be 1–64 of [0-9A-Za-z_*|@-]');
    assertInput(Boolean(input.outTradeNo) !== Boolean(input.transactionId), 'exactly one of outTradeNo and transactionId');
    assertInput(Number.isSafeInteger(input.amount.refund) && input.amount.refund > 0, 'amount.refund must be a positive integer (fen)');
    assertInput(Number.isSafeInteger(input.amount.total) && input.amount.total >= input.amount.refund, 'amount.total must be an integer ≥ amount.refund');
    const body = {
      ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.outTradeNo }),
      out_refund_no: input.outRefundNo,
      ...(input.reason ? { reason: input.reason } : {}),
      notify_url: input.notifyUrl ?? this.cfg.notifyUrl,
      ...(input.fundsAccount ? { funds_account: input.fundsAccount } : {}),
      amount: { refund: input.amount.refund, total: input.amount.total, currency: input.amount.currency ?? 'CNY' },
    };
    const answer = await this.call({ api: 'refund', method: 'POST', path: '/v3/refund/domestic/refunds', body, retrySafe: false });
    if (answer.status !== 200) throw this.failed('refund', answer);
    const parsed = refundSchema.safeParse(parseJson(answer, 'refund'));
    if (!parsed.success) throw badResponse('refund', answer, 'unexpected refund shape');
    return parsed.data;
  }

  /** `GET /v3/refund/domestic/refunds/{out_refund_no}`; undefined when WeChat has no such refund. */
  async queryRefund(outRefundNo: string): Promise<WechatPayRefund | undefined> {
    assertInput(OUT_REFUND_NO_RE.test(outRefundNo), 'out_refund_no must be 1–64 of [0-9A-Za-z_*|@-]');
    const answer = await this.call({ api: 'refund query', method: 'GET', path: `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`, retrySafe: true });
    if (answer.status === 404 && ['RESOURCE_NOT_EXISTS', 'ORDER_NOT_EXIST'].includes(providerCodeOf(answer) ?? '')) return undefined;
    if (answer.status !== 200) throw this.failed('refund query', answer);
    const parsed = refundSchema.safeParse(parseJson(answer, 'refund query'));
    if (!parsed.success) throw badResponse('refund query', answer, 'unexpected refund shape');
    return parsed.data;
  }

  // -------------------------------------------------------------------------------------------

  private async call(spec: CallSpec): Promise<Answer> {
    const attempts = spec.retrySafe ? this.retryDelaysMs.length + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.attempt(spec);
        if (answer.status >= 500 && attempt < attempts) {
          this.logger.warn('wechatpay retrying after 5xx', { api: spec.api, status: answer.status, attempt, request_id: answer.requestId });
        } else {
          return answer;
        }
      } catch (e) {
        const retryable = e instanceof WechatPayError && (e.kind === 'timeout' || e.kind === 'network');
        if (!retryable || attempt >= attempts) throw e;
        this.logger.warn('wechatpay retrying', { api: spec.api, kind: e.kind, attempt });
      }
      await new Promise((r) => setTimeout(r, this.retryDelaysMs[attempt - 1] ?? 0));
    }
  }

  /** One signed request; returns the verified answer (any status) or throws network/timeout/unverified. */
  private async attempt(spec: CallSpec): Promise<Answer> {
    const url = new URL(this.cfg.apiBase + spec.path);
    if (spec.query) url.search = new URLSearchParams(spec.query).toString();
    const bodyText = spec.body === undefined ? '' : JSON.stringify(spec.body);
    const authorization = buildAuthorization({
      mchid: this.cfg.mchid,
      serialNo: this.cfg.merchantSerial,
      privateKey: this.cfg.privateKey,
      method: spec.method,
      pathAndQuery: url.pathname + url.search,
      body: bodyText,
      timestamp: unixSeconds(this.now()),
    });
    const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json', 'User-Agent': this.userAgent };
    if (bodyText) headers['Content-Type'] = 'application/json';

    let res: Response;
    let body: Buffer;
    try {
      // One deadline for the answer and its body: a stalled body is a timeout too.
      res = await this.fetchFn(url, { method: spec.method, headers, body: bodyText || undefined, signal: AbortSignal.timeout(this.cfg.timeoutMs) });
      body = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      throw this.transportError(spec, e);
    }
    const requestId = res.headers.get('request-id') ?? undefined;
    // A 5xx carries no business meaning; an attacker forging one can only cause a retry.
    if (res.status >= 500) return { status: res.status, body, requestId };
    this.verifyAnswer(spec, res, body, requestId);
    return { status: res.status, body, requestId };
  }

  private verifyAnswer(spec: CallSpec, res: Response, body: Buffer, requestId?: string): void {
    const timestamp = res.headers.get('wechatpay-timestamp');
    const nonce = res.headers.get('wechatpay-nonce');
    const signature = res.headers.get('wechatpay-signature');
    const serial = res.headers.get('wechatpay-serial');
    let problem: string | undefined;
    if (!timestamp || !nonce || !signature || !serial) problem = 'unsigned';
    else {
      const check = verifyPlatformSignature({ keyring: this.cfg.platformKeys, serial, signature, timestamp, nonce, body });
      if (check !== 'ok') problem = check;
      else if (!timestampFresh(timestamp, this.now())) problem = 'stale_timestamp';
    }
    if (!problem) return;
    // For diagnosis only (e.g. an unsigned 401 SIGN_ERROR after a key mix-up): never acted upon.
    const unverifiedCode = res.status >= 400 ? errorBodySchema.safeParse(tryJson(body)).data?.code : undefined;
    // Includes WeChat's SIGNTEST probes on answers: treated like a forgery, but expected now and then.
    this.logger[problem === 'signtest' ? 'warn' : 'error']('wechatpay answer failed verification', { api: spec.api, status: res.status, problem, serial, request_id: requestId, unverified_code: unverifiedCode });
    throw new WechatPayError('upstream_error', `WeChat Pay's ${spec.api} answer could not be verified.`, 'unverified', {
      code: 'WXPAY_UNVERIFIED_RESPONSE',
      httpStatus: res.status,
      requestId,
      // The request reached someone who answered; for a prepay/refund, WeChat may have acted on it.
      mayHaveTakenEffect: true,
      retryAfterS: 5,
    });
  }

  private transportError(spec: CallSpec, e: unknown): WechatPayError {
    // By name, not instanceof: undici's DOMException may come from another realm (jest, workers).
    const name = e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    if (timedOut) {
      this.logger.warn('wechatpay timeout', { api: spec.api, timeout_ms: this.cfg.timeoutMs });
      return new WechatPayError('dependency_unavailable', `WeChat Pay ${spec.api} timed out.`, 'timeout', { code: 'WXPAY_TIMEOUT', mayHaveTakenEffect: true, retryAfterS: 5, cause: e });
    }
    const code = causeCode(e);
    this.logger.warn('wechatpay unreachable', { api: spec.api, error: code ?? (e instanceof Error ? e.message : String(e)) });
    return new WechatPayError('dependency_unavailable', 'WeChat Pay is unreachable.', 'network', {
      code: 'WXPAY_UNAVAILABLE',
      mayHaveTakenEffect: !(code && NOT_SENT.has(code)),
      retryAfterS: 5,
      cause: e,
    });
  }

  private failed(api: string, answer: Answer): WechatPayError {
    const parsed = errorBodySchema.safeParse(tryJson(answer.body));
    const err = providerError(answer.status, parsed.success ? parsed.data.code : undefined, parsed.success ? parsed.data.message : undefined, answer.requestId, api);
    this.logger[err.kind === 'config' ? 'error' : 'warn']('wechatpay error answer', {
      api,
      status: answer.status,
      code: err.info.providerCode,
      message: err.info.providerMessage,
      request_id: answer.requestId,
    });
    return err;
  }
}

function assertInput(ok: boolean, message: string): asserts ok {
  // A programming error in the calling service, caught before anything is sent.
  if (!ok) throw new WechatPayError('unprocessable', `Invalid WeChat Pay request: ${message}.`, 'business', { code: 'WXPAY_INVALID_INPUT', mayHaveTakenEffect: false });
}

function tryJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function providerCodeOf(answer: Answer): string | undefined {
  const parsed = errorBodySchema.safeParse(tryJson(answer.body));
  return parsed.success ? parsed.data.code : undefined;
}

function parseJson(answer: Answer, api: string): Record<string, unknown> {
  const json = tryJson(answer.body);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw badResponse(api, answer, 'body is not a JSON object');
  return json as Record<string, unknown>;
}

function badResponse(api: string, answer: Answer, why: string): WechatPayError {
  return new WechatPayError('upstream_error', `WeChat Pay's ${api} answer was not understood (${why}).`, 'bad_response', {
    code: 'WXPAY_BAD_RESPONSE',
    httpStatus: answer.status,
    requestId: answer.requestId,
    mayHaveTakenEffect: true,
  });
}

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
