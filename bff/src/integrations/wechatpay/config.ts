/**
 * The WECHATPAY_* environment: a zod shape to spread into the BFF's envSchema, and the step that
 * turns the parsed values into a WechatPayConfig (or "not configured": payments are optional).
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { PlatformKeyring, apiV3KeyObject, loadPlatformKey, normalizePem, type PlatformKey } from './signing';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const platformKeysJson = z.string().transform((raw, ctx): PlatformKey[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON array of {"id","pem"}' });
    return z.NEVER;
  }
  const shape = z.array(z.object({ id: z.string().min(1).max(64), pem: z.string().min(1) }).strict()).min(1);
  const entries = shape.safeParse(parsed);
  if (!entries.success) {
    ctx.addIssue({ code: 'custom', message: 'must be a non-empty JSON array of {"id": "<certificate serial or PUB_KEY_ID_…>", "pem": "<PEM>"}' });
    return z.NEVER;
  }
  const keys: PlatformKey[] = [];
  for (const [i, e] of entries.data.entries()) {
    try {
      keys.push(loadPlatformKey(e.id, e.pem));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `entry ${i} (${e.id}): ${err instanceof Error ? err.message : 'unreadable PEM'}` });
    }
  }
  if (new Set(keys.map((k) => k.id.toUpperCase())).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'ids must be unique' });
  return keys;
});

const notifyUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    // WeChat refuses notify URLs with a query string.
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash;
  } catch {
    return false;
  }
}, 'must be an http(s) URL without query string');

/** Spread into the BFF's envSchema: `z.object({ ...other, ...wechatPayEnvShape })`. */
export const wechatPayEnvShape = {
  WECHATPAY_MCHID: z
    .string()
    .regex(/^\d{1,32}$/, 'must be the numeric merchant id')
    .optional()
    .describe('WeChat Pay merchant id (商户号). Leave all WECHATPAY_* unset to run without WeChat Pay (the pay endpoints then answer 503 WECHATPAY_NOT_CONFIGURED).'),
  WECHATPAY_APPID: z.string().min(1).max(32).optional().describe('AppID bound to the merchant for JSAPI payments; default WECHAT_APPID (the mini-program).'),
  WECHATPAY_MERCHANT_SERIAL: z
    .string()
    .regex(/^[0-9A-Fa-f]{8,64}$/, 'must be the hex serial of the merchant API certificate')
    .optional()
    .describe('Serial number of the merchant API certificate (商户API证书序列号), sent as serial_no in every request signature.'),
  WECHATPAY_PRIVATE_KEY: z.string().min(1).optional().describe('Merchant API private key (apiclient_key.pem) as PEM; a single line with `\\n` escapes is accepted. Or use WECHATPAY_PRIVATE_KEY_FILE.'),
  WECHATPAY_PRIVATE_KEY_FILE: z.string().min(1).optional().describe('Path of the merchant API private key PEM file (alternative to WECHATPAY_PRIVATE_KEY).'),
  WECHATPAY_APIV3_KEY: z
    .string()
    .refine((v) => Buffer.byteLength(v, 'utf8') === 32, 'must be exactly 32 bytes')
    .optional()
    .describe('APIv3 key (32 bytes) that decrypts notification resources (AEAD_AES_256_GCM).'),
  WECHATPAY_PLATFORM_KEYS: platformKeysJson
    .optional()
    .describe('JSON array of WeChat Pay verification keys, `[{"id":"PUB_KEY_ID_…","pem":"-----BEGIN PUBLIC KEY-----…"}]`; ids are WeChat Pay public key ids or platform certificate serials (a certificate PEM is accepted then). List old and new during a rotation.'),
  WECHATPAY_NOTIFY_URL: notifyUrl.optional().describe('Public HTTPS URL WeChat Pay posts payment and refund notifications to, i.e. `https://<host>/api/v1/webhooks/wechatpay`.'),
  WECHATPAY_API_BASE: z
    .string()
    .refine((v) => {
      try {
        return ['http:', 'https:'].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'must be an http(s) URL')
    .default('https://api.mch.weixin.qq.com')
    .describe('WeChat Pay API base (`https://api2.mch.weixin.qq.com` is the fallback domain; the demo points it at mocks/wechatpay).'),
  WECHATPAY_TIMEOUT_MS: int(5_000, 100, 60_000).describe('Per-attempt timeout of WeChat Pay API calls.'),
  WECHATPAY_ORDER_TTL_S: int(1_800, 60, 7 * 24 * 3600).describe('Seconds a WeChat payment order stays payable (`time_expire`).'),
};

const fragment = z.object(wechatPayEnvShape);
export type WechatPayEnv = z.infer<typeof fragment>;

export interface WechatPayConfig {
  mchid: string;
  appId: string;
  merchantSerial: string;
  /** KeyObjects, so logging the config never prints key material. */
  privateKey: KeyObject;
  apiV3Key: KeyObject;
  platformKeys: PlatformKeyring;
  notifyUrl: string;
  apiBase: string;
  timeoutMs: number;
  orderTtlS: number;
}

/** Any of these set means "WeChat Pay is meant to be on", and then all of them must be valid. */
const REQUIRED = ['WECHATPAY_MCHID', 'WECHATPAY_MERCHANT_SERIAL', 'WECHATPAY_APIV3_KEY', 'WECHATPAY_PLATFORM_KEYS', 'WECHATPAY_NOTIFY_URL'] as const;

/**
 * Turns the parsed fragment into a config. `config` is undefined when no WECHATPAY_* credential is
 * set; `problems` uses loadConfig's `VAR: message` form so they join its list of bad variables.
 */
export function wechatPayConfigFromEnv(
  env: WechatPayEnv,
  ctx: { defaultAppId: string; production: boolean; readFile?: (path: string) => string },
): { config?: WechatPayConfig; problems: string[] } {
  const anySet = [...REQUIRED, 'WECHATPAY_PRIVATE_KEY', 'WECHATPAY_PRIVATE_KEY_FILE', 'WECHATPAY_APPID'].some((k) => env[k as keyof WechatPayEnv] !== undefined);
  if (!anySet) return { problems: [] };

  const problems: string[] = [];
  for (const k of REQUIRED) if (env[k] === undefined) problems.push(`${k}: is required when WeChat Pay is configured`);

  let privateKey: KeyObject | undefined;
  if (env.WECHATPAY_PRIVATE_KEY && env.WECHATPAY_PRIVATE_KEY_FILE) {
    problems.push('WECHATPAY_PRIVATE_KEY: set either WECHATPAY_PRIVATE_KEY or WECHATPAY_PRIVATE_KEY_FILE, not both');
  } else if (!env.WECHATPAY_PRIVATE_KEY && !env.WECHATPAY_PRIVATE_KEY_FILE) {
    problems.push('WECHATPAY_PRIVATE_KEY: is required when WeChat Pay is configured (or WECHATPAY_PRIVATE_KEY_FILE)');
  } else {
    const name = env.WECHATPAY_PRIVATE_KEY ? 'WECHATPAY_PRIVATE_KEY' : 'WECHATPAY_PRIVATE_KEY_FILE';
    try {
      const pem = env.WECHATPAY_PRIVATE_KEY ?? (ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(env.WECHATPAY_PRIVATE_KEY_FILE as string);
      const key = createPrivateKey(normalizePem(pem));
      if (key.asymmetricKeyType !== 'rsa') problems.push(`${name}: must be an RSA private key`);
      else if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) problems.push(`${name}: must be at least 2048 bits`);
      else privateKey = key;
    } catch (e) {
      // Never echo the value: it is a secret.
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`${name}: ${code === 'ENOENT' || code === 'EACCES' ? `cannot read the file (${code})` : 'is not a readable PEM private key'}`);
    }
  }

  if (ctx.production && env.WECHATPAY_NOTIFY_URL && !env.WECHATPAY_NOTIFY_URL.startsWith('https:')) {
    problems.push('WECHATPAY_NOTIFY_URL: must be https in production (WeChat Pay only calls HTTPS notify URLs)');
  }
  if (problems.length || !privateKey) return { problems };

  return {
    problems: [],
    config: {
      mchid: env.WECHATPAY_MCHID as string,
      appId: env.WECHATPAY_APPID ?? ctx.defaultAppId,
      merchantSerial: env.WECHATPAY_MERCHANT_SERIAL as string,
      privateKey,
      apiV3Key: apiV3KeyObject(env.WECHATPAY_APIV3_KEY as string),
      platformKeys: new PlatformKeyring(env.WECHATPAY_PLATFORM_KEYS as PlatformKey[]),
      notifyUrl: env.WECHATPAY_NOTIFY_URL as string,
      apiBase: env.WECHATPAY_API_BASE.replace(/\/+$/, ''),
      timeoutMs: env.WECHATPAY_TIMEOUT_MS,
      orderTtlS: env.WECHATPAY_ORDER_TTL_S,
    },
  };
}
