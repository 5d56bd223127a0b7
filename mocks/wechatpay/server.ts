import http from 'node:http';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomInt, randomUUID, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  AUTH_SCHEMA,
  SIGNTEST_PREFIX,
  encryptResource,
  nonceStr,
  parseAuthorization,
  requestMessage,
  responseMessage,
  rfc3339,
  signBase64,
  unixSeconds,
  verifyBase64,
} from '../../bff/src/integrations/wechatpay/signing';
import { randomSerial, selfSignedCertificate } from './x509';

/**
 * A stand-in for the WeChat Pay v3 platform (direct merchant, JSAPI), for the demo and tests:
 *
 *  - `POST /v3/pay/transactions/jsapi`, `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`,
 *    `POST /v3/pay/transactions/out-trade-no/{no}/close`, `POST /v3/refund/domestic/refunds`,
 *    `GET /v3/refund/domestic/refunds/{out_refund_no}` — each checks the merchant's Authorization
 *    signature with the merchant public key, and every answer (errors too) is signed with a platform
 *    key, headers as WeChat sends them;
 *  - two platform keys, like WeChat's two modes: a certificate named by its serial, and a WeChat Pay
 *    public key named `PUB_KEY_ID_…`; `signWith` picks which one signs (switch with `useKey()`);
 *  - a merchant key pair and an APIv3 key generated at start, so `env()` is a complete BFF config;
 *  - "the customer pays" (`pay()`, `POST /__mock/pay`) and "the refund completes" (`completeRefund()`,
 *    `POST /__mock/refund`): state changes plus signed, encrypted notifications to notify_url, with
 *    duplicates, lost notifications, forgeries and wrong amounts on demand; every delivery and the
 *    receiver's answer is recorded in `deliveries`;
 *  - `inject()` for failures of the API itself (5xx, delays, dropped connections, unsigned or forged answers).
 */

export type PlatformKeyMode = 'certificate' | 'public_key';
export type ForgeKind = 'signature' | 'serial' | 'timestamp' | 'ciphertext' | 'signtest';
export const FORGE_KINDS: readonly ForgeKind[] = ['signature', 'serial', 'timestamp', 'ciphertext', 'signtest'];

export interface MockKeyMaterial {
  merchant: { serial: string; privateKeyPem: string; publicKeyPem: string };
  certificate: { serial: string; certificatePem: string; privateKeyPem: string };
  publicKey: { id: string; publicKeyPem: string; privateKeyPem: string };
}

/** RSA-2048 generation costs ~50–200 ms a key: generate once and pass `keys` to several mocks. */
export function generateMockKeys(): MockKeyMaterial {
  const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  const m = pair();
  const c = pair();
  const p = pair();
  const certSerial = randomSerial();
  const pem = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();
  return {
    merchant: { serial: randomSerial(), privateKeyPem: pem(m.privateKey, 'pkcs8'), publicKeyPem: pem(m.publicKey, 'spki') },
    certificate: {
      serial: certSerial,
      certificatePem: selfSignedCertificate({ publicKey: c.publicKey, privateKey: c.privateKey, serialHex: certSerial, commonName: 'Tenpay.com sign' }),
      privateKeyPem: pem(c.privateKey, 'pkcs8'),
    },
    publicKey: { id: `PUB_KEY_ID_01${randomDigits(32)}`, publicKeyPem: pem(p.publicKey, 'spki'), privateKeyPem: pem(p.privateKey, 'pkcs8') },
  };
}

export interface WechatPayMockOptions {
  port?: number;
  host?: string;
  mchid?: string;
  appid?: string;
  /** 32 bytes; random by default. */
  apiV3Key?: string;
  /** Which platform key signs answers and notifications (default `public_key`). */
  signWith?: PlatformKeyMode;
  keys?: MockKeyMaterial;
  /** Clock for signatures, expiry and success_time. */
  now?: () => number;
  /** How long a notify_url may take to answer (WeChat waits about 5 s). */
  notifyTimeoutMs?: number;
  /** Complete every refund (SUCCESS + notification) this many ms after it is created; unset = wait for completeRefund(). */
  autoCompleteRefundsMs?: number;
}

export interface MockOrder {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  time_expire?: string;
  attach?: string;
  notify_url: string;
  amount: { total: number; currency: string };
  payer: { openid: string };
  prepay_id: string;
  trade_state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
  transaction_id?: string;
  success_time?: string;
  /** What the payer actually paid (differs from amount.total only in anomaly tests). */
  paid_total?: number;
  created_at: string;
}

export interface MockRefund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  reason?: string;
  notify_url?: string;
  funds_account?: string;
  status: 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';
  create_time: string;
  success_time?: string;
  amount: { total: number; refund: number; currency: string };
}

