import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { generateMockKeys, type MockKeyMaterial } from '../../../../mocks/wechatpay/server';
import { wechatPayConfigFromEnv, wechatPayEnvShape } from './config';

const schema = z.object(wechatPayEnvShape);

describe('WeChat Pay config', () => {
  let keys: MockKeyMaterial;
  let full: Record<string, string>;
  beforeAll(() => {
    keys = generateMockKeys();
    full = {
      WECHATPAY_MCHID: '1900000109',
      WECHATPAY_MERCHANT_SERIAL: keys.merchant.serial,
      WECHATPAY_PRIVATE_KEY: keys.merchant.privateKeyPem.trim().replace(/\n/g, '\\n'),
      WECHATPAY_APIV3_KEY: 'abcdefghijklmnopqrstuvwxyz012345',
      WECHATPAY_PLATFORM_KEYS: JSON.stringify([
        { id: keys.certificate.serial, pem: keys.certificate.certificatePem },
        { id: keys.publicKey.id, pem: keys.publicKey.publicKeyPem },
      ]),
      WECHATPAY_NOTIFY_URL: 'https://bff.example.com/api/v1/webhooks/wechatpay',
    };
  });
  const ctx = { defaultAppId: 'wx_miniprogram', production: false };
  const load = (env: Record<string, string>, c: Partial<typeof ctx> & { readFile?: (p: string) => string } = {}) => {
    const parsed = schema.safeParse(env);
    if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
    return wechatPayConfigFromEnv(parsed.data, { ...ctx, ...c });
  };

  it('describes every variable for the README table and has defaults for the tuning knobs', () => {
    for (const [key, s] of Object.entries(wechatPayEnvShape)) expect([key, Boolean((s as z.ZodType).description)]).toEqual([key, true]);
    const defaults = schema.parse({});
    expect(defaults).toMatchObject({ WECHATPAY_API_BASE: 'https://api.mch.weixin.qq.com', WECHATPAY_TIMEOUT_MS: 5000, WECHATPAY_ORDER_TTL_S: 1800 });
  });

  it('is simply off when no WECHATPAY_* credential is set', () => {
    expect(load({})).toEqual({ problems: [] });
    expect(load({ WECHATPAY_TIMEOUT_MS: '3000' })).toEqual({ problems: [] });
  });

  it('builds a config with keys as KeyObjects and the mini-program appid by default', () => {
    const { config, problems } = load(full);
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ mchid: '1900000109', appId: 'wx_miniprogram', merchantSerial: keys.merchant.serial, apiBase: 'https://api.mch.weixin.qq.com', timeoutMs: 5000, orderTtlS: 1800 });
    expect(config!.privateKey.type).toBe('private');
    expect(config!.apiV3Key.type).toBe('secret');
    expect(config!.platformKeys.ids.sort()).toEqual([keys.certificate.serial, keys.publicKey.id].sort());
    expect(config!.platformKeys.get(keys.certificate.serial)!.kind).toBe('certificate');
    expect(JSON.stringify(config)).not.toContain('PRIVATE');
    expect(load({ ...full, WECHATPAY_APPID: 'wx_other', WECHATPAY_API_BASE: 'http://127.0.0.1:9/' }).config).toMatchObject({ appId: 'wx_other', apiBase: 'http://127.0.0.1:9' });
  });

  it('lists every missing variable of a half-done configuration', () => {
    const { config, problems } = load({ WECHATPAY_MCHID: '1900000109' });
    expect(config).toBeUndefined();
    expect(problems).toEqual(
      expect.arrayContaining([
        'WECHATPAY_MERCHANT_SERIAL: is required when WeChat Pay is configured',
        'WECHATPAY_APIV3_KEY: is required when WeChat Pay is configured',
        'WECHATPAY_PLATFORM_KEYS: is required when WeChat Pay is configured',
        'WECHATPAY_NOTIFY_URL: is required when WeChat Pay is configured',
        expect.stringMatching(/^WECHATPAY_PRIVATE_KEY: is required/),
      ]),
    );
  });

  it.each([
    ['WECHATPAY_APIV3_KEY', 'too-short', /32 bytes/],
    ['WECHATPAY_MCHID', 'abc', /numeric/],
    ['WECHATPAY_PLATFORM_KEYS', 'not json', /JSON array/],
    ['WECHATPAY_PLATFORM_KEYS', '[]', /non-empty/],
    ['WECHATPAY_PLATFORM_KEYS', '[{"id":"PUB_KEY_ID_1","pem":"garbage"}]', /entry 0/],
    ['WECHATPAY_NOTIFY_URL', 'https://bff.example.com/notify?x=1', /without query/],
    ['WECHATPAY_ORDER_TTL_S', '10', /60/],
  ])('rejects %s=%s', (key, value, message) => {
    const { problems } = load({ ...full, [key]: value });
    expect(problems.some((p) => p.startsWith(key) && message.test(p))).toBe(true);
  });

  it('refuses a certificate listed under another serial, and duplicate ids', () => {
    const wrong = JSON.stringify([{ id: 'ABCDEF0123', pem: keys.certificate.certificatePem }]);
    expect(load({ ...full, WECHATPAY_PLATFORM_KEYS: wrong }).problems.join()).toMatch(/does not match/);
    const dup = JSON.stringify([
      { id: keys.publicKey.id, pem: keys.publicKey.publicKeyPem },
      { id: keys.publicKey.id.toLowerCase(), pem: keys.publicKey.publicKeyPem },
    ]);
    expect(load({ ...full, WECHATPAY_PLATFORM_KEYS: dup }).problems.join()).toMatch(/unique/);
  });

  it('reads the private key from a file, but not from both places, and never echoes it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wxpay-'));
    const file = path.join(dir, 'apiclient_key.pem');
    writeFileSync(file, keys.merchant.privateKeyPem);
    const { WECHATPAY_PRIVATE_KEY: inline, ...rest } = full;
    expect(load({ ...rest, WECHATPAY_PRIVATE_KEY_FILE: file }).config?.privateKey.type).toBe('private');
    expect(load({ ...rest, WECHATPAY_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem') }).problems).toEqual(['WECHATPAY_PRIVATE_KEY_FILE: cannot read the file (ENOENT)']);
    expect(load({ ...full, WECHATPAY_PRIVATE_KEY_FILE: file }).problems.join()).toMatch(/not both/);
    const bad = load({ ...full, WECHATPAY_PRIVATE_KEY: 'secret-material-here' }).problems;
    expect(bad).toEqual(['WECHATPAY_PRIVATE_KEY: is not a readable PEM private key']);
    expect(inline).toContain('\\n');
  });

  it('requires an https notify URL in production', () => {
    expect(load({ ...full, WECHATPAY_NOTIFY_URL: 'http://bff.example.com/api/v1/webhooks/wechatpay' }, { production: true }).problems).toEqual([
      'WECHATPAY_NOTIFY_URL: must be https in production (WeChat Pay only calls HTTPS notify URLs)',
    ]);
    expect(load(full, { production: true }).problems).toEqual([]);
  });
});
