import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { generateMockKeys, startWechatPayMock, type MockKeyMaterial, type WechatPayMock } from '../../../../mocks/wechatpay/server';
import { createLogger } from '../../logger';
import { WechatPayClient } from './client';
import { wechatPayConfigFromEnv, wechatPayEnvShape, type WechatPayConfig } from './config';
import { WechatPayError } from './errors';
import { requestPaymentMessage, verifyBase64 } from './signing';

const logger = createLogger({ silent: true });
const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

function configFor(mock: WechatPayMock, over: Record<string, string> = {}): WechatPayConfig {
  const env = z.object(wechatPayEnvShape).parse({ ...mock.env('http://127.0.0.1:9/api/v1/webhooks/wechatpay'), WECHATPAY_TIMEOUT_MS: '300', ...over });
  const { config, problems } = wechatPayConfigFromEnv(env, { defaultAppId: 'unused', production: false });
  if (!config) throw new Error(problems.join('\n'));
  return config;
}

async function caught(p: Promise<unknown>): Promise<WechatPayError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WechatPayError) return e;
    throw e;
  }
  throw new Error('expected a WechatPayError');
}

describe(WechatPayClient.name, () => {
  let keys: MockKeyMaterial;
  let mock: WechatPayMock;
  let client: WechatPayClient;
  let seq = 0;
  const nextNo = () => `WO${Date.now().toString(36)}-${++seq}`;
  // A repeated prepay must resend the first time_expire (WeChat refuses a changed one), as the service will.
  const expiries = new Map<string, Date>();
  const prepay = (outTradeNo: string, total = 12_800) => {
    if (!expiries.has(outTradeNo)) expiries.set(outTradeNo, new Date(Date.now() + 1_800_000));
    return client.prepayJsapi({ outTradeNo, description: 'DrMoto 维修 WO42', amount: { total }, payerOpenid: OPENID, timeExpire: expiries.get(outTradeNo) });
  };

  beforeAll(async () => {
    keys = generateMockKeys();
    mock = await startWechatPayMock({ port: 0, keys });
    client = new WechatPayClient(configFor(mock), logger, { retryDelaysMs: [5, 5] });
  });
  afterAll(() => mock.close());
  afterEach(() => {
    mock.reset();
    mock.useKey('public_key');
  });

  describe('prepayJsapi', () => {
    it('sends a signed JSAPI order and returns prepay_id with requestPayment parameters signed by the merchant key', async () => {
      const no = nextNo();
      const before = Date.now();
      const out = await client.prepayJsapi({ outTradeNo: no, description: 'DrMoto 维修 WO42', amount: { total: 12_800 }, payerOpenid: OPENID }); // default expiry
      expect(out.prepayId).toMatch(/^wx\d{14}/);
      expect(mock.calls).toHaveLength(1);
      const call = mock.calls[0]!;
      expect(call).toMatchObject({ method: 'POST', path: '/v3/pay/transactions/jsapi', authorized: true, status: 200 });
      expect(call.body).toEqual({
        appid: 'wx_demo_appid',
        mchid: '1900000109',
        description: 'DrMoto 维修 WO42',
        out_trade_no: no,
        time_expire: out.timeExpire,
        notify_url: 'http://127.0.0.1:9/api/v1/webhooks/wechatpay',
        amount: { total: 12_800, currency: 'CNY' },
        payer: { openid: OPENID },
      });
      expect(out.timeExpire).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
      expect(Date.parse(out.timeExpire) - before).toBeGreaterThan(1_795_000);
      expect(Date.parse(out.timeExpire) - before).toBeLessThanOrEqual(1_800_000);

      const rp = out.requestPayment;
      expect(rp).toMatchObject({ package: `prepay_id=${out.prepayId}`, signType: 'RSA' });
      expect(rp.timeStamp).toMatch(/^\d{10}$/);
      expect(verifyBase64(requestPaymentMessage('wx_demo_appid', rp.timeStamp, rp.nonceStr, rp.package), rp.paySign, keys.merchant.publicKeyPem)).toBe(true);
    });

    it('is idempotent at WeChat for the same out_trade_no and parameters, and refuses a different amount', async () => {
      const no = nextNo();
      const expiry = new Date(Date.now() + 600_000);
      const first = await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 100 }, payerOpenid: OPENID, timeExpire: expiry });
      const again = await client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 100 }, payerOpenid: OPENID, timeExpire: expiry });
      expect(again.prepayId).toBe(first.prepayId);
      const e = await caught(client.prepayJsapi({ outTradeNo: no, description: 'x', amount: { total: 200 }, payerOpenid: OPENID, timeExpire: expiry }));
      expect(e).toMatchObject({ type: 'conflict', code: 'WXPAY_INVALID_REQUEST', kind: 'business' });
      expect(e.info).toMatchObject({ providerCode: 'INVALID_REQUEST', httpStatus: 400, mayHaveTakenEffect: false });
      expect(e.info.requestId).toMatch(/-0$/);
    });

    it('answers ORDERPAID (409) for a paid order', async () => {
      const no = nextNo();
      await prepay(no);
      await mock.pay(no, { lose: true });
      expect(await caught(prepay(no))).toMatchObject({ type: 'conflict', code: 'WXPAY_ORDERPAID' });
    });

    it('is never retried, and a 5xx becomes a 503 that may have taken effect', async () => {
      mock.inject({ path: '/v3/pay/transactions/jsapi', status: 500, times: 3 });
      const e = await caught(prepay(nextNo()));
      expect(e).toMatchObject({ type: 'dependency_unavailable', code: 'WXPAY_SYSTEM_ERROR', kind: 'unavailable' });
      expect(e.info.mayHaveTakenEffect).toBe(true);
      expect(e.extra.retryAfterS).toBe(5);
      expect(mock.calls).toHaveLength(1);
    });

    it('times out per call (503 WXPAY_TIMEOUT, outcome unknown), without retrying', async () => {
      mock.inject({ path: '/v3/pay/transactions/jsapi', delayMs: 600 });
      const e = await caught(prepay(nextNo()));
      expect(e).toMatchObject({ type: 'dependency_unavailable', code: 'WXPAY_TIMEOUT', kind: 'timeout' });
      expect(e.info.mayHaveTakenEffect).toBe(true);
      expect(mock.calls).toHaveLength(0); // the mock is still sitting on it; let it finish before the next test
      for (let i = 0; i < 100 && mock.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(mock.calls).toHaveLength(1);
    });

    it('maps a rejected merchant signature to a 503 config error', async () => {
      const other = generateMockKeys();
      const wrongKey = new WechatPayClient(configFor(mock, { WECHATPAY_PRIVATE_KEY: other.merchant.privateKeyPem }), logger);
      const e = await caught(wrongKey.prepayJsapi({ outTradeNo: nextNo(), description: 'x', amount: { total: 1 }, payerOpenid: OPENID }));
      expect(e).toMatchObject({ type: 'dependency_unavailable', code: 'WXPAY_SIGN_ERROR', kind: 'config' });
      expect(mock.calls[0]).toMatchObject({ authorized: false, status: 401 });
    });

    it('validates its input before sending anything', async () => {
      const e = await caught(client.prepayJsapi({ outTradeNo: 'bad no!', description: 'x', amount: { total: 1 }, payerOpenid: OPENID }));
      expect(e).toMatchObject({ type: 'unprocessable', code: 'WXPAY_INVALID_INPUT' });
      expect(await caught(client.prepayJsapi({ outTradeNo: nextNo(), description: 'x', amount: { total: 1.5 }, payerOpenid: OPENID }))).toMatchObject({ code: 'WXPAY_INVALID_INPUT' });
      expect(await caught(client.prepayJsapi({ outTradeNo: nextNo(), description: 'x'.repeat(128), amount: { total: 1 }, payerOpenid: OPENID }))).toMatchObject({ code: 'WXPAY_INVALID_INPUT' });
      expect(mock.calls).toHaveLength(0);
    });

    it('carries the WeChat code, and nothing internal in what a problem body is made of', async () => {
      mock.inject({ path: '/v3/pay/transactions/jsapi', status: 403, body: { code: 'NO_AUTH', message: '商户无权限 internal detail' } });
      const e = await caught(prepay(nextNo()));
      expect(e).toMatchObject({ type: 'dependency_unavailable', code: 'WXPAY_NO_AUTH' });
      // A problem body is made of the message, the code, errors[] and details (http/problem.ts): none may quote WeChat.
      expect(JSON.stringify([e.message, e.code, e.extra.errors, e.extra.details])).not.toContain('internal detail');
      expect(e.info.providerMessage).toContain('internal detail');
    });
  });

  describe('answer verification', () => {
    it.each([
      ['unsigned', 'unsigned'],
      ['signed by a stranger', 'forged'],
      ['a SIGNTEST probe', 'signtest'],
      ['more than 5 minutes old', 'stale'],
      ['signed by an unknown key', 'unknown_serial'],
    ] as const)('refuses a 200 that is %s (502 WXPAY_UNVERIFIED_RESPONSE, not retried)', async (_label, answer) => {
      const no = nextNo();
      mock.inject({ method: 'POST', path: '/jsapi', answer });
      const e = await caught(prepay(no));
      expect(e).toMatchObject({ type: 'upstream_error', code: 'WXPAY_UNVERIFIED_RESPONSE', kind: 'unverified' });
      expect(e.info.mayHaveTakenEffect).toBe(true);
      // The order did reach the platform: the same request again is how the caller recovers.
      expect((await prepay(no)).prepayId).toBe(mock.orders.get(no)!.prepay_id);

      mock.inject({ method: 'GET', path: '/out-trade-no/', answer });
      expect(await caught(client.queryByOutTradeNo(no))).toMatchObject({ code: 'WXPAY_UNVERIFIED_RESPONSE' });
      expect(mock.calls.filter((c) => c.method === 'GET')).toHaveLength(1);
    });

    it('refuses a forged business error instead of believing it', async () => {
      mock.inject({ method: 'GET', status: 404, body: { code: 'ORDER_NOT_EXIST', message: '订单不存在' }, answer: 'forged' });
      expect(await caught(client.queryByOutTradeNo(nextNo()))).toMatchObject({ code: 'WXPAY_UNVERIFIED_RESPONSE' });
    });

    it('follows the platform key rotation: answers signed with the certificate key verify too', async () => {
      const no = nextNo();
      mock.useKey('certificate');
      await prepay(no);
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'NOTPAY' });
    });
  });

  describe('queryByOutTradeNo', () => {
    it('reads NOTPAY, then SUCCESS with the transaction after the customer paid', async () => {
      const no = nextNo();
      await prepay(no);
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ out_trade_no: no, trade_state: 'NOTPAY', mchid: '1900000109', appid: 'wx_demo_appid' });
      await mock.pay(no, { lose: true });
      const tx = await client.queryByOutTradeNo(no);
      expect(tx).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 12_800, payer_total: 12_800, currency: 'CNY' }, payer: { openid: OPENID } });
      expect(tx!.transaction_id).toMatch(/^4200\d{24}$/);
      expect(tx!.success_time).toMatch(/\+08:00$/);
      expect(mock.calls.at(-1)).toMatchObject({ method: 'GET', path: `/v3/pay/transactions/out-trade-no/${no}?mchid=1900000109`, authorized: true });
    });

    it('returns undefined for an order WeChat never saw', async () => {
      expect(await client.queryByOutTradeNo(nextNo())).toBeUndefined();
    });

    it('retries 5xx, timeouts and dropped connections, then succeeds', async () => {
      const no = nextNo();
      await prepay(no);
      mock.inject({ method: 'GET', status: 503 });
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'NOTPAY' });
      mock.inject({ method: 'GET', delayMs: 600 });
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'NOTPAY' });
      mock.inject({ method: 'GET', destroy: true });
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'NOTPAY' });
    });

    it('gives up after the configured retries with a 503', async () => {
      mock.inject({ method: 'GET', status: 502, times: 3 });
      const e = await caught(client.queryByOutTradeNo(nextNo()));
      expect(e).toMatchObject({ type: 'dependency_unavailable', code: 'WXPAY_SYSTEM_ERROR' });
      expect(mock.calls).toHaveLength(3);
    });

    it('reports an unreachable platform as 503 that certainly did not take effect', async () => {
      const dead = http.createServer();
      await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
      const port = (dead.address() as AddressInfo).port;
      await new Promise<void>((r) => dead.close(() => r()));
      const offline = new WechatPayClient(configFor(mock, { WECHATPAY_API_BASE: `http://127.0.0.1:${port}` }), logger, { retryDelaysMs: [1] });
      const e = await caught(offline.queryByOutTradeNo(nextNo()));
      expect(e).toMatchObject({ type: 'dependency_unavailable', code: 'WXPAY_UNAVAILABLE', kind: 'network' });
      expect(e.info.mayHaveTakenEffect).toBe(false);
    });

    it('rejects a verified but unexpected body as WXPAY_BAD_RESPONSE', async () => {
      mock.inject({ method: 'GET', status: 200, body: { hello: 'world' } });
      expect(await caught(client.queryByOutTradeNo(nextNo()))).toMatchObject({ type: 'upstream_error', code: 'WXPAY_BAD_RESPONSE' });
    });
  });

  describe('close', () => {
    it('closes an unpaid order (204), then it queries as CLOSED and cannot be prepaid again', async () => {
      const no = nextNo();
      await prepay(no);
      expect(await client.close(no)).toBe('closed');
      expect(mock.calls.at(-1)).toMatchObject({ method: 'POST', path: `/v3/pay/transactions/out-trade-no/${no}/close`, body: { mchid: '1900000109' }, status: 204 });
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'CLOSED' });
      expect(await caught(prepay(no))).toMatchObject({ type: 'conflict', code: 'WXPAY_ORDER_CLOSED' });
    });

    it('says ORDERPAID (409) for a paid order, and not_found / already_closed without failing', async () => {
      const no = nextNo();
      await prepay(no);
      await mock.pay(no, { lose: true });
      expect(await caught(client.close(no))).toMatchObject({ type: 'conflict', code: 'WXPAY_ORDERPAID' });
      expect(await client.close(nextNo())).toBe('not_found');
      mock.inject({ path: '/close', status: 400, body: { code: 'ORDER_CLOSED', message: '订单已关闭' } });
      expect(await client.close(no)).toBe('already_closed');
    });

    it('is retried on 5xx (closing twice is harmless)', async () => {
      const no = nextNo();
      await prepay(no);
      mock.inject({ path: '/close', status: 500 });
      expect(await client.close(no)).toBe('closed');
    });
  });

  describe('refunds', () => {
    it('creates a refund (PROCESSING), queries it, and sees it succeed', async () => {
      const no = nextNo();
      await prepay(no);
      const { transaction } = await mock.pay(no, { lose: true });
      const created = await client.refund({ outRefundNo: `RF${no}`, outTradeNo: no, amount: { refund: 800, total: 12_800 }, reason: '多收了' });
      expect(created).toMatchObject({ out_refund_no: `RF${no}`, out_trade_no: no, transaction_id: transaction!.transaction_id, status: 'PROCESSING', amount: { refund: 800, total: 12_800, currency: 'CNY' } });
      expect(created.refund_id).toMatch(/^50\d{28}$/);
      expect(mock.calls.at(-1)!.body).toEqual({
        out_trade_no: no,
        out_refund_no: `RF${no}`,
        reason: '多收了',
        notify_url: 'http://127.0.0.1:9/api/v1/webhooks/wechatpay',
        amount: { refund: 800, total: 12_800, currency: 'CNY' },
      });
      // Same out_refund_no again: the same refund, never a second one.
      expect((await client.refund({ outRefundNo: `RF${no}`, outTradeNo: no, amount: { refund: 800, total: 12_800 } })).refund_id).toBe(created.refund_id);
      expect(await client.queryRefund(`RF${no}`)).toMatchObject({ status: 'PROCESSING' });
      await mock.completeRefund(`RF${no}`, { lose: true });
      expect(await client.queryRefund(`RF${no}`)).toMatchObject({ status: 'SUCCESS', success_time: expect.stringMatching(/\+08:00$/) });
      expect(await client.queryByOutTradeNo(no)).toMatchObject({ trade_state: 'REFUND' });
    });

    it('refuses refunding more than was paid, and reads an unknown refund as undefined', async () => {
      const no = nextNo();
      await prepay(no);
      await mock.pay(no, { lose: true });
      await client.refund({ outRefundNo: `RF${no}-1`, transactionId: mock.orders.get(no)!.transaction_id, amount: { refund: 12_000, total: 12_800 } });
      expect(await caught(client.refund({ outRefundNo: `RF${no}-2`, outTradeNo: no, amount: { refund: 1_000, total: 12_800 } }))).toMatchObject({ type: 'conflict', code: 'WXPAY_INVALID_REQUEST' });
      expect(await client.queryRefund('RF-unknown')).toBeUndefined();
      expect(await caught(client.refund({ outRefundNo: 'RF1', outTradeNo: no, transactionId: '1', amount: { refund: 1, total: 1 } }))).toMatchObject({ code: 'WXPAY_INVALID_INPUT' });
    });

    it('does not retry a refund on 5xx', async () => {
      mock.inject({ path: '/v3/refund/domestic/refunds', method: 'POST', status: 500 });
      expect(await caught(client.refund({ outRefundNo: 'RF-5xx', outTradeNo: nextNo(), amount: { refund: 1, total: 1 } }))).toMatchObject({ type: 'dependency_unavailable' });
      expect(mock.calls).toHaveLength(1);
    });
  });
});