export interface Delivery {
  url: string;
  notification_id: string;
  event_type: string;
  /** Set when this delivery was deliberately forged. */
  forged?: ForgeKind;
  /** The receiver's HTTP status; 0 when it could not be reached. */
  status: number;
  body: string;
  error?: string;
  at: string;
}

export interface DeliveryOptions {
  /** Deliver the same notification (same id) this many more times, as WeChat does when it retries. */
  duplicate?: number;
  /** Send the duplicates at the same moment instead of one after the other. */
  concurrent?: boolean;
  /** Change state but never notify (the reconciler has to find it). */
  lose?: boolean;
  /** Send a forged notification instead, and change nothing. */
  forge?: ForgeKind;
  /** Wait before the first delivery. */
  delayMs?: number;
}

export interface PayOptions extends DeliveryOptions {
  /** Report this total instead of the ordered one (anomaly tests: wrong amount). */
  amount?: number;
  /** Pay even after time_expire (WeChat would not; for late-payment tests). */
  ignoreExpiry?: boolean;
}

export interface RefundCompletion extends DeliveryOptions {
  status?: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
}

export interface InjectedFault {
  method?: string;
  /** Substring or pattern of the request path (with query). */
  path?: string | RegExp;
  /** How many matching requests this applies to (default 1). */
  times?: number;
  /** Answer with this status and body (default body `{code: 'SYSTEM_ERROR'}` for 5xx). */
  status?: number;
  body?: unknown;
  /** Wait this long before answering (longer than the client's timeout = a timeout). */
  delayMs?: number;
  /** Drop the connection without answering. */
  destroy?: boolean;
  /** Serve the real answer but break its signature headers. */
  answer?: 'unsigned' | 'forged' | 'signtest' | 'stale' | 'unknown_serial';
}

export interface RecordedCall {
  method: string;
  path: string;
  body?: unknown;
  /** Whether the merchant signature verified. */
  authorized: boolean;
  status: number;
}

export interface WechatPayMock {
  url: string;
  merchant: { mchid: string; appid: string; serial: string; privateKeyPem: string; publicKeyPem: string; apiV3Key: string };
  /** What the BFF must trust: the certificate (by serial) and the public key (by PUB_KEY_ID_…). */
  platformKeys: { id: string; pem: string; kind: PlatformKeyMode }[];
  keys: MockKeyMaterial;
  /** The WECHATPAY_* env of a BFF pointed at this mock. */
  env(notifyUrl?: string): Record<string, string>;
  /** Switch the signing key (rotation tests). */
  useKey(mode: PlatformKeyMode): void;
  readonly signingKeyId: string;
  orders: Map<string, MockOrder>;
  refunds: Map<string, MockRefund>;
  calls: RecordedCall[];
  deliveries: Delivery[];
  pay(outTradeNo: string, opts?: PayOptions): Promise<{ transaction?: Record<string, unknown>; notificationId?: string; deliveries: Delivery[] }>;
  completeRefund(outRefundNo: string, opts?: RefundCompletion): Promise<{ refund?: Record<string, unknown>; notificationId?: string; deliveries: Delivery[] }>;
  /** Send an already-delivered notification again (same id, fresh signature). */
  redeliver(notificationId: string): Promise<Delivery>;
  /** A signed notification without sending it (tests call their handler directly). */
  buildNotification(input: { eventType: string; originalType: 'transaction' | 'refund'; resource: Record<string, unknown>; id?: string; forge?: ForgeKind; summary?: string }): {
    id: string;
    headers: Record<string, string>;
    body: string;
  };
  /** The transaction resource as the order query would return it. */
  transactionOf(outTradeNo: string): Record<string, unknown>;
  inject(fault: InjectedFault): void;
  reset(): void;
  close(): Promise<void>;
}

function randomDigits(n: number): string {
  let s = '';
  while (s.length < n) s += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return s.slice(0, n);
}

function randomAlnum(n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(n), (b) => abc[b % abc.length]).join('');
}

/** What the mock's actions throw (unknown order, wrong state); `status`/`code` mirror the control endpoint's answer. */
export class WechatPayMockError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MOCK_OUT_TRADE_NO_RE = /^[0-9A-Za-z_\-|*]{6,32}$/; // WeChat's own rule (wider than the BFF's)
const OUT_REFUND_NO_RE = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const STATE_DESC: Record<MockOrder['trade_state'], string> = { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '订单已关闭', REFUND: '转入退款' };

