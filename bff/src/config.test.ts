import { ConfigError, loadConfig } from './config';

const good = { ODOO_URL: 'http://odoo:8069', ODOO_DB: 'drmoto', ODOO_USER: 'bff', ODOO_PASSWORD: 'x', JWT_SECRET: 'a'.repeat(32) };

describe(loadConfig.name, () => {
  it('parses a minimal environment with defaults', () => {
    const c = loadConfig(good);
    expect(c.http.port).toBe(3000);
    expect(c.odoo.transport).toBe('jsonrpc');
    expect(c.store.databaseUrl).toBeUndefined();
    expect(c.queue.redisUrl).toBeUndefined();
  });

  it('lists every bad variable at once', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'abc', ODOO_URL: 'ftp://x', JWT_SECRET: 'short', REDIS_URL: 'http://nope', ODOO_TRANSPORT: 'soap' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = err!.problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['PORT', 'ODOO_URL', 'ODOO_DB', 'ODOO_USER', 'ODOO_PASSWORD', 'JWT_SECRET', 'REDIS_URL', 'ODOO_TRANSPORT']));
    expect(err!.message).toMatch(/ODOO_DB: is required/);
  });

  it('treats empty strings as unset and requires WECHAT_SECRET in production', () => {
    expect(loadConfig({ ...good, REDIS_URL: '' }).queue.redisUrl).toBeUndefined();
    expect(() => loadConfig({ ...good, NODE_ENV: 'production' })).toThrow(/WECHAT_SECRET/);
  });

  it('uses DATABASE_URL for migrations unless DATABASE_MIGRATION_URL is set', () => {
    expect(loadConfig({ ...good, DATABASE_URL: 'postgres://app@h/db' }).store.migrationUrl).toBe('postgres://app@h/db');
    expect(loadConfig({ ...good, DATABASE_URL: 'postgres://app@h/db', DATABASE_MIGRATION_URL: 'postgres://owner@h/db' }).store.migrationUrl).toBe('postgres://owner@h/db');
  });

  describe('operations (metrics, request log, pool, workers)', () => {
    const prod = { ...good, NODE_ENV: 'production', WECHAT_SECRET: 's' };

    it('serves /metrics on 127.0.0.1:9464 in production and nowhere otherwise, unless told', () => {
      expect(loadConfig(prod).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
      expect(loadConfig(good).metrics.port).toBe(0);
      expect(loadConfig({ ...good, NODE_ENV: 'test' }).metrics.port).toBe(0);
      expect(loadConfig({ ...prod, METRICS_PORT: '0' }).metrics.port).toBe(0);
      expect(loadConfig({ ...good, METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9100 });
      // docker-compose passes `METRICS_PORT=` through for an unset variable: the default, not 0.
      expect(loadConfig({ ...prod, METRICS_PORT: '' }).metrics.port).toBe(9464);
    });

    it('logs every request at info in production by default, otherwise when LOG_REQUESTS says so', () => {
      expect(loadConfig(prod).log.requests).toBe(true);
      expect(loadConfig({ ...prod, LOG_REQUESTS: 'false' }).log.requests).toBe(false);
      expect(loadConfig(good).log.requests).toBe(false);
      expect(loadConfig({ ...good, LOG_REQUESTS: 'true' }).log.requests).toBe(true);
    });

    it('sizes the PostgreSQL pool (default 10) and the worker concurrency (default 1)', () => {
      expect(loadConfig(good).store.poolMax).toBe(10);
      expect(loadConfig(good).queue.concurrency).toBe(1);
      const c = loadConfig({ ...good, DATABASE_POOL_MAX: '4', QUEUE_CONCURRENCY: '8' });
      expect(c.store.poolMax).toBe(4);
      expect(c.queue.concurrency).toBe(8);
    });

    it('refuses a pool or concurrency below 1, a port out of range, a LOG_REQUESTS that is not a boolean — all at once', () => {
      let err: ConfigError | undefined;
      try {
        loadConfig({ ...good, DATABASE_POOL_MAX: '0', QUEUE_CONCURRENCY: '-1', METRICS_PORT: '70000', LOG_REQUESTS: 'sometimes' });
      } catch (e) {
        err = e as ConfigError;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_POOL_MAX', 'LOG_REQUESTS', 'METRICS_PORT', 'QUEUE_CONCURRENCY']);
    });
  });
});
