import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type AugmentedRequest, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import { AppError } from '../errors';
import type { Logger } from '../logger';

/**
 * Rate limits, counted in Redis when the BFF has one (every replica sees the same counts) and in memory otherwise.
 * A store that fails lets the request through: a Redis outage must not lock every staff member out.
 */
export interface RateLimitSettings {
  /** Every auth request (login, refresh, phone binding) per client IP and minute: the per-IP cap. */
  authPerMin: number;
  /** Wrong passwords per (login, client IP) before the first lockout; each further tier doubles it. */
  loginFailures: number;
  /** The first lockout, in seconds; each further tier waits 8× longer. */
  loginLockoutS: number;
  /** Webhook requests that fail verification, per client IP and minute (valid ones are never counted). */
  webhookFailuresPerMin: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = { authPerMin: 30, loginFailures: 5, loginLockoutS: 60, webhookFailuresPerMin: 20 };

/** Makes one counter store per limit (a store counts one thing: express-rate-limit refuses to share one). */
export type LimitStoreFactory = (name: string, windowMs: number) => Store;

/** In-process counters: one BFF process, or tests. */
export const memoryLimitStores: LimitStoreFactory = () => new MemoryStore();

/**
 * The rate limits' own Redis connection, with a short command timeout and one reconnection attempt per command, so
 * that a hung Redis costs a login at most about a second (a disconnected one costs nothing: the stores skip it).
 */
export function rateLimitRedis(url: string, logger: Logger): Redis {
  const warn = throttledWarning(logger);
  const redis = new Redis(url, { connectionName: 'drmoto-bff:rate-limit', maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 2_000 });
  redis.on('error', (e: unknown) => warn('rate limit Redis unavailable: requests pass unlimited', e));
  return redis;
}

/** Counters in Redis under `<prefix>:rl:<name>:`, shared by every replica; fails open (with a warning) when Redis fails. */
export function redisLimitStores(redis: Redis, prefix: string, logger: Logger): LimitStoreFactory {
  const warn = throttledWarning(logger);
  return (name) =>
    new FailOpenStore(
      new RedisStore({ prefix: `${prefix}:rl:${name}:`, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never> }),
      (e) => warn(`rate limit store unavailable: requests pass unlimited`, e),
      // While the connection is down, don't even try: a login checks four limits, each would wait for its timeout.
      () => redis.status === 'ready',
    );
}

function throttledWarning(logger: Logger, everyMs = 30_000): (message: string, e: unknown) => void {
  let last = 0;
  return (message, e) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    logger.warn(message, { error: e instanceof Error ? e.message : String(e) });
  };
}

/**
 * Passes a failing store's increment as "no hits yet". The Redis store loads its Lua script in `init` and keeps the
 * promise: if that failed (Redis away at start, or a failover) every later increment would fail with it, so the
 * script is loaded lazily, before the first increment and again after any failure.
 */
export class FailOpenStore implements Store {
  private options?: Options;
  private ready?: Promise<void>;

  constructor(
    private readonly inner: Store,
    private readonly onError: (e: unknown) => void,
    private readonly available: () => boolean = () => true,
  ) {}

  get prefix(): string | undefined {
    return this.inner.prefix;
  }

  init(options: Options): void {
    this.options = options;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    try {
      if (!this.available()) throw new Error('not connected');
      this.ready ??= Promise.resolve(this.options && this.inner.init?.(this.options));
      await this.ready;
      return await this.inner.increment(key);
    } catch (e) {
      this.ready = undefined;
      this.onError(e);
      return { totalHits: 0, resetTime: undefined };
    }
  }

  async decrement(key: string): Promise<void> {
    await this.guard(() => this.inner.decrement(key));
  }

  async resetKey(key: string): Promise<void> {
    await this.guard(() => this.inner.resetKey(key));
  }

  private async guard(fn: () => Promise<void> | void): Promise<void> {
    if (!this.available()) return;
    try {
      await fn();
    } catch (e) {
      this.onError(e);
    }
  }
}