export async function startWechatPayMock(opts: WechatPayMockOptions = {}): Promise<WechatPayMock> {
  const keys = opts.keys ?? generateMockKeys();
  const now = opts.now ?? Date.now;
  const mchid = opts.mchid ?? '1900000109';
  const appid = opts.appid ?? 'wx_demo_appid';
  const apiV3Key = opts.apiV3Key ?? randomAlnum(32);
  if (Buffer.byteLength(apiV3Key) !== 32) throw new Error('apiV3Key must be 32 bytes');
  const merchantPublic = createPublicKey(keys.merchant.publicKeyPem);
  const signers: Record<PlatformKeyMode, { id: string; key: KeyObject }> = {
    certificate: { id: keys.certificate.serial, key: createPrivateKey(keys.certificate.privateKeyPem) },
    public_key: { id: keys.publicKey.id, key: createPrivateKey(keys.publicKey.privateKeyPem) },
  };
  let signing: PlatformKeyMode = opts.signWith ?? 'public_key';
  const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  const orders = new Map<string, MockOrder>();
  const refunds = new Map<string, MockRefund>();
  const calls: RecordedCall[] = [];
  const deliveries: Delivery[] = [];
  const sent = new Map<string, { url: string; eventType: string; originalType: 'transaction' | 'refund'; resource: Record<string, unknown>; summary: string }>();
  let faults: (InjectedFault & { left: number })[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const background = new Set<Promise<unknown>>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  const nowRfc = () => rfc3339(new Date(now()));

  // -------------------------------------------------------------------------------------------
  // Signing of answers and notifications

  function signatureHeaders(body: string, variant?: InjectedFault['answer'] | ForgeKind): Record<string, string> {
    const signer = signers[signing];
    const stale = variant === 'stale' || variant === 'timestamp';
    const timestamp = unixSeconds(now() - (stale ? 10 * 60_000 : 0));
    const nonce = nonceStr().toUpperCase();
    let signature = signBase64(responseMessage(timestamp, nonce, body), variant === 'forged' || variant === 'signature' ? strangerKey : signer.key);
    if (variant === 'signtest') signature = SIGNTEST_PREFIX + randomBytes(64).toString('base64');
    const serial = variant === 'unknown_serial' || variant === 'serial' ? `PUB_KEY_ID_99${randomDigits(32)}` : signer.id;
    return {
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Serial': serial,
      'Wechatpay-Signature-Type': AUTH_SCHEMA,
    };
  }

  function buildNotification(input: Parameters<WechatPayMock['buildNotification']>[0]): ReturnType<WechatPayMock['buildNotification']> {
    const id = input.id ?? randomUUID();
    const enc = encryptResource(JSON.stringify(input.resource), apiV3Key, { associatedData: input.originalType, originalType: input.originalType });
    if (input.forge === 'ciphertext') {
      // Flip a byte of the ciphertext but sign the result properly: only the GCM tag can catch it.
      const ct = Buffer.from(enc.ciphertext, 'base64');
      ct[0] = (ct[0] as number) ^ 0xff;
      enc.ciphertext = ct.toString('base64');
    }
    const envelope = {
      id,
      create_time: nowRfc(),
      resource_type: 'encrypt-resource',
      event_type: input.eventType,
      summary: input.summary ?? (input.originalType === 'transaction' ? '支付成功' : '退款成功'),
      resource: { original_type: input.originalType, algorithm: enc.algorithm, ciphertext: enc.ciphertext, associated_data: enc.associated_data, nonce: enc.nonce },
    };
    const body = JSON.stringify(envelope);
    const headers = { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0', ...signatureHeaders(body, input.forge === 'ciphertext' ? undefined : input.forge) };
    return { id, headers, body };
  }

  async function deliverOnce(url: string, notification: { id: string; headers: Record<string, string>; body: string }, eventType: string, forged?: ForgeKind): Promise<Delivery> {
    const at = nowRfc();
    try {
      const res = await fetch(url, { method: 'POST', headers: notification.headers, body: notification.body, signal: AbortSignal.timeout(opts.notifyTimeoutMs ?? 5_000) });
      const d: Delivery = { url, notification_id: notification.id, event_type: eventType, forged, status: res.status, body: await res.text(), at };
      deliveries.push(d);
      return d;
    } catch (e) {
      const d: Delivery = { url, notification_id: notification.id, event_type: eventType, forged, status: 0, body: '', error: e instanceof Error ? e.message : String(e), at };
      deliveries.push(d);
      return d;
    }
  }

  async function notify(
    url: string,
    input: { eventType: string; originalType: 'transaction' | 'refund'; resource: Record<string, unknown>; summary?: string },
    o: DeliveryOptions,
  ): Promise<{ notificationId: string; deliveries: Delivery[] }> {
    const id = randomUUID();
    if (!o.forge) sent.set(id, { url, ...input, summary: input.summary ?? '' });
    if (o.delayMs) await sleep(o.delayMs);
    const count = 1 + Math.max(0, o.duplicate ?? 0);
    // Each delivery is signed afresh (new timestamp and nonce) around the same envelope id.
    const one = () => deliverOnce(url, buildNotification({ ...input, id, forge: o.forge }), input.eventType, o.forge);
    const results: Delivery[] = [];
    if (o.concurrent) results.push(...(await Promise.all(Array.from({ length: count }, one))));
    else for (let i = 0; i < count; i++) results.push(await one());
    return { notificationId: id, deliveries: results };
  }

  // -------------------------------------------------------------------------------------------
  // Resources

  function transactionOf(outTradeNo: string): Record<string, unknown> {
    const o = orders.get(outTradeNo);
    if (!o) throw new Error(`no order ${outTradeNo}`);
    const paid = o.trade_state === 'SUCCESS' || o.trade_state === 'REFUND';
    const base: Record<string, unknown> = {
      appid: o.appid,
      mchid: o.mchid,
      out_trade_no: o.out_trade_no,
      trade_state: o.trade_state,
      trade_state_desc: STATE_DESC[o.trade_state],
      payer: { openid: o.payer.openid },
      amount: { total: o.amount.total, currency: o.amount.currency, payer_currency: o.amount.currency },
    };
    if (o.transaction_id) base.transaction_id = o.transaction_id;
    if (!paid) return base;
    const total = o.paid_total ?? o.amount.total;
    return {
      ...base,
      trade_type: 'JSAPI',
      bank_type: 'OTHERS',
      attach: o.attach ?? '',
      success_time: o.success_time,
      amount: { total, payer_total: total, currency: o.amount.currency, payer_currency: o.amount.currency },
      promotion_detail: [],
    };
  }

  function refundOf(r: MockRefund): Record<string, unknown> {
    return {
      refund_id: r.refund_id,
      out_refund_no: r.out_refund_no,
      transaction_id: r.transaction_id,
      out_trade_no: r.out_trade_no,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(r.success_time ? { success_time: r.success_time } : {}),
      create_time: r.create_time,
      status: r.status,
      funds_account: r.funds_account ?? 'AVAILABLE',
      amount: {
        total: r.amount.total,
        refund: r.amount.refund,
        from: [],
        payer_total: r.amount.total,
        payer_refund: r.amount.refund,
        settlement_refund: r.amount.refund,
        settlement_total: r.amount.total,
        discount_refund: 0,
        currency: r.amount.currency,
        refund_fee: 0,
      },
    };
  }

  function refundNoticeOf(r: MockRefund): Record<string, unknown> {
    return {
      mchid,
      out_trade_no: r.out_trade_no,
      transaction_id: r.transaction_id,
      out_refund_no: r.out_refund_no,
      refund_id: r.refund_id,
      refund_status: r.status,
      ...(r.success_time ? { success_time: r.success_time } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: r.amount.total, refund: r.amount.refund, payer_total: r.amount.total, payer_refund: r.amount.refund },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Customer and platform actions

  async function pay(outTradeNo: string, o: PayOptions = {}): ReturnType<WechatPayMock['pay']> {
    const order = orders.get(outTradeNo);
    if (!order) throw new WechatPayMockError(404, 'ORDER_NOT_EXIST', `no order ${outTradeNo}`);
    if (o.forge) {
      // An attacker's notification: the order stays unpaid.
      const fake = { ...transactionOf(outTradeNo), trade_state: 'SUCCESS', transaction_id: `4200${randomDigits(24)}`, success_time: nowRfc(), amount: { total: o.amount ?? order.amount.total, payer_total: o.amount ?? order.amount.total, currency: 'CNY', payer_currency: 'CNY' } };
      return notify(order.notify_url, { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: fake }, o);
    }
    if (order.trade_state !== 'NOTPAY') throw new WechatPayMockError(409, order.trade_state === 'CLOSED' ? 'ORDER_CLOSED' : 'ORDERPAID', `order ${outTradeNo} is ${order.trade_state}`);
    if (!o.ignoreExpiry && order.time_expire && Date.parse(order.time_expire) < now()) throw new WechatPayMockError(409, 'ORDER_EXPIRED', `order ${outTradeNo} expired at ${order.time_expire}`);
    order.trade_state = 'SUCCESS';
    order.transaction_id = `4200${randomDigits(24)}`;
    order.success_time = nowRfc();
    if (o.amount !== undefined) order.paid_total = o.amount;
    const transaction = transactionOf(outTradeNo);
    if (o.lose) return { transaction, deliveries: [] };
    return { transaction, ...(await notify(order.notify_url, { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction, summary: '支付成功' }, o)) };
  }

  async function completeRefund(outRefundNo: string, o: RefundCompletion = {}): ReturnType<WechatPayMock['completeRefund']> {
    const r = refunds.get(outRefundNo);
    if (!r) throw new WechatPayMockError(404, 'RESOURCE_NOT_EXISTS', `no refund ${outRefundNo}`);
    const order = orders.get(r.out_trade_no);
    const url = r.notify_url ?? order?.notify_url ?? '';
    if (o.forge) {
      const fake = { ...refundNoticeOf(r), refund_status: o.status ?? 'SUCCESS', success_time: nowRfc() };
      return notify(url, { eventType: `REFUND.${o.status ?? 'SUCCESS'}`, originalType: 'refund', resource: fake }, o);
    }
    if (r.status !== 'PROCESSING') throw new WechatPayMockError(409, 'INVALID_REQUEST', `refund ${outRefundNo} is ${r.status}`);
    r.status = o.status ?? 'SUCCESS';
    if (r.status === 'SUCCESS') {
      r.success_time = nowRfc();
      if (order) order.trade_state = 'REFUND';
    }
    const refund = refundOf(r);
    if (o.lose) return { refund, deliveries: [] };
    return { refund, ...(await notify(url, { eventType: `REFUND.${r.status}`, originalType: 'refund', resource: refundNoticeOf(r), summary: '退款成功' }, o)) };
  }

  async function redeliver(notificationId: string): Promise<Delivery> {
    const n = sent.get(notificationId);
    if (!n) throw new Error(`no notification ${notificationId}`);
    return deliverOnce(n.url, buildNotification({ ...n, id: notificationId }), n.eventType);
  }

  // -------------------------------------------------------------------------------------------
  // The v3 API

  function str(v: unknown, field: string, max: number): string {
    if (typeof v !== 'string' || v.length === 0 || [...v].length > max) throw new WechatPayMockError(400, 'PARAM_ERROR', `${field}: invalid`);
    return v;
  }

  function checkNotifyUrl(v: unknown, field: string): string {
    const s = str(v, field, 256);
    try {
      const u = new URL(s);
      if (!['http:', 'https:'].includes(u.protocol) || u.search) throw new Error();
    } catch {
      throw new WechatPayMockError(400, 'PARAM_ERROR', `${field}: must be a URL without query string`);
    }
    return s;
  }

  function prepay(body: Record<string, unknown>): unknown {
    if (body.appid !== appid) throw new WechatPayMockError(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    if (body.mchid !== mchid) throw new WechatPayMockError(400, 'MCH_NOT_EXISTS', '商户号不存在');
    const outTradeNo = str(body.out_trade_no, 'out_trade_no', 32);
    if (!MOCK_OUT_TRADE_NO_RE.test(outTradeNo)) throw new WechatPayMockError(400, 'PARAM_ERROR', 'out_trade_no: 6-32 of [0-9A-Za-z_-|*]');
    const description = str(body.description, 'description', 127);
    const notifyUrl = checkNotifyUrl(body.notify_url, 'notify_url');
    const amount = body.amount as { total?: unknown; currency?: unknown } | undefined;
    if (!amount || !Number.isSafeInteger(amount.total) || (amount.total as number) < 1) throw new WechatPayMockError(400, 'PARAM_ERROR', 'amount.total: positive integer (fen)');
    const currency = amount.currency ?? 'CNY';
    if (currency !== 'CNY') throw new WechatPayMockError(400, 'PARAM_ERROR', 'amount.currency: only CNY');
    const openid = str((body.payer as { openid?: unknown } | undefined)?.openid, 'payer.openid', 128);
    let timeExpire: string | undefined;
    if (body.time_expire !== undefined) {
      timeExpire = str(body.time_expire, 'time_expire', 64);
      if (!RFC3339_RE.test(timeExpire) || Number.isNaN(Date.parse(timeExpire))) throw new WechatPayMockError(400, 'PARAM_ERROR', 'time_expire: rfc3339 yyyy-MM-DDTHH:mm:ss+TIMEZONE');
      // WeChat moves an expiry earlier than one minute from now to one minute from now.
      if (Date.parse(timeExpire) < now() + 60_000) timeExpire = rfc3339(new Date(now() + 60_000));
    }
    const attach = body.attach === undefined ? undefined : str(body.attach, 'attach', 128);

    const existing = orders.get(outTradeNo);
    if (existing) {
      if (existing.trade_state === 'SUCCESS' || existing.trade_state === 'REFUND') throw new WechatPayMockError(400, 'ORDERPAID', '该订单已支付');
      if (existing.trade_state === 'CLOSED') throw new WechatPayMockError(400, 'ORDER_CLOSED', '订单已关闭');
      const same =
        existing.amount.total === amount.total &&
        existing.description === description &&
        existing.payer.openid === openid &&
        (body.time_expire === undefined || existing.time_expire === body.time_expire || existing.time_expire === timeExpire);
      if (!same) throw new WechatPayMockError(400, 'INVALID_REQUEST', '请求参数与首次请求时不一致');
      return { prepay_id: existing.prepay_id };
    }
    const prepayId = `wx${nowRfc().slice(0, 19).replace(/[-T:]/g, '')}${randomBytes(9).toString('hex')}`;
    orders.set(outTradeNo, {
      appid,
      mchid,
      description,
      out_trade_no: outTradeNo,
      time_expire: timeExpire,
      attach,
      notify_url: notifyUrl,
      amount: { total: amount.total as number, currency: 'CNY' },
      payer: { openid },
      prepay_id: prepayId,
      trade_state: 'NOTPAY',
      created_at: nowRfc(),
    });
    return { prepay_id: prepayId };
  }

  function refundCreate(body: Record<string, unknown>): unknown {
    const outRefundNo = str(body.out_refund_no, 'out_refund_no', 64);
    if (!OUT_REFUND_NO_RE.test(outRefundNo)) throw new WechatPayMockError(400, 'PARAM_ERROR', 'out_refund_no: 1-64 of [0-9A-Za-z_-|*@]');
    let order: MockOrder | undefined;
    if (typeof body.transaction_id === 'string') order = [...orders.values()].find((o) => o.transaction_id === body.transaction_id);
    else if (typeof body.out_trade_no === 'string') order = orders.get(body.out_trade_no);
    else throw new WechatPayMockError(400, 'PARAM_ERROR', 'transaction_id或out_trade_no必填其一');
    if (!order) throw new WechatPayMockError(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const amount = body.amount as { refund?: unknown; total?: unknown; currency?: unknown } | undefined;
    if (!amount || !Number.isSafeInteger(amount.refund) || (amount.refund as number) < 1 || !Number.isSafeInteger(amount.total)) throw new WechatPayMockError(400, 'PARAM_ERROR', 'amount.refund/total: integers (fen)');
    if ((amount.currency ?? 'CNY') !== 'CNY') throw new WechatPayMockError(400, 'PARAM_ERROR', 'amount.currency: only CNY');
    const notifyUrl = body.notify_url === undefined ? undefined : checkNotifyUrl(body.notify_url, 'notify_url');

    const existing = refunds.get(outRefundNo);
    if (existing) {
      // Same out_refund_no: one refund, whatever happens; other parameters are a mistake.
      if (existing.out_trade_no !== order.out_trade_no || existing.amount.refund !== amount.refund || existing.amount.total !== amount.total) {
        throw new WechatPayMockError(400, 'INVALID_REQUEST', '请求参数与首次请求时不一致');
      }
      return refundOf(existing);
    }
    if (order.trade_state !== 'SUCCESS' && order.trade_state !== 'REFUND') throw new WechatPayMockError(400, 'INVALID_REQUEST', '订单未支付或已关闭,不能退款');
    const paidTotal = order.paid_total ?? order.amount.total;
    if (amount.total !== paidTotal) throw new WechatPayMockError(400, 'PARAM_ERROR', 'amount.total与原订单金额不一致');
    const refunded = [...refunds.values()].filter((r) => r.out_trade_no === order.out_trade_no && r.status !== 'CLOSED' && r.status !== 'ABNORMAL').reduce((s, r) => s + r.amount.refund, 0);
    if (refunded + (amount.refund as number) > paidTotal) throw new WechatPayMockError(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    const r: MockRefund = {
      refund_id: `50${randomDigits(28)}`,
      out_refund_no: outRefundNo,
      out_trade_no: order.out_trade_no,
      transaction_id: order.transaction_id as string,
      reason: typeof body.reason === 'string' ? body.reason : undefined,
      notify_url: notifyUrl,
      funds_account: typeof body.funds_account === 'string' ? body.funds_account : undefined,
      status: 'PROCESSING',
      create_time: nowRfc(),
      amount: { total: amount.total as number, refund: amount.refund as number, currency: 'CNY' },
    };
    refunds.set(outRefundNo, r);
    if (opts.autoCompleteRefundsMs !== undefined) {
      const p = sleep(opts.autoCompleteRefundsMs).then(() => completeRefund(outRefundNo).catch(() => undefined));
      background.add(p);
      void p.finally(() => background.delete(p));
    }
    return refundOf(r);
  }

  function route(method: string, url: URL, body: Record<string, unknown> | undefined): { status: number; body?: unknown } {
    const p = url.pathname;
    if (method === 'POST' && p === '/v3/pay/transactions/jsapi') return { status: 200, body: prepay(body ?? {}) };
    let m = p.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/);
    if (m && method === 'GET') {
      const no = decodeURIComponent(m[1] as string);
      const q = url.searchParams.get('mchid');
      if (!q) throw new WechatPayMockError(400, 'PARAM_ERROR', 'mchid为必填参数');
      if (q !== mchid) throw new WechatPayMockError(400, 'PARAM_ERROR', 'mchid与请求方不一致');
      if (!orders.has(no)) throw new WechatPayMockError(404, 'ORDER_NOT_EXIST', '订单不存在');
      return { status: 200, body: transactionOf(no) };
    }
    m = p.match(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/);
    if (m && method === 'POST') {
      const no = decodeURIComponent(m[1] as string);
      if (body?.mchid !== mchid) throw new WechatPayMockError(400, 'PARAM_ERROR', 'mchid与请求方不一致');
      const order = orders.get(no);
      if (!order) throw new WechatPayMockError(404, 'ORDER_NOT_EXIST', '订单不存在');
      if (order.trade_state === 'SUCCESS' || order.trade_state === 'REFUND') throw new WechatPayMockError(400, 'ORDERPAID', '该订单已支付');
      // Closing a closed order is answered like the first close (the mock's choice; WeChat may say ORDER_CLOSED, which the adapter also accepts).
      order.trade_state = 'CLOSED';
      return { status: 204 };
    }
    if (method === 'POST' && p === '/v3/refund/domestic/refunds') return { status: 200, body: refundCreate(body ?? {}) };
    m = p.match(/^\/v3\/refund\/domestic\/refunds\/([^/]+)$/);
    if (m && method === 'GET') {
      const r = refunds.get(decodeURIComponent(m[1] as string));
      if (!r) throw new WechatPayMockError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
      return { status: 200, body: refundOf(r) };
    }
    throw new WechatPayMockError(404, 'NOT_FOUND', 'URL不存在');
  }

  /** The merchant's request signature, checked the way WeChat does; a message saying why when it fails. */
  function authProblem(req: http.IncomingMessage, raw: string): string | undefined {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) return 'Authorization header is missing or not WECHATPAY2-SHA256-RSA2048';
    if (auth.mchid !== mchid) return 'Http头Authorization中的mchid与商户号不符';
    if (auth.serial_no.toUpperCase() !== keys.merchant.serial.toUpperCase()) return '商户证书序列号有误';
    if (!/^\d{10}$/.test(auth.timestamp) || Math.abs(now() / 1000 - Number(auth.timestamp)) > 300) return 'Http头Authorization中的timestamp与发起请求的时间不得超过5分钟';
    const message = requestMessage(req.method ?? 'GET', req.url ?? '/', auth.timestamp, auth.nonce_str, raw);
    if (!verifyBase64(message, auth.signature, merchantPublic)) return '签名错误';
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Control endpoints (demo page; unauthenticated on purpose, never deploy this)

  async function control(method: string, url: URL, body: Record<string, unknown> | undefined): Promise<{ status: number; body: unknown }> {
    const delivery = (b: Record<string, unknown>): DeliveryOptions => ({
      duplicate: typeof b.duplicate === 'number' ? b.duplicate : undefined,
      concurrent: b.concurrent === true,
      lose: b.lose === true,
      forge: FORGE_KINDS.includes(b.forge as ForgeKind) ? (b.forge as ForgeKind) : undefined,
    });
    if (method === 'POST' && url.pathname === '/__mock/pay') {
      const b = body ?? {};
      const no = String(b.out_trade_no ?? '');
      const o: PayOptions = { ...delivery(b), amount: typeof b.amount === 'number' ? b.amount : undefined };
      const delay = typeof b.delay_ms === 'number' ? b.delay_ms : 0;
      if (delay > 0) {
        const order = orders.get(no);
        if (!order) throw new WechatPayMockError(404, 'ORDER_NOT_EXIST', `no order ${no}`);
        const p = sleep(delay).then(() => pay(no, o).catch(() => undefined));
        background.add(p);
        void p.finally(() => background.delete(p));
        return { status: 202, body: { out_trade_no: no, scheduled_in_ms: delay } };
      }
      return { status: 200, body: await pay(no, o) };
    }
    if (method === 'POST' && url.pathname === '/__mock/refund') {
      const b = body ?? {};
      const status = ['SUCCESS', 'ABNORMAL', 'CLOSED'].includes(b.status as string) ? (b.status as RefundCompletion['status']) : undefined;
      return { status: 200, body: await completeRefund(String(b.out_refund_no ?? ''), { ...delivery(b), status, delayMs: typeof b.delay_ms === 'number' ? b.delay_ms : undefined }) };
    }
    if (method === 'GET' && url.pathname === '/__mock/orders') return { status: 200, body: { orders: [...orders.keys()].map(transactionOf), refunds: [...refunds.values()].map(refundOf) } };
    if (method === 'GET' && url.pathname === '/__mock/deliveries') return { status: 200, body: { deliveries } };
    throw new WechatPayMockError(404, 'NOT_FOUND', 'no such control endpoint');
  }

  // -------------------------------------------------------------------------------------------

  function takeFault(method: string, path: string): InjectedFault | undefined {
    const f = faults.find((x) => x.left > 0 && (!x.method || x.method === method) && (!x.path || (typeof x.path === 'string' ? path.includes(x.path) : x.path.test(path))));
    if (!f) return undefined;
    f.left -= 1;
    faults = faults.filter((x) => x.left > 0);
    return f;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://mock');
        const method = req.method ?? 'GET';
        let body: Record<string, unknown> | undefined;
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
        } catch {
          body = undefined;
        }

        if (url.pathname.startsWith('/__mock/')) {
          // The demo page calls these from the BFF's origin.
          const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Content-Type' };
          if (method === 'OPTIONS') {
            res.writeHead(204, cors);
            res.end();
            return;
          }
          try {
            const out = await control(method, url, body);
            res.writeHead(out.status, { ...cors, 'Content-Type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify(out.body));
          } catch (e) {
            const err = e instanceof WechatPayMockError ? e : new WechatPayMockError(500, 'SYSTEM_ERROR', e instanceof Error ? e.message : String(e));
            res.writeHead(err.status, { ...cors, 'Content-Type': 'application/json; charset=utf-8' });
            res.end(JSON.stringify({ code: err.code, message: err.message }));
          }
          return;
        }

        const fault = takeFault(method, url.pathname + url.search);
        if (fault?.delayMs) await sleep(fault.delayMs);
        if (fault?.destroy) {
          req.socket.destroy();
          return;
        }
        const send = (status: number, payload: unknown) => {
          const text = payload === undefined ? '' : JSON.stringify(payload);
          const headers: Record<string, string> = { 'Request-ID': `${randomBytes(8).toString('hex').toUpperCase()}-0` };
          if (text) headers['Content-Type'] = 'application/json; charset=utf-8';
          if (fault?.answer !== 'unsigned') Object.assign(headers, signatureHeaders(text, fault?.answer));
          if (res.destroyed) return;
          res.writeHead(status, headers);
          res.end(text);
        };

        const problem = authProblem(req, raw);
        let status: number;
        let payload: unknown;
        if (fault?.status) {
          status = fault.status;
          payload = fault.body ?? { code: status >= 500 ? 'SYSTEM_ERROR' : 'PARAM_ERROR', message: status >= 500 ? '系统错误' : '参数错误' };
        } else if (problem) {
          status = 401;
          payload = { code: 'SIGN_ERROR', message: problem };
        } else if (raw && body === undefined) {
          status = 400;
          payload = { code: 'PARAM_ERROR', message: '请求体不是合法的JSON' };
        } else {
          try {
            const out = route(method, url, body);
            status = out.status;
            payload = out.body;
          } catch (e) {
            const err = e instanceof WechatPayMockError ? e : new WechatPayMockError(500, 'SYSTEM_ERROR', '系统错误');
            status = err.status;
            payload = { code: err.code, message: err.message };
          }
        }
        calls.push({ method, path: url.pathname + url.search, body, authorized: !problem, status });
        send(status, payload);
      })();
    });
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${addr.port}`;

  const platformKeys = [
    { id: keys.certificate.serial, pem: keys.certificate.certificatePem, kind: 'certificate' as const },
    { id: keys.publicKey.id, pem: keys.publicKey.publicKeyPem, kind: 'public_key' as const },
  ];

  return {
    url,
    merchant: { mchid, appid, serial: keys.merchant.serial, privateKeyPem: keys.merchant.privateKeyPem, publicKeyPem: keys.merchant.publicKeyPem, apiV3Key },
    platformKeys,
    keys,
    env(notifyUrl = 'http://127.0.0.1:3000/api/v1/webhooks/wechatpay') {
      return {
        WECHATPAY_MCHID: mchid,
        WECHATPAY_APPID: appid,
        WECHATPAY_MERCHANT_SERIAL: keys.merchant.serial,
        WECHATPAY_PRIVATE_KEY: keys.merchant.privateKeyPem.trim().replace(/\n/g, '\\n'),
        WECHATPAY_APIV3_KEY: apiV3Key,
        WECHATPAY_PLATFORM_KEYS: JSON.stringify(platformKeys.map(({ id, pem }) => ({ id, pem }))),
        WECHATPAY_NOTIFY_URL: notifyUrl,
        WECHATPAY_API_BASE: url,
      };
    },
    useKey(mode) {
      signing = mode;
    },
    get signingKeyId() {
      return signers[signing].id;
    },
    orders,
    refunds,
    calls,
    deliveries,
    pay,
    completeRefund,
    redeliver,
    buildNotification,
    transactionOf,
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    reset() {
      orders.clear();
      refunds.clear();
      calls.length = 0;
      deliveries.length = 0;
      sent.clear();
      faults = [];
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

