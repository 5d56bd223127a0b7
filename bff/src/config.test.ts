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

  describe('production', () => {
    const prod = { ...good, NODE_ENV: 'production', WECHAT_SECRET: 's' };

    it('refuses to start without DATABASE_URL and REDIS_URL, naming both', () => {
      let err: ConfigError | undefined;
      try {
        loadConfig(prod);
      } catch (e) {
        err = e as ConfigError;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.problems).toEqual([
        'DATABASE_URL: is required in production (no PGlite fallback)',
        'REDIS_URL: is required in production (no in-process queue fallback)',
      ]);
    });

    it('refuses a half-configured start (one of the two missing)', () => {
      expect(() => loadConfig({ ...prod, DATABASE_URL: 'postgres://app@h/db' })).toThrow(/REDIS_URL: is required in production/);
      expect(() => loadConfig({ ...prod, REDIS_URL: 'redis://r:6379', DATABASE_URL: '' })).toThrow(/DATABASE_URL: is required in production/);
    });

    it('starts with both', () => {
      const c = loadConfig({ ...prod, DATABASE_URL: 'postgres://app@h/db', REDIS_URL: 'redis://r:6379' });
      expect(c.env).toBe('production');
      expect(c.store.databaseUrl).toBe('postgres://app@h/db');
      expect(c.queue.redisUrl).toBe('redis://r:6379');
    });
  });

  describe('BFF_ROLE', () => {
    it('defaults to all', () => {
      expect(loadConfig(good).role).toBe('all');
    });

    it('takes api and worker, which need Redis', () => {
      expect(loadConfig({ ...good, BFF_ROLE: 'api', REDIS_URL: 'redis://r:6379' }).role).toBe('api');
      expect(loadConfig({ ...good, BFF_ROLE: 'worker', REDIS_URL: 'redis://r:6379' }).role).toBe('worker');
      expect(() => loadConfig({ ...good, BFF_ROLE: 'worker' })).toThrow(/REDIS_URL: is required with BFF_ROLE=worker/);
    });

    it('refuses anything else', () => {
      expect(() => loadConfig({ ...good, BFF_ROLE: 'both' })).toThrow(/BFF_ROLE/);
    });
  });
});
