import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createLogger } from '../../bff/src/logger';
import { WechatPayClient } from '../../bff/src/integrations/wechatpay/client';
import { wechatPayConfigFromEnv, wechatPayEnvShape, type WechatPayConfig } from '../../bff/src/integrations/wechatpay/config';
import { NotificationRejected, verifyNotification, type VerifiedNotification } from '../../bff/src/integrations/wechatpay/notification';
import { buildAuthorization, unixSeconds, verifyPlatformSignature } from '../../bff/src/integrations/wechatpay/signing';
import { FORGE_KINDS, WechatPayMockError, startWechatPayMock, type WechatPayMock } from './server';

const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A notify_url receiver doing what the BFF webhook will do: verify, record, answer. */
interface Receiver {
  url: string;
  received: { verified?: VerifiedNotification; rejected?: string }[];
  answerWith?: number;
  close(): Promise<void>;
}

async function startReceiver(cfg: () => WechatPayConfig): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const verified = verifyNotification({ headers: req.headers, rawBody: Buffer.concat(chunks) }, { platformKeys: cfg().platformKeys, apiV3Key: cfg().apiV3Key });
        r.received.push({ verified });
        if (r.answerWith) {
          res.writeHead(r.answerWith, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ code: 'FAIL', message: 'busy' }));
          return;
        }
        res.writeHead(204);
        res.end();
      } catch (e) {
        if (!(e instanceof NotificationRejected)) throw e;
        r.received.push({ rejected: e.reason });
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ code: 'FAIL', message: e.publicMessage }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/webhooks/wechatpay`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}

async function raw(mock: WechatPayMock, method: string, path: string, body?: unknown, auth?: (text: string) => string | undefined) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (text) headers['Content-Type'] = 'application/json';
  const a = auth ? auth(text) : undefined;
  if (a) headers.Authorization = a;
  const res = await fetch(mock.url + path, { method, headers, body: text || undefined });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe(startWechatPayMock.name, () => {
  let mock: WechatPayMock;
  let config: WechatPayConfig;
  let client: WechatPayClient;
  let receiver: Receiver;
  let seq = 0;
  const nextNo = () => `MK${Date.now().toString(36)}-${++seq}`;
  const sign = (method: string, path: string, over: Partial<Parameters<typeof buildAuthorization>[0]> = {}) => (text: string) =>
    buildAuthorization({ mchid: mock.merchant.mchid, serialNo: mock.merchant.serial, privateKey: mock.merchant.privateKeyPem, method, pathAndQuery: path, body: text, ...over });
  const order = (no: string, over: Record<string, unknown> = {}) => ({
    appid: mock.merchant.appid,
    mchid: mock.merchant.mchid,
    description: 'DrMoto WO42',
    out_trade_no: no,
    notify_url: receiver.url,
    amount: { total: 12_800, currency: 'CNY' },
    payer: { openid: OPENID },
    ...over,
  });

  beforeAll(async () => {
    mock = await startWechatPayMock({ port: 0 });
    receiver = await startReceiver(() => config);
    const env = z.object(wechatPayEnvShape).parse(mock.env(receiver.url));
    const loaded = wechatPayConfigFromEnv(env, { defaultAppId: 'x', production: false });
    if (!loaded.config) throw new Error(loaded.problems.join('\n'));
    config = loaded.config;
    client = new WechatPayClient(config, createLogger({ silent: true }), { retryDelaysMs: [] });
  });
  afterAll(async () => {
    await mock.close();
    await receiver.close();
  });
  afterEach(() => {
    mock.reset();
    mock.useKey('public_key');
    receiver.received.length = 0;
    receiver.answerWith = undefined;
  });

  it('hands out a complete WECHATPAY_* env with both platform keys', () => {
    const env = mock.env('https://bff.example.com/hook');
    expect(Object.keys(env).sort()).toEqual(
      ['WECHATPAY_API_BASE', 'WECHATPAY_APIV3_KEY', 'WECHATPAY_APPID', 'WECHATPAY_MCHID', 'WECHATPAY_MERCHANT_SERIAL', 'WECHATPAY_NOTIFY_URL', 'WECHATPAY_PLATFORM_KEYS', 'WECHATPAY_PRIVATE_KEY'].sort(),
    );
    expect(env.WECHATPAY_PRIVATE_KEY).not.toContain('\n');
    const ids = (JSON.parse(env.WECHATPAY_PLATFORM_KEYS!) as { id: string }[]).map((k) => k.id);
    expect(ids).toEqual([mock.keys.certificate.serial, mock.keys.publicKey.id]);
    expect(ids[1]).toMatch(/^PUB_KEY_ID_\d{34}$/);
  });

  describe('merchant signature check', () => {
    const path = '/v3/pay/transactions/jsapi';

    it('accepts a correctly signed prepay and signs its answer with the platform key', async () => {
      const res = await raw(mock, 'POST', path, order(nextNo()), sign('POST', path));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ prepay_id: expect.stringMatching(/^wx/) });
      const h = (n: string) => res.headers.get(n)!;
      expect(h('wechatpay-serial')).toBe(mock.keys.publicKey.id);
      expect(h('wechatpay-signature-type')).toBe('WECHATPAY2-SHA256-RSA2048');
      expect(verifyPlatformSignature({ keyring: config.platformKeys, serial: h('wechatpay-serial'), signature: h('wechatpay-signature'), timestamp: h('wechatpay-timestamp'), nonce: h('wechatpay-nonce'), body: res.text })).toBe('ok');
    });

    it.each([
      ['no Authorization header', () => undefined],
      ['another merchant key', (m: WechatPayMock) => sign('POST', path, { privateKey: m.keys.certificate.privateKeyPem })],
      ['a wrong serial_no', () => sign('POST', path, { serialNo: 'ABCDEF1234' })],
      ['a stale timestamp', () => sign('POST', path, { timestamp: unixSeconds(Date.now() - 6 * 60_000) })],
      ['a signature over another URL', () => sign('POST', '/v3/pay/transactions/native')],
      ['another mchid', () => sign('POST', path, { mchid: '1234567890' })],
    ])('answers 401 SIGN_ERROR (signed) for %s', async (_label, auth) => {
      const signer = auth(mock);
      const res = await raw(mock, 'POST', path, order(nextNo()), signer ? (t) => signer(t) : undefined);
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'SIGN_ERROR' });
      expect(res.headers.get('wechatpay-signature')).toBeTruthy();
      expect(mock.orders.size).toBe(0);
      expect(mock.calls[0]).toMatchObject({ authorized: false, status: 401 });
    });

    it('answers 401 when the body was changed after signing', async () => {
      const no = nextNo();
      const signer = sign('POST', path);
      const signedFor = JSON.stringify(order(no));
      const res = await fetch(mock.url + path, { method: 'POST', headers: { Authorization: signer(signedFor), 'Content-Type': 'application/json' }, body: JSON.stringify(order(no, { amount: { total: 1 } })) });
      expect(res.status).toBe(401);
    });
  });

  describe('prepay validation', () => {
    const path = '/v3/pay/transactions/jsapi';
    it.each([
      ['a short out_trade_no', { out_trade_no: 'A1' }, 'PARAM_ERROR'],
      ['an out_trade_no with a space', { out_trade_no: 'WO 42 xx' }, 'PARAM_ERROR'],
      ['another appid', { appid: 'wx_other' }, 'APPID_MCHID_NOT_MATCH'],
      ['another mchid', { mchid: '1234567890' }, 'MCH_NOT_EXISTS'],
      ['a fractional amount', { amount: { total: 1.5, currency: 'CNY' } }, 'PARAM_ERROR'],
      ['a zero amount', { amount: { total: 0 } }, 'PARAM_ERROR'],
      ['another currency', { amount: { total: 100, currency: 'USD' } }, 'PARAM_ERROR'],
      ['no payer', { payer: {} }, 'PARAM_ERROR'],
      ['a time_expire without offset', { time_expire: '2030-01-01T00:00:00' }, 'PARAM_ERROR'],
      ['a notify_url with a query', { notify_url: 'https://x.example/hook?a=1' }, 'PARAM_ERROR'],
    ])('refuses %s', async (_label, over, code) => {
      const body = order('WO-valid-1', over);
      const res = await raw(mock, 'POST', path, body, sign('POST', path));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ code });
    });

    it('returns the same prepay_id for the same parameters and INVALID_REQUEST for a different amount or expiry', async () => {
      const no = nextNo();
      const expire = '2099-01-01T08:00:00+08:00';
      const first = await raw(mock, 'POST', path, order(no, { time_expire: expire }), sign('POST', path));
      const again = await raw(mock, 'POST', path, order(no, { time_expire: expire }), sign('POST', path));
      expect(JSON.parse(again.text)).toEqual(JSON.parse(first.text));
      const amount = await raw(mock, 'POST', path, order(no, { time_expire: expire, amount: { total: 1 } }), sign('POST', path));
      expect([amount.status, JSON.parse(amount.text).code]).toEqual([400, 'INVALID_REQUEST']);
      const expiry = await raw(mock, 'POST', path, order(no, { time_expire: '2099-01-02T08:00:00+08:00' }), sign('POST', path));
      expect([expiry.status, JSON.parse(expiry.text).code]).toEqual([400, 'INVALID_REQUEST']);
    });
  });

  describe('query and close', () => {
    it('walks NOTPAY → CLOSED, refuses to pay a closed order, and ORDERPAID on closing a paid one', async () => {
      const a = nextNo();
      await client.prepayJsapi({ outTradeNo: a, description: 'x', amount: { total: 100 }, payerOpenid: OPENID });
      expect((await client.queryByOutTradeNo(a))!.trade_state).toBe('NOTPAY');
      expect(await client.close(a)).toBe('closed');
      expect((await client.queryByOutTradeNo(a))!.trade_state).toBe('CLOSED');
      await expect(mock.pay(a)).rejects.toMatchObject({ code: 'ORDER_CLOSED' });

      const b = nextNo();
      await client.prepayJsapi({ outTradeNo: b, description: 'x', amount: { total: 100 }, payerOpenid: OPENID });
      await mock.pay(b, { lose: true });
      const closed = await raw(mock, 'POST', `/v3/pay/transactions/out-trade-no/${b}/close`, { mchid: mock.merchant.mchid }, sign('POST', `/v3/pay/transactions/out-trade-no/${b}/close`));
      expect([closed.status, JSON.parse(closed.text).code]).toEqual([400, 'ORDERPAID']);
      const missing = await raw(mock, 'GET', `/v3/pay/transactions/out-trade-no/NOPE-123?mchid=${mock.merchant.mchid}`, undefined, sign('GET', `/v3/pay/transactions/out-trade-no/NOPE-123?mchid=${mock.merchant.mchid}`));
      expect([missing.status, JSON.parse(missing.text).code]).toEqual([404, 'ORDER_NOT_EXIST']);
      const noMchid = await raw(mock, 'GET', `/v3/pay/transactions/out-trade-no/${b}`, undefined, sign('GET', `/v3/pay/transactions/out-trade-no/${b}`));
      expect([noMchid.status, JSON.parse(noMchid.text).code]).toEqual([400, 'PARAM_ERROR']);
    });

    it('signs the empty 204 answer of close', async () => {
      const no = nextNo();
      await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 100 }, payerOpenid: OPENID });
      const path = `/v3/pay/transactions/out-trade-no/${no}/close`;
      const res = await raw(mock, 'POST', path, { mchid: mock.merchant.mchid }, sign('POST', path));
      expect([res.status, res.text]).toEqual([204, '']);
      const h = (n: string) => res.headers.get(n)!;
      expect(verifyPlatformSignature({ keyring: config.platformKeys, serial: h('wechatpay-serial'), signature: h('wechatpay-signature'), timestamp: h('wechatpay-timestamp'), nonce: h('wechatpay-nonce'), body: '' })).toBe('ok');
    });
  });

  describe('customer pays', () => {
    const prepaid = async (total = 12_800) => {
      const no = nextNo();
      await client.prepayJsapi({ outTradeNo: no, description: 'DrMoto WO42', amount: { total }, payerOpenid: OPENID, notifyUrl: receiver.url });
      return no;
    };

    it('marks the order paid and delivers a signed, encrypted TRANSACTION.SUCCESS the adapter verifies', async () => {
      const no = await prepaid();
      const out = await mock.pay(no);
      expect(out.deliveries).toEqual([expect.objectContaining({ url: receiver.url, status: 204, body: '', event_type: 'TRANSACTION.SUCCESS', notification_id: out.notificationId })]);
      expect(receiver.received).toHaveLength(1);
      const v = receiver.received[0]!.verified!;
      expect(v.kind).toBe('transaction');
      expect(v.event.id).toBe(out.notificationId);
      expect(v.resource).toEqual(await client.queryByOutTradeNo(no));
      expect(v.resource).toMatchObject({ trade_state: 'SUCCESS', mchid: mock.merchant.mchid, appid: mock.merchant.appid, amount: { total: 12_800, payer_total: 12_800 }, payer: { openid: OPENID } });
      expect(mock.deliveries).toHaveLength(1);
    });

    it('delivers duplicates with the same id (sequentially or all at once)', async () => {
      const out = await mock.pay(await prepaid(), { duplicate: 2 });
      expect(out.deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
      expect(new Set(receiver.received.map((r) => r.verified!.event.id))).toEqual(new Set([out.notificationId]));
      const burst = await mock.pay(await prepaid(), { duplicate: 4, concurrent: true });
      expect(burst.deliveries).toHaveLength(5);
      expect(burst.deliveries.every((d) => d.status === 204)).toBe(true);
    });

    it('loses a notification on demand: paid, but only the query tells', async () => {
      const no = await prepaid();
      const out = await mock.pay(no, { lose: true });
      expect(out.deliveries).toEqual([]);
      expect(receiver.received).toEqual([]);
      expect((await client.queryByOutTradeNo(no))!.trade_state).toBe('SUCCESS');
      // …and WeChat's retry arrives later with the same transaction.
      const redelivered = await mock.redeliver((await mock.pay(await prepaid())).notificationId!);
      expect(redelivered.status).toBe(204);
    });

    it.each(FORGE_KINDS)('sends a forgery (%s) the adapter rejects, and leaves the order unpaid', async (forge) => {
      const no = await prepaid();
      const out = await mock.pay(no, { forge });
      const expected = { signature: 'bad_signature', serial: 'unknown_serial', timestamp: 'stale_timestamp', ciphertext: 'decrypt_failed', signtest: 'signtest' }[forge];
      expect(receiver.received).toEqual([{ rejected: expected }]);
      expect(out.deliveries[0]).toMatchObject({ status: 401, forged: forge });
      expect(JSON.parse(out.deliveries[0]!.body)).toEqual({ code: 'FAIL', message: expect.any(String) });
      expect((await client.queryByOutTradeNo(no))!.trade_state).toBe('NOTPAY');
    });

    it('reports a wrong amount for anomaly tests, in the notification and the query alike', async () => {
      const no = await prepaid(12_800);
      await mock.pay(no, { amount: 12_000 });
      expect(receiver.received[0]!.verified!.resource).toMatchObject({ amount: { total: 12_000, payer_total: 12_000 } });
      expect((await client.queryByOutTradeNo(no))!.amount).toMatchObject({ total: 12_000 });
    });

    it('records what the receiver answered, failures included', async () => {
      receiver.answerWith = 500;
      const out = await mock.pay(await prepaid());
      expect(out.deliveries[0]).toMatchObject({ status: 500, body: '{"code":"FAIL","message":"busy"}' });
      const unreachable = await startWechatPayMock({ port: 0, keys: mock.keys, apiV3Key: mock.merchant.apiV3Key });
      try {
        const c = new WechatPayClient({ ...config, apiBase: unreachable.url }, createLogger({ silent: true }));
        const no = nextNo();
        await c.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 1 }, payerOpenid: OPENID, notifyUrl: 'http://127.0.0.1:1/hook' });
        const d = await unreachable.pay(no);
        expect(d.deliveries[0]).toMatchObject({ status: 0, error: expect.any(String) });
      } finally {
        await unreachable.close();
      }
    });

    it('refuses to pay an unknown, already paid or expired order', async () => {
      await expect(mock.pay('NOPE-0001')).rejects.toBeInstanceOf(WechatPayMockError);
      const no = await prepaid();
      await mock.pay(no, { lose: true });
      await expect(mock.pay(no)).rejects.toMatchObject({ code: 'ORDERPAID' });
      const late = nextNo();
      await client.prepayJsapi({ outTradeNo: late, description: 'x', amount: { total: 1 }, payerOpenid: OPENID, timeExpire: new Date(Date.now() + 60_000) });
      mock.orders.get(late)!.time_expire = '2000-01-01T00:00:00+08:00';
      await expect(mock.pay(late)).rejects.toMatchObject({ code: 'ORDER_EXPIRED' });
      expect((await mock.pay(late, { ignoreExpiry: true, lose: true })).transaction).toMatchObject({ trade_state: 'SUCCESS' });
    });

    it('signs notifications with the certificate key when told to (the BFF trusts both)', async () => {
      mock.useKey('certificate');
      expect(mock.signingKeyId).toBe(mock.keys.certificate.serial);
      await mock.pay(await prepaid());
      expect(receiver.received[0]!.verified!.kind).toBe('transaction');
    });
  });

  describe('control endpoints', () => {
    const control = async (path: string, body: unknown) => {
      const res = await fetch(mock.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };

    it('POST /__mock/pay pays and reports the deliveries; delay_ms answers 202 and delivers later', async () => {
      const no = nextNo();
      await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 100 }, payerOpenid: OPENID, notifyUrl: receiver.url });
      const now = await control('/__mock/pay', { out_trade_no: no, duplicate: 1 });
      expect(now.status).toBe(200);
      expect(now.json).toMatchObject({ transaction: { trade_state: 'SUCCESS' }, deliveries: [{ status: 204 }, { status: 204 }] });

      const later = nextNo();
      await client.prepayJsapi({ outTradeNo: later, description: 'x', amount: { total: 100 }, payerOpenid: OPENID, notifyUrl: receiver.url });
      const scheduled = await control('/__mock/pay', { out_trade_no: later, delay_ms: 50, forge: 'signtest' });
      expect(scheduled).toEqual({ status: 202, json: { out_trade_no: later, scheduled_in_ms: 50 } });
      await waitFor(() => receiver.received.length === 3);
      expect(receiver.received.at(-1)).toEqual({ rejected: 'signtest' });

      expect(await control('/__mock/pay', { out_trade_no: 'NOPE-0001' })).toMatchObject({ status: 404, json: { code: 'ORDER_NOT_EXIST' } });
      const list = await (await fetch(mock.url + '/__mock/orders')).json();
      expect((list as { orders: unknown[] }).orders).toHaveLength(2);
    });

    it('POST /__mock/refund completes a refund with a REFUND.SUCCESS notification', async () => {
      const no = nextNo();
      await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 1_000 }, payerOpenid: OPENID, notifyUrl: receiver.url });
      await mock.pay(no, { lose: true });
      await client.refund({ outRefundNo: `RF-${no}`, outTradeNo: no, amount: { refund: 300, total: 1_000 }, notifyUrl: receiver.url });
      const done = await control('/__mock/refund', { out_refund_no: `RF-${no}` });
      expect(done.status).toBe(200);
      const v = receiver.received.at(-1)!.verified!;
      expect(v.kind).toBe('refund');
      expect(v.event.event_type).toBe('REFUND.SUCCESS');
      expect(v.resource).toMatchObject({ out_refund_no: `RF-${no}`, refund_status: 'SUCCESS', out_trade_no: no, amount: { refund: 300, total: 1_000 } });
      expect(await control('/__mock/refund', { out_refund_no: `RF-${no}` })).toMatchObject({ status: 409 });
    });
  });

  describe('refunds', () => {
    it('completes refunds automatically when configured, and reports ABNORMAL ones', async () => {
      const auto = await startWechatPayMock({ port: 0, keys: mock.keys, apiV3Key: mock.merchant.apiV3Key, autoCompleteRefundsMs: 10 });
      try {
        const c = new WechatPayClient({ ...config, apiBase: auto.url }, createLogger({ silent: true }));
        const no = nextNo();
        await c.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 500 }, payerOpenid: OPENID, notifyUrl: receiver.url });
        await auto.pay(no);
        await c.refund({ outRefundNo: `RF-${no}`, outTradeNo: no, amount: { refund: 500, total: 500 } });
        await waitFor(async () => (await c.queryRefund(`RF-${no}`))!.status === 'SUCCESS');
        await waitFor(() => receiver.received.at(-1)?.verified?.kind === 'refund');
        expect(receiver.received.at(-1)!.verified).toMatchObject({ kind: 'refund', event: { event_type: 'REFUND.SUCCESS' } });
      } finally {
        await auto.close();
      }
      const no = nextNo();
      await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 500 }, payerOpenid: OPENID, notifyUrl: receiver.url });
      await mock.pay(no, { lose: true });
      await client.refund({ outRefundNo: `RF-${no}`, outTradeNo: no, amount: { refund: 100, total: 500 } });
      await mock.completeRefund(`RF-${no}`, { status: 'ABNORMAL' });
      expect(receiver.received.at(-1)!.verified).toMatchObject({ kind: 'refund', event: { event_type: 'REFUND.ABNORMAL' }, resource: { refund_status: 'ABNORMAL' } });
      expect((await client.queryByOutTradeNo(no))!.trade_state).toBe('SUCCESS');
    });

    it('refuses a refund of an unpaid order or with a wrong total', async () => {
      const no = nextNo();
      await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 500 }, payerOpenid: OPENID });
      await expect(client.refund({ outRefundNo: `RF-${no}`, outTradeNo: no, amount: { refund: 100, total: 500 } })).rejects.toMatchObject({ code: 'WXPAY_INVALID_REQUEST' });
      await mock.pay(no, { lose: true });
      await expect(client.refund({ outRefundNo: `RF-${no}`, outTradeNo: no, amount: { refund: 100, total: 400 } })).rejects.toMatchObject({ code: 'WXPAY_PARAM_ERROR', type: 'unprocessable' });
      await expect(client.refund({ outRefundNo: 'RF-none', outTradeNo: 'NOPE-0001', amount: { refund: 1, total: 1 } })).rejects.toMatchObject({ code: 'WXPAY_RESOURCE_NOT_EXISTS' });
    });
  });
});
