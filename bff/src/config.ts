import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { wechatPayConfigFromEnv, wechatPayEnvShape, type WechatPayConfig } from './integrations/wechatpay/config';
import { stripeConfigFromEnv, stripeEnvShape, type StripeConfig } from './integrations/stripe/config';
import { mediaConfigFromEnv, mediaEnvShape, type MediaConfig } from './integrations/s3/config';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL with scheme ${protocols.join(' or ')}`);

/**
 * Every environment variable the BFF reads. The README's configuration table is generated from
 * the same descriptions (scripts/config-table.ts), so keep `describe()` texts user-facing.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development').describe('Runtime mode.'),
  BFF_ROLE: z.enum(['api', 'worker', 'all']).default('all').describe('What this process runs: `api` (HTTP; enqueues jobs), `worker` (job handlers and schedules; /healthz and /readyz only) or `all`. `api`/`worker` need REDIS_URL.'),
  HOST: z.string().min(1).default('0.0.0.0').describe('Interface to listen on.'),
  PORT: int(3000, 0, 65535).describe('HTTP port (0 = any free port).'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info').describe('winston log level.'),
  TRUST_PROXY: z.string().default('loopback').describe('Express `trust proxy` setting (hops or subnets) for client IPs behind a load balancer.'),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0).describe('How long SIGTERM waits for in-flight requests before closing.'),

  ODOO_URL: url(['http:', 'https:']).describe('Odoo base URL, e.g. http://odoo:8069 (required).'),
  ODOO_DB: z.string().min(1).describe('Odoo database name (required).'),
  ODOO_USER: z.string().min(1).describe('Login of the Odoo integration user (group "Workshop / Integration").'),
  ODOO_PASSWORD: z.string().min(1).describe('Password or API key of the integration user.'),
  ODOO_TRANSPORT: z.enum(['jsonrpc', 'xmlrpc']).default('jsonrpc').describe('Odoo external API: `jsonrpc` (default, keeps exception classes) or `xmlrpc`.'),
  ODOO_TIMEOUT_MS: int(10_000, 100).describe('Per-call timeout for Odoo requests.'),
  ODOO_MAX_SOCKETS: int(16, 1, 1024).describe('Keep-alive sockets to Odoo per BFF process.'),
  ODOO_READ_RETRIES: int(2, 0, 10).describe('Retries of idempotent Odoo calls on timeout/connection errors.'),

  DATABASE_URL: url(['postgres:', 'postgresql:']).optional().describe('PostgreSQL for the BFF store (application role). Unset → PGlite.'),
  DATABASE_MIGRATION_URL: url(['postgres:', 'postgresql:']).optional().describe('PostgreSQL URL of the schema owner used to run migrations; default DATABASE_URL.'),
  PGLITE_DIR: z.string().default('.data/pglite').describe('PGlite data directory when DATABASE_URL is unset (`memory://` = in memory).'),
  REDIS_URL: url(['redis:', 'rediss:']).optional().describe('Redis for BullMQ. Unset → in-process queue (single process only).'),
  QUEUE_PREFIX: z.string().min(1).default('drmoto').describe('BullMQ key prefix.'),
  QUEUE_BACKOFF_MS: z.coerce.number().int().min(1).optional().describe("First retry delay of every job, overriding each job's own (settlement: 2 s); doubles per attempt. For tests and demos."),
  RECONCILE_INTERVAL_MS: int(60_000, 1_000).describe('How often the reconcile job runs (pending settlements, open WeChat Pay orders).'),
  RECONCILE_AFTER_MS: int(60_000, 0).describe('Age of an open payment order before the reconcile job asks WeChat Pay about it (lost notifications).'),

  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').describe('HMAC secret for access and refresh tokens (≥ 32 chars).'),
  JWT_ISSUER: z.string().min(1).default('drmoto-bff').describe('`iss` claim of issued tokens.'),
  JWT_ACCESS_TTL_S: int(900, 30).describe('Access token lifetime in seconds.'),
  JWT_REFRESH_TTL_S: int(30 * 24 * 3600, 60).describe('Refresh token lifetime in seconds.'),

  WECHAT_APPID: z.string().min(1).default('wx_demo_appid').describe('Mini-program AppID.'),
  WECHAT_SECRET: z.string().min(1).optional().describe('Mini-program AppSecret (required in production).'),
  WECHAT_API_BASE: url(['http:', 'https:']).default('https://api.weixin.qq.com').describe('WeChat server API base (the demo points it at mocks/wechat).'),
  WECHAT_TIMEOUT_MS: int(5_000, 100).describe('Per-call timeout for WeChat server APIs.'),

  IDEMPOTENCY_LEASE_MS: int(60_000, 1_000).describe('How long an in-flight Idempotency-Key blocks retries (409) before a crashed request frees it.'),
  IDEMPOTENCY_RETENTION_H: int(24, 24).describe('Hours an Idempotency-Key and its stored response are kept (≥ 24).'),

  ...wechatPayEnvShape,
  ...stripeEnvShape,

  ...mediaEnvShape,

  RATE_LIMIT_AUTH_PER_MIN: int(30, 1).describe('Login attempts per client IP per minute.'),
  BODY_LIMIT: z.string().default('100kb').describe('Largest accepted JSON body.'),
  DOCS_ENABLED: bool.default(true).describe('Serve /openapi.json.'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  role: Env['BFF_ROLE'];
  http: { host: string; port: number; trustProxy: string; shutdownTimeoutMs: number; bodyLimit: string };
  log: { level: Env['LOG_LEVEL'] };
  odoo: {
    url: string;
    db: string;
    user: string;
    password: string;
    transport: Env['ODOO_TRANSPORT'];
    timeoutMs: number;
    maxSockets: number;
    readRetries: number;
  };
  store: { databaseUrl?: string; migrationUrl?: string; pgliteDir: string };
  queue: { redisUrl?: string; prefix: string; backoffMs?: number };
  jobs: { reconcileIntervalMs: number; reconcileAfterMs: number };
  jwt: { secret: string; issuer: string; accessTtlS: number; refreshTtlS: number };
  wechat: { appId: string; secret?: string; apiBase: string; timeoutMs: number };
  rateLimit: { authPerMin: number };
  idempotency: { leaseMs: number; retentionMs: number };
  /** Undefined when WeChat Pay is not configured (the pay endpoints then answer 503). */
  wechatPay?: WechatPayConfig;
  /** Undefined when Stripe is not configured (the Stripe endpoints then answer 503). */
  stripe?: StripeConfig;
  /** Undefined when S3_BUCKET is unset (the media endpoints then answer 503). */
  media?: MediaConfig;
  docsEnabled: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Secrets that may also come from a file: `X_FILE=/run/secrets/x` instead of `X` (compose and Kubernetes secrets, so
 * keys stay out of `docker inspect` and the process environment). WECHATPAY_PRIVATE_KEY_FILE is its own variable.
 */
export const FILE_SECRETS = [
  'ODOO_PASSWORD',
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'REDIS_URL',
  'JWT_SECRET',
  'WECHAT_SECRET',
  'WECHATPAY_APIV3_KEY',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'S3_SECRET_ACCESS_KEY',
] as const;

/**
 * Replaces each set `X_FILE` of FILE_SECRETS by `X` = the file's content without its trailing newline. Both set, an
 * unreadable or an empty file are problems in loadConfig's `VAR: message` form (never echoing a value).
 */
export function readSecretFiles(
  source: Record<string, string | undefined>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): { env: Record<string, string | undefined>; problems: string[]; failed: Set<string> } {
  const env = { ...source };
  const problems: string[] = [];
  const failed = new Set<string>();
  for (const key of FILE_SECRETS) {
    const file = source[`${key}_FILE`];
    if (file === undefined || file === '') continue;
    delete env[`${key}_FILE`];
    failed.add(key);
    if (source[key] !== undefined && source[key] !== '') {
      problems.push(`${key}: set either ${key} or ${key}_FILE, not both`);
      continue;
    }
    let value: string;
    try {
      value = readFile(file).replace(/\r?\n$/, '');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${key}_FILE: cannot read ${file} (${code})`);
      continue;
    }
    if (value === '') {
      problems.push(`${key}_FILE: ${file} is empty`);
      continue;
    }
    env[key] = value;
    failed.delete(key);
  }
  return { env, problems, failed };
}

/** Parses the environment once; throws a ConfigError naming every bad variable (never just the first). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are "unset" (docker-compose passes `FOO=` through).
  const files = readSecretFiles(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== '')));
  const cleaned = files.env;
  const parsed = envSchema.safeParse(cleaned);
  const problems: string[] = [...files.problems];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      // Its _FILE problem already names it.
      if (files.failed.has(key)) continue;
      problems.push(`${key}: ${cleaned[key] === undefined ? 'is required' : issue.message}`);
    }
  }
  if (parsed.success && parsed.data.NODE_ENV === 'production' && !parsed.data.WECHAT_SECRET) {
    problems.push('WECHAT_SECRET: is required in production');
  }
  // Production never falls back to the in-process stand-ins: PGlite would hold payment truth on one container's disk,
  // and the in-process queue would lose jobs with the process.
  if (parsed.success && parsed.data.NODE_ENV === 'production') {
    if (!parsed.data.DATABASE_URL) problems.push('DATABASE_URL: is required in production (no PGlite fallback)');
    if (!parsed.data.REDIS_URL) problems.push('REDIS_URL: is required in production (no in-process queue fallback)');
  }
  if (parsed.success && parsed.data.BFF_ROLE !== 'all' && !parsed.data.REDIS_URL) {
    problems.push(`REDIS_URL: is required with BFF_ROLE=${parsed.data.BFF_ROLE} (the in-process queue runs jobs in the process that enqueued them)`);
  }
  const wxPay = parsed.success
    ? wechatPayConfigFromEnv(parsed.data, { defaultAppId: parsed.data.WECHAT_APPID, production: parsed.data.NODE_ENV === 'production' })
    : { problems: [] as string[], config: undefined };
  problems.push(...wxPay.problems);
  const stripe = parsed.success ? stripeConfigFromEnv(parsed.data) : { problems: [] as string[], config: undefined };
  problems.push(...stripe.problems);
  const media = parsed.success ? mediaConfigFromEnv(parsed.data) : { problems: [] as string[], config: undefined };
  problems.push(...media.problems);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    role: e.BFF_ROLE,
    http: { host: e.HOST, port: e.PORT, trustProxy: e.TRUST_PROXY, shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS, bodyLimit: e.BODY_LIMIT },
    log: { level: e.LOG_LEVEL },
    odoo: {
      url: e.ODOO_URL.replace(/\/+$/, ''),
      db: e.ODOO_DB,
      user: e.ODOO_USER,
      password: e.ODOO_PASSWORD,
      transport: e.ODOO_TRANSPORT,
      timeoutMs: e.ODOO_TIMEOUT_MS,
      maxSockets: e.ODOO_MAX_SOCKETS,
      readRetries: e.ODOO_READ_RETRIES,
    },
    store: { databaseUrl: e.DATABASE_URL, migrationUrl: e.DATABASE_MIGRATION_URL ?? e.DATABASE_URL, pgliteDir: e.PGLITE_DIR },
    queue: { redisUrl: e.REDIS_URL, prefix: e.QUEUE_PREFIX, backoffMs: e.QUEUE_BACKOFF_MS },
    jobs: { reconcileIntervalMs: e.RECONCILE_INTERVAL_MS, reconcileAfterMs: e.RECONCILE_AFTER_MS },
    jwt: { secret: e.JWT_SECRET, issuer: e.JWT_ISSUER, accessTtlS: e.JWT_ACCESS_TTL_S, refreshTtlS: e.JWT_REFRESH_TTL_S },
    wechat: { appId: e.WECHAT_APPID, secret: e.WECHAT_SECRET, apiBase: e.WECHAT_API_BASE.replace(/\/+$/, ''), timeoutMs: e.WECHAT_TIMEOUT_MS },
    rateLimit: { authPerMin: e.RATE_LIMIT_AUTH_PER_MIN },
    idempotency: { leaseMs: e.IDEMPOTENCY_LEASE_MS, retentionMs: e.IDEMPOTENCY_RETENTION_H * 3600_000 },
    wechatPay: wxPay.config,
    stripe: stripe.config,
    media: media.config,
    docsEnabled: e.DOCS_ENABLED,
  };
}
