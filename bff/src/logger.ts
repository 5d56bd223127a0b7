import winston from 'winston';
import { requestContext } from './context';

// Substrings, not whole names: WECHATPAY_PRIVATE_KEY, ODOO_PASSWORD, refresh_token… are all secrets.
const SECRET_KEYS = /(password|passwd|secret|token|authorization|cookie|api_?key|session_key|js_code|wx_code|private_?key|apiv3|pay_?sign)/i;
const PHONE_KEYS = /^(phone|mobile|phone_?number|pure_?phone_?number|drmoto_phone_normalized)$/i;
const OPENID_KEYS = /^(openid|unionid|open_id|union_id)$/i;

/** 13800138000 → 138****8000; +8613800138000 → +86138****8000. */
export function maskPhone(v: string): string {
  const s = v.trim();
  if (s.length < 8) return '****';
  return `${s.slice(0, s.length - 8)}****${s.slice(-4)}`;
}

function maskMiddle(v: string, keep = 4): string {
  if (v.length <= keep * 2) return '****';
  return `${v.slice(0, keep)}****${v.slice(-keep)}`;
}

/** Free text can carry PII too: CN mobiles, bearer tokens/JWTs, WeChat openids. */
export function maskText(s: string): string {
  return s
    .replace(/\beyJ[\w-]+\.[\w-]+\.[\w-]+/g, 'eyJ****')
    .replace(/(Bearer\s+)\S+/gi, '$1****')
    .replace(/(?<!\d)(\+?86)?1[3-9]\d{9}(?!\d)/g, (m) => maskPhone(m))
    .replace(/\bo[\w-]{5}[\w-]{17,}\b/g, (m) => maskMiddle(m));
}

export function maskValue(value: unknown, key = '', depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (SECRET_KEYS.test(key)) return '****';
    if (PHONE_KEYS.test(key)) return maskPhone(value);
    if (OPENID_KEYS.test(key)) return maskMiddle(value);
    return maskText(value);
  }
  if (typeof value === 'number' && PHONE_KEYS.test(key)) return maskPhone(String(value));
  if (Array.isArray(value)) return value.map((v) => maskValue(v, key, depth + 1));
  if (value instanceof Error) return { name: value.name, message: maskText(value.message), stack: value.stack && maskText(value.stack) };
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEYS.test(k) && v !== null && typeof v !== 'object' ? '****' : maskValue(v, k, depth + 1);
    }
    return out;
  }
  return value;
}

const maskFormat = winston.format((info) => {
  const ctx = requestContext.get();
  if (ctx && info.trace_id === undefined) info.trace_id = ctx.traceId;
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'timestamp' || key === 'trace_id') continue;
    info[key] = maskValue(info[key], key);
  }
  return info;
});

export type Logger = winston.Logger;

export function createLogger(opts: { level?: string; silent?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: opts.level ?? 'info',
    silent: opts.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), maskFormat(), winston.format.json()),
    defaultMeta: { service: 'drmoto-bff' },
    transports: [transport],
  });
}
