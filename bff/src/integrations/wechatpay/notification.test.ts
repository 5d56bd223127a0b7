import { startWechatPayMock, type WechatPayMock } from '../../../../mocks/wechatpay/server';
import { NotificationRejected, WechatPayNotificationVerifier, verifyNotification, type NotificationRejectReason } from './notification';
import { PlatformKeyring, encryptResource, responseMessage, signBase64, unixSeconds } from './signing';

const transaction = (over: Record<string, unknown> = {}) => ({
  appid: 'wx_demo_appid',
  mchid: '1900000109',
  out_trade_no: 'WO42-1-abc',
  transaction_id: '4200000000000000000000000001',
  trade_type: 'JSAPI',
  trade_state: 'SUCCESS',
  trade_state_desc: '支付成功',
  bank_type: 'OTHERS',
  attach: '',
  success_time: '2025-05-20T13:29:35+08:00',
  payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  amount: { total: 12_800, payer_total: 12_800, currency: 'CNY', payer_currency: 'CNY' },
  ...over,
});

describe(verifyNotification.name, () => {
  let mock: WechatPayMock;
  let verifier: WechatPayNotificationVerifier;
  let keyring: PlatformKeyring;

  beforeAll(async () => {
    mock = await startWechatPayMock({ port: 0 });
    keyring = PlatformKeyring.fromPems(mock.platformKeys);
    verifier = new WechatPayNotificationVerifier({ platformKeys: keyring, apiV3Key: mock.merchant.apiV3Key });
  });
  afterAll(() => mock.close());
  afterEach(() => mock.useKey('public_key'));

  const rejection = (fn: () => unknown): NotificationRejectReason | undefined => {
    try {
      fn();
    } catch (e) {
      if (e instanceof NotificationRejected) return e.reason;
      throw e;
    }
    return undefined;
  };

  it('verifies and decrypts a TRANSACTION.SUCCESS built by the mock', () => {
    const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
    const out = verifier.verifyNotification({ headers: n.headers, rawBody: Buffer.from(n.body) });
    expect(out.kind).toBe('transaction');
    expect(out.event).toMatchObject({ id: n.id, event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource', resource: { algorithm: 'AEAD_AES_256_GCM', original_type: 'transaction' } });
    expect(out.resource).toMatchObject({ out_trade_no: 'WO42-1-abc', trade_state: 'SUCCESS', amount: { total: 12_800, payer_total: 12_800 }, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
  });

  it('decrypts a REFUND.SUCCESS into a typed refund notice', () => {
    const n = mock.buildNotification({
      eventType: 'REFUND.SUCCESS',
      originalType: 'refund',
      resource: { mchid: '1900000109', out_trade_no: 'WO42-1-abc', transaction_id: '4200', out_refund_no: 'RF42-1', refund_id: '5000', refund_status: 'SUCCESS', success_time: '2025-05-20T13:29:35+08:00', amount: { total: 12_800, refund: 800, payer_total: 12_800, payer_refund: 800 } },
    });
    const out = verifier.verifyNotification({ headers: n.headers, rawBody: n.body });
    expect(out.kind).toBe('refund');
    if (out.kind !== 'refund') throw new Error('unreachable');
    expect(out.resource).toMatchObject({ out_refund_no: 'RF42-1', refund_id: '5000', refund_status: 'SUCCESS', amount: { refund: 800 } });
  });

  it('accepts key rotation: a certificate-serial key and a PUB_KEY_ID key side by side', () => {
    mock.useKey('certificate');
    const viaCert = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
    expect(viaCert.headers['Wechatpay-Serial']).toBe(mock.keys.certificate.serial);
    mock.useKey('public_key');
    const viaPub = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
    expect(viaPub.headers['Wechatpay-Serial']).toMatch(/^PUB_KEY_ID_/);
    for (const n of [viaCert, viaPub]) expect(verifier.verifyNotification({ headers: n.headers, rawBody: n.body }).kind).toBe('transaction');
    // A BFF that only knows the old certificate does not trust the new public key.
    const certOnly = new PlatformKeyring(keyring.ids.filter((id) => !id.startsWith('PUB_KEY_ID_')).map((id) => keyring.get(id)!));
    expect(rejection(() => verifyNotification({ headers: viaPub.headers, rawBody: viaPub.body }, { platformKeys: certOnly, apiV3Key: mock.merchant.apiV3Key }))).toBe('unknown_serial');
  });

  it('reads headers case-insensitively from plain objects, arrays (node) and fetch Headers', () => {
    const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
    const lower = Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    expect(verifier.verifyNotification({ headers: lower, rawBody: n.body }).kind).toBe('transaction');
    expect(verifier.verifyNotification({ headers: new Headers(n.headers), rawBody: n.body }).kind).toBe('transaction');
  });

  describe('rejections', () => {
    it.each(['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial'])('missing_headers without %s', (h) => {
      const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
      const headers: Record<string, string> = { ...n.headers };
      delete headers[h];
      expect(rejection(() => verifier.verifyNotification({ headers, rawBody: n.body }))).toBe('missing_headers');
      expect(rejection(() => verifier.verifyNotification({ headers: { ...n.headers, [h]: '' }, rawBody: n.body }))).toBe('missing_headers');
    });

    it('signtest: a WECHATPAY/SIGNTEST/ probe, even when everything else is also wrong', () => {
      const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction(), forge: 'signtest' });
      expect(rejection(() => verifier.verifyNotification({ headers: n.headers, rawBody: n.body }))).toBe('signtest');
      expect(rejection(() => verifier.verifyNotification({ headers: { ...n.headers, 'Wechatpay-Timestamp': '1' }, rawBody: 'x' }))).toBe('signtest');
    });

    it('stale_timestamp: more than 5 minutes old or ahead, before the serial is looked at', () => {
      const old = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction(), forge: 'timestamp' });
      expect(rejection(() => verifier.verifyNotification({ headers: old.headers, rawBody: old.body }))).toBe('stale_timestamp');
      const fresh = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
      const ts = Number(fresh.headers['Wechatpay-Timestamp']) * 1000;
      expect(verifier.verifyNotification({ headers: fresh.headers, rawBody: fresh.body, now: ts + 299_000 }).kind).toBe('transaction');
      expect(rejection(() => verifier.verifyNotification({ headers: fresh.headers, rawBody: fresh.body, now: new Date(ts + 301_000) }))).toBe('stale_timestamp');
      expect(rejection(() => verifier.verifyNotification({ headers: fresh.headers, rawBody: fresh.body, now: ts - 301_000 }))).toBe('stale_timestamp');
      expect(rejection(() => verifier.verifyNotification({ headers: { ...fresh.headers, 'Wechatpay-Timestamp': 'soon', 'Wechatpay-Serial': 'nope' }, rawBody: fresh.body }))).toBe('stale_timestamp');
    });

    it('unknown_serial', () => {
      const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction(), forge: 'serial' });
      expect(rejection(() => verifier.verifyNotification({ headers: n.headers, rawBody: n.body }))).toBe('unknown_serial');
    });

    it('bad_signature: signed by a stranger, or the body changed after signing', () => {
      const forged = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction(), forge: 'signature' });
      expect(rejection(() => verifier.verifyNotification({ headers: forged.headers, rawBody: forged.body }))).toBe('bad_signature');
      const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
      expect(rejection(() => verifier.verifyNotification({ headers: n.headers, rawBody: n.body.replace('TRANSACTION.SUCCESS', 'TRANSACTION.SUCCEXX') }))).toBe('bad_signature');
      // Re-serializing the parsed JSON (what a JSON body parser would hand over) breaks the signature too.
      expect(rejection(() => verifier.verifyNotification({ headers: n.headers, rawBody: JSON.stringify(JSON.parse(n.body), null, 1) }))).toBe('bad_signature');
    });

    it('decrypt_failed: tampered ciphertext (validly signed) and a wrong APIv3 key', () => {
      const tampered = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction(), forge: 'ciphertext' });
      expect(rejection(() => verifier.verifyNotification({ headers: tampered.headers, rawBody: tampered.body }))).toBe('decrypt_failed');
      const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction() });
      expect(rejection(() => verifyNotification({ headers: n.headers, rawBody: n.body }, { platformKeys: keyring, apiV3Key: 'ZYXWVUTSRQPONMLKJIHGFEDCBA543210' }))).toBe('decrypt_failed');
    });

    describe('malformed (validly signed, but not a usable notification)', () => {
      const signed = (body: string) => {
        const timestamp = unixSeconds();
        const nonce = 'NONCE';
        return {
          headers: { 'Wechatpay-Timestamp': timestamp, 'Wechatpay-Nonce': nonce, 'Wechatpay-Serial': mock.keys.publicKey.id, 'Wechatpay-Signature': signBase64(responseMessage(timestamp, nonce, body), mock.keys.publicKey.privateKeyPem) },
          rawBody: body,
        };
      };
      const envelope = (resource: Record<string, unknown>, over: Record<string, unknown> = {}) =>
        JSON.stringify({ id: 'EV-1', create_time: '2025-05-20T13:29:35+08:00', event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource', resource, ...over });

      it.each([
        ['not JSON', 'hello'],
        ['not an envelope', '{"id":"x"}'],
        ['another algorithm', envelope({ algorithm: 'AEAD_SM4_GCM', ciphertext: 'AAAA', nonce: 'n' })],
      ])('%s', (_label, body) => {
        expect(rejection(() => verifier.verifyNotification(signed(body)))).toBe('malformed');
      });

      it('a decrypted resource that is not a transaction is verified, as kind "unreadable" (kept, not refused)', () => {
        const enc = encryptResource(JSON.stringify({ hello: 'world' }), mock.merchant.apiV3Key, { associatedData: 'transaction', originalType: 'transaction' });
        expect(verifier.verifyNotification(signed(envelope({ ...enc })))).toMatchObject({ kind: 'unreadable', resource: { hello: 'world' }, problem: expect.stringMatching(/^transaction resource shape: .*mchid/) });
        const text = encryptResource('not json', mock.merchant.apiV3Key, { associatedData: 'transaction', originalType: 'transaction' });
        expect(verifier.verifyNotification(signed(envelope({ ...text })))).toMatchObject({ kind: 'unreadable', resource: 'not json', problem: 'decrypted resource is not JSON' });
        const refund = encryptResource(JSON.stringify({ refund_id: 1 }), mock.merchant.apiV3Key, { associatedData: 'refund', originalType: 'refund' });
        expect(verifier.verifyNotification(signed(envelope({ ...refund }, { event_type: 'REFUND.SUCCESS' })))).toMatchObject({ kind: 'unreadable', problem: expect.stringMatching(/^refund resource shape/) });
      });

      it('an event type this adapter does not model is still verified, as kind "other"', () => {
        const enc = encryptResource(JSON.stringify({ complaint_id: '1' }), mock.merchant.apiV3Key, { associatedData: 'complaint', originalType: 'complaint' });
        const out = verifier.verifyNotification(signed(envelope({ ...enc }, { event_type: 'COMPLAINT.CREATE' })));
        expect(out).toMatchObject({ kind: 'other', resource: { complaint_id: '1' } });
      });
    });

    it('gives the route a short public reason and keeps details internal', () => {
      const n = mock.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: transaction(), forge: 'serial' });
      try {
        verifier.verifyNotification({ headers: n.headers, rawBody: n.body });
        throw new Error('expected a rejection');
      } catch (e) {
        expect(e).toBeInstanceOf(NotificationRejected);
        const r = e as NotificationRejected;
        expect(r.reason).toBe('unknown_serial');
        expect(r.publicMessage).toBe('unknown Wechatpay-Serial');
        expect(r.detail).toContain('PUB_KEY_ID_99');
      }
    });
  });
});
