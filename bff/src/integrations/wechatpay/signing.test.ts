import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { generateMockKeys, type MockKeyMaterial } from '../../../../mocks/wechatpay/server';
import {
  DecryptError,
  PlatformKeyring,
  SIGNTEST_PREFIX,
  apiV3KeyObject,
  buildAuthorization,
  decryptResource,
  encryptResource,
  loadPlatformKey,
  normalizePem,
  parseAuthorization,
  requestMessage,
  requestPaymentMessage,
  responseMessage,
  rfc3339,
  signBase64,
  signRequestPayment,
  timestampFresh,
  verifyBase64,
  verifyPlatformSignature,
} from './signing';

const API_V3_KEY = 'abcdefghijklmnopqrstuvwxyz012345';

describe('WeChat Pay signing', () => {
  let keys: MockKeyMaterial;
  let keyring: PlatformKeyring;
  beforeAll(() => {
    keys = generateMockKeys();
    keyring = PlatformKeyring.fromPems([
      { id: keys.certificate.serial, pem: keys.certificate.certificatePem },
      { id: keys.publicKey.id, pem: keys.publicKey.publicKeyPem },
    ]);
  });

  describe(buildAuthorization.name, () => {
    it('signs METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n and verifies with the merchant public key', () => {
      const body = '{"mchid":"1900000109"}';
      const header = buildAuthorization({
        mchid: '1900000109',
        serialNo: keys.merchant.serial,
        privateKey: keys.merchant.privateKeyPem,
        method: 'post',
        pathAndQuery: '/v3/pay/transactions/out-trade-no/WO-1-1/close',
        body,
        timestamp: '1722850421',
        nonce: 'NONCE123',
      });
      expect(header).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="NONCE123",signature="[A-Za-z0-9+/=]+",timestamp="1722850421",serial_no="[0-9A-F]+"$/);
      const parsed = parseAuthorization(header);
      expect(parsed).toMatchObject({ mchid: '1900000109', nonce_str: 'NONCE123', timestamp: '1722850421', serial_no: keys.merchant.serial });
      const message = `POST\n/v3/pay/transactions/out-trade-no/WO-1-1/close\n1722850421\nNONCE123\n${body}\n`;
      expect(requestMessage('post', '/v3/pay/transactions/out-trade-no/WO-1-1/close', '1722850421', 'NONCE123', body)).toBe(message);
      expect(verifyBase64(message, parsed!.signature, keys.merchant.publicKeyPem)).toBe(true);
      // The query string is part of what is signed; an empty GET body still ends with a newline.
      expect(verifyBase64(requestMessage('GET', '/v3/x?mchid=1', '1722850421', 'NONCE123', ''), parsed!.signature, keys.merchant.publicKeyPem)).toBe(false);
      expect(requestMessage('GET', '/v3/x?mchid=1', '1', 'n', '')).toBe('GET\n/v3/x?mchid=1\n1\nn\n\n');
    });

    it('makes fresh 10-digit timestamps and 32-char nonces by default', () => {
      const parsed = parseAuthorization(buildAuthorization({ mchid: '1', serialNo: 'AB', privateKey: keys.merchant.privateKeyPem, method: 'GET', pathAndQuery: '/', body: '' }));
      expect(parsed!.timestamp).toMatch(/^\d{10}$/);
      expect(parsed!.nonce_str).toMatch(/^[0-9a-f]{32}$/);
    });

    it('refuses headers of another scheme or with missing fields', () => {
      expect(parseAuthorization('Bearer x')).toBeUndefined();
      expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n"')).toBeUndefined();
      expect(parseAuthorization(undefined)).toBeUndefined();
    });
  });

  describe(signRequestPayment.name, () => {
    it('signs appId\\ntimeStamp\\nnonceStr\\npackage\\n with the merchant key (signType not signed)', () => {
      const p = signRequestPayment({ appId: 'wx8888888888888888', prepayId: 'wx201410272009395522657a690389285100', privateKey: keys.merchant.privateKeyPem, timeStamp: '1414561699', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS' });
      expect(p).toMatchObject({ timeStamp: '1414561699', nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS', package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA' });
      const message = 'wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n';
      expect(requestPaymentMessage('wx8888888888888888', p.timeStamp, p.nonceStr, p.package)).toBe(message);
      expect(verifyBase64(message, p.paySign, createPublicKey(keys.merchant.publicKeyPem))).toBe(true);
      expect(verifyBase64(message, p.paySign, keys.publicKey.publicKeyPem)).toBe(false);
    });
  });

  describe(verifyPlatformSignature.name, () => {
    const sign = (privateKeyPem: string, ts: string, nonce: string, body: string) => signBase64(responseMessage(ts, nonce, body), privateKeyPem);

    it('verifies with the key named by the serial, in both modes (rotation: two keys at once)', () => {
      const body = '{"prepay_id":"wx1"}';
      const viaCert = sign(keys.certificate.privateKeyPem, '1700000000', 'N1', body);
      const viaPub = sign(keys.publicKey.privateKeyPem, '1700000000', 'N1', body);
      expect(verifyPlatformSignature({ keyring, serial: keys.certificate.serial, signature: viaCert, timestamp: '1700000000', nonce: 'N1', body })).toBe('ok');
      expect(verifyPlatformSignature({ keyring, serial: keys.certificate.serial.toLowerCase(), signature: viaCert, timestamp: '1700000000', nonce: 'N1', body: Buffer.from(body) })).toBe('ok');
      expect(verifyPlatformSignature({ keyring, serial: keys.publicKey.id, signature: viaPub, timestamp: '1700000000', nonce: 'N1', body })).toBe('ok');
      // Right signature, wrong key named.
      expect(verifyPlatformSignature({ keyring, serial: keys.publicKey.id, signature: viaCert, timestamp: '1700000000', nonce: 'N1', body })).toBe('bad_signature');
    });

    it('rejects probes, unknown serials, tampering and garbage without throwing', () => {
      const body = '{"a":1}';
      const sig = sign(keys.publicKey.privateKeyPem, '1700000000', 'N1', body);
      const base = { keyring, serial: keys.publicKey.id, timestamp: '1700000000', nonce: 'N1', body };
      expect(verifyPlatformSignature({ ...base, signature: SIGNTEST_PREFIX + sig })).toBe('signtest');
      expect(verifyPlatformSignature({ ...base, serial: 'PUB_KEY_ID_0000', signature: sig })).toBe('unknown_serial');
      expect(verifyPlatformSignature({ ...base, body: '{"a":2}', signature: sig })).toBe('bad_signature');
      expect(verifyPlatformSignature({ ...base, nonce: 'N2', signature: sig })).toBe('bad_signature');
      expect(verifyPlatformSignature({ ...base, signature: 'not base64!' })).toBe('bad_signature');
      expect(verifyPlatformSignature({ ...base, signature: '' })).toBe('bad_signature');
    });

    it('signs an empty (204) body as a final lone newline', () => {
      expect(responseMessage('1', 'n', '').toString()).toBe('1\nn\n\n');
    });
  });

  describe(loadPlatformKey.name, () => {
    it('accepts a certificate only under its own serial, and only RSA keys', () => {
      expect(loadPlatformKey(keys.certificate.serial.toLowerCase(), keys.certificate.certificatePem).kind).toBe('certificate');
      expect(() => loadPlatformKey('ABCDEF', keys.certificate.certificatePem)).toThrow(/does not match/);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      expect(() => loadPlatformKey('PUB_KEY_ID_1', ec)).toThrow(/RSA/);
      expect(() => loadPlatformKey('PUB_KEY_ID_1', 'nonsense')).toThrow();
    });

    it('reads PEMs given as one line with \\n escapes', () => {
      const oneLine = keys.publicKey.publicKeyPem.trim().replace(/\n/g, '\\n');
      expect(normalizePem(oneLine)).toBe(keys.publicKey.publicKeyPem);
      expect(loadPlatformKey(keys.publicKey.id, oneLine).kind).toBe('public_key');
    });
  });

  describe(decryptResource.name, () => {
    it('round-trips AEAD_AES_256_GCM with the APIv3 key, nonce and associated data as UTF-8', () => {
      const enc = encryptResource('{"trade_state":"SUCCESS"}', API_V3_KEY, { associatedData: 'transaction', nonce: 'abcdefabcdef', originalType: 'transaction' });
      expect(enc).toMatchObject({ algorithm: 'AEAD_AES_256_GCM', nonce: 'abcdefabcdef', associated_data: 'transaction', original_type: 'transaction' });
      expect(Buffer.from(enc.ciphertext, 'base64').length).toBe('{"trade_state":"SUCCESS"}'.length + 16);
      expect(decryptResource(enc, API_V3_KEY)).toBe('{"trade_state":"SUCCESS"}');
      expect(decryptResource({ ...enc }, apiV3KeyObject(API_V3_KEY))).toBe('{"trade_state":"SUCCESS"}');
    });

    it('detects tampering, a wrong key and wrong associated data', () => {
      const enc = encryptResource('{"amount":{"total":100}}', API_V3_KEY, { associatedData: 'transaction' });
      const ct = Buffer.from(enc.ciphertext, 'base64');
      ct[3] = (ct[3] as number) ^ 1;
      expect(() => decryptResource({ ...enc, ciphertext: ct.toString('base64') }, API_V3_KEY)).toThrow(DecryptError);
      expect(() => decryptResource(enc, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345')).toThrow(DecryptError);
      expect(() => decryptResource({ ...enc, associated_data: 'refund' }, API_V3_KEY)).toThrow(DecryptError);
      expect(() => decryptResource({ ...enc, ciphertext: 'AAAA' }, API_V3_KEY)).toThrow(DecryptError);
      expect(() => apiV3KeyObject('short')).toThrow(/32 bytes/);
    });
  });

  describe('time helpers', () => {
    it('formats RFC 3339 with an explicit +08:00 offset and whole seconds', () => {
      expect(rfc3339(new Date('2015-05-20T05:29:35.999Z'))).toBe('2015-05-20T13:29:35+08:00');
      expect(rfc3339(new Date('2015-05-20T23:00:00Z'))).toBe('2015-05-21T07:00:00+08:00');
      expect(rfc3339(new Date('2015-05-20T23:00:00Z'), 0)).toBe('2015-05-20T23:00:00+00:00');
      expect(rfc3339(new Date('2015-05-20T23:00:00Z'), -330)).toBe('2015-05-20T17:30:00-05:30');
    });

    it('accepts timestamps within ±5 minutes only', () => {
      const now = 1_700_000_000_000;
      expect(timestampFresh('1700000300', now)).toBe(true);
      expect(timestampFresh('1699999700', now)).toBe(true);
      expect(timestampFresh('1700000301', now)).toBe(false);
      expect(timestampFresh('1699999699', now)).toBe(false);
      expect(timestampFresh('1700000000000', now)).toBe(false); // milliseconds
      expect(timestampFresh('17e8', now)).toBe(false);
    });
  });
});