/** The client address as the configured proxies report it (express `trust proxy`), IPv6 grouped by /56. */
export const clientKey = (req: Request): string => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

const limited = (message: string): Options['handler'] => (req, _res, next, opts) => {
  const info = (req as AugmentedRequest)[opts.requestPropertyName];
  const retryAfterS = info?.resetTime ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(opts.windowMs / 1000);
  next(new AppError('rate_limited', message, { retryAfterS }));
};

function limiter(stores: LimitStoreFactory, logger: Logger, name: string, windowMs: number, opts: Partial<Options>): RequestHandler {
  return rateLimit({
    windowMs,
    standardHeaders: false,
    legacyHeaders: false,
    store: stores(name, windowMs),
    // express-rate-limit's own configuration checks go to our log, not the console.
    logger: { warn: (e, m) => logger.warn(m ?? 'rate limit', { error: String(e) }), error: (e, m) => logger.error(m ?? 'rate limit', { error: String(e) }) },
    ...opts,
  });
}

/**
 * Auth limits. The per-IP cap counts every auth request from one address. The login limit counts only wrong
 * passwords (401), per (login, client IP): someone guessing a manager's password from one address locks out
 * only that address for that login — the manager logging in from the counter is not affected. Progressive: a
 * tier allows `loginFailures·2^i` failures per `loginLockoutS·8^i` seconds (5/1 min, 10/8 min, 20/64 min).
 */
export function authLimits(stores: LimitStoreFactory, logger: Logger, s: RateLimitSettings): { perIp: RequestHandler; staffLogin: RequestHandler[] } {
  const perIp = limiter(stores, logger, 'auth-ip', 60_000, {
    limit: s.authPerMin,
    keyGenerator: clientKey,
    handler: limited('Too many attempts from this address; slow down.'),
  });
  const staffLogin = [0, 1, 2].map((tier) =>
    limiter(stores, logger, `login-${tier}`, s.loginLockoutS * 1000 * 8 ** tier, {
      limit: s.loginFailures * 2 ** tier,
      keyGenerator: (req) => `${loginOf(req)}|${clientKey(req)}`,
      // Only a wrong password counts: Odoo down (503), a user without a workshop role (403) or a refusal here do not.
      skipSuccessfulRequests: true,
      requestWasSuccessful: (_req, res) => res.statusCode !== 401,
      handler: limited('Too many failed logins for this user from this address; wait before trying again.'),
    }),
  );
  return { perIp, staffLogin };
}

const loginOf = (req: Request): string => {
  const login = (req.body as { login?: unknown } | undefined)?.login;
  return typeof login === 'string' ? login.trim().toLowerCase() : '';
};

/**
 * Webhooks are limited by their failures only: WeChat Pay and Stripe send from a few addresses, so a limit on all
 * requests would throttle real payments in a busy hour. The route verifies every request (a signature check is
 * cheap) and reports the ones that failed; past the limit an address's failures are answered 429 and logged once a
 * window. A valid notification is processed whatever its address has sent before.
 */
export class FailureLimit {
  private readonly store: Store;

  constructor(
    stores: LimitStoreFactory,
    name: string,
    private readonly perMinute: number,
  ) {
    this.store = stores(name, 60_000);
    void this.store.init?.({ windowMs: 60_000 } as Options); // what express-rate-limit would pass (MemoryStore needs it)
  }

  /** Counts a failure of `req`'s address; `limited` once it is past the limit (retry after `retryAfterS`). */
  async failed(req: Request): Promise<{ limited: boolean; first: boolean; retryAfterS: number }> {
    const r = await this.store.increment(clientKey(req));
    const retryAfterS = r.resetTime ? Math.max(1, Math.ceil((r.resetTime.getTime() - Date.now()) / 1000)) : 60;
    return { limited: r.totalHits > this.perMinute, first: r.totalHits === this.perMinute + 1, retryAfterS };
  }
}
